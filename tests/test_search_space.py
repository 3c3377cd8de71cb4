"""The typed search space: derived from the registry, operators give valid, buildable, distinct
designs, deterministically from a seeded rng."""

import random

import pytest

from agentarch.blocks.base import Block, Params
from agentarch.blocks.registry import BLOCKS, all_blocks, register
from agentarch.blocks.spec import DesignSpec
from agentarch.search import space as sp
from agentarch.search.space import Space, crossover, depth, mutate, random_spec

TRAIN = [(f"Report the number {i}.", str(i)) for i in range(10)]


@pytest.fixture(scope="module")
def space():
    return Space.from_registry(train=TRAIN)


def test_space_covers_the_registry_except_code_agent(space):
    names = set(all_blocks())
    assert set(space.blocks) == names - {"code_agent"}
    assert "fewshot" in space.blocks and space.blocks["fewshot"].composite
    assert space.blocks["cot"].params["instruction"] == ("step_by_step", "careful", "plan")
    assert space.blocks["self_consistency"].params["n"] == (3, 5, 7)
    assert set(space.blocks["debate"].params["final"]) == {"vote", "judge"}
    # no demos, no few-shot
    assert "fewshot" not in Space.from_registry().blocks


def test_a_block_registered_later_joins_the_space():
    class ProbeParams(Params):
        k: int = 2
        temperature: float = 0.7
        flag: bool = False
        note: str = "x"

    @register
    class Probe(Block):
        name = "zz_probe_block"
        Params = ProbeParams

    try:
        s = Space.from_registry()
        ch = s.blocks["zz_probe_block"]
        assert ch.params == {"k": (1, 2, 3), "temperature": sp.TEMPERATURES_SAMPLING, "flag": (False, True)}
        assert not ch.composite
    finally:
        BLOCKS.pop("zz_probe_block")


def test_random_mutate_crossover_give_valid_distinct_designs(space):
    rng = random.Random(1)
    seen_ops = set()
    for i in range(400):  # at least 60 draws, more until both wrap and unwrap have come up
        if i >= 60 and {"wrap", "unwrap"} <= seen_ops:
            break
        a = space.random_spec(rng)
        b = space.random_spec(rng)
        m, note = space.mutate_described(a, rng)
        c = space.crossover(a, m if rng.random() < 0.5 else b, rng)
        seen_ops.add(note.split()[0])
        for s in (a, b, m, c):
            assert space.valid(s), s.to_json()
            assert depth(s) <= sp.MAX_DEPTH
            assert "code_agent" not in s.to_json()
            s.build()
            assert DesignSpec.model_validate_json(s.to_json()).id == s.id  # round-trips
        assert m.id != a.id
    assert {"wrap", "unwrap"} <= seen_ops


def test_operators_are_deterministic_given_the_rng(space):
    def run(seed):
        rng = random.Random(seed)
        a = space.random_spec(rng)
        b = space.mutate_described(a, rng)[0]
        return [a.id, b.id, space.crossover(a, b, rng).id, space.random_spec(rng).id]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_module_level_functions_use_the_default_space():
    rng = random.Random(3)
    a = random_spec(rng)
    b = mutate(a, rng)
    c = crossover(a, b, rng)
    for s in (a, b, c):
        s.build()
    assert a.id != b.id


def test_normalize_drops_defaults_so_equal_designs_share_an_id(space):
    a = DesignSpec.model_validate({"block": "self_consistency", "params": {"n": 5, "temperature": 0.7},
                                   "children": [{"block": "cot", "params": {"instruction": "step_by_step"}}]})
    b = DesignSpec.model_validate({"block": "self_consistency", "children": [{"block": "cot"}]})
    assert space.normalize(a).id == space.normalize(b).id


def test_mutation_can_reach_the_careful_instruction_from_cot(space):
    rng = random.Random(0)
    cot = DesignSpec(block="cot")
    reached = {space.mutate_described(cot, rng)[0].to_json() for _ in range(200)}
    assert DesignSpec(block="cot", params={"instruction": "careful"}).to_json() in reached
    wrapped = [s for s in reached if s.startswith('{"block":"fewshot"')]
    assert wrapped and all('"demos"' in s for s in wrapped)  # demos come from the training split


def test_fewshot_demos_come_from_train(space):
    rng = random.Random(5)
    for _ in range(20):
        demos = space.random_demos(rng)
        assert 1 <= len(demos) <= 3
        assert all(tuple(d) in TRAIN for d in demos)


class FakeTrial:
    """Picks the first choice unless told otherwise; records the names asked."""

    def __init__(self, picks):
        self.picks, self.asked = picks, []

    def suggest_categorical(self, name, choices):
        self.asked.append(name)
        return self.picks.get(name, choices[0]) if self.picks.get(name, choices[0]) in choices else choices[0]


def test_flattened_parameterization_is_conditional(space):
    t = FakeTrial({"block": "self_consistency", "self_consistency.n": 2, "self_consistency>child": "cot",
                   "self_consistency>cot.instruction": 1, "self_consistency>cot.max_tokens": 1})
    spec = space.spec_from_trial(t)
    assert spec.to_dict() == {"block": "self_consistency", "params": {"n": 7, "temperature": 0.3},
                              "children": [{"block": "cot", "params": {"instruction": "careful"}}]}
    assert not any(n.startswith("debate") for n in t.asked)  # only the chosen block's parameters
    t2 = FakeTrial({"block": "fewshot", "fewshot.k": 2, "fewshot.demo0": 4, "fewshot.demo1": 1})
    spec2 = space.spec_from_trial(t2)
    assert spec2.params["demos"] == [list(TRAIN[1]), list(TRAIN[4])]
    spec2.build()
