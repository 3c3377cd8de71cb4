"""Every registered block round-trips through DesignSpec JSON with all of its parameters spelled
out, builds, and names its paper."""

import sys

import pytest

from agentarch.blocks import all_blocks
from agentarch.blocks.spec import DesignSpec

BLOCKS = all_blocks()
NEW = ["dylan", "plangen", "tree_search", "mcts_reasoning", "rebase", "particle_filter", "compute_optimal",
       "moa", "reconcile", "spp", "meta_prompting", "self_discover", "agentcoder", "router", "best_of_n"]


def test_new_blocks_are_registered():
    assert set(NEW) <= set(BLOCKS)


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_spec_json_round_trip_with_every_parameter(name):
    cls = BLOCKS[name]
    if any(f.is_required() for f in cls.Params.model_fields.values()):
        pytest.skip(f"{name} has required parameters; its own tests cover its spec")
    assert cls.paper and cls.summary and sys.modules[cls.__module__].__doc__
    params = cls.Params().model_dump(mode="json")
    spec = DesignSpec(block=name, params=params)
    again = DesignSpec.model_validate_json(spec.to_json())
    assert again == spec
    block = again.build()
    assert block.params == cls.Params()
    assert len(block.children) == len(cls.default_children)
