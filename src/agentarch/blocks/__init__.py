"""Building blocks: one small module per published idea; a registry maps names to blocks and a
``DesignSpec`` turns JSON into a block tree.

Every registered block class is also reachable here by its class name (``blocks.SelfConsistency``,
``blocks.ChainOfThought``) or a short alias (``blocks.CoT``), so designs compose as Python objects:
``DesignSpec.from_block(blocks.SelfConsistency(n=5, child=blocks.CoT()))`` is the same design as the JSON
``{"block": "self_consistency", "params": {"n": 5}, "children": [{"block": "cot"}]}``.
"""

from agentarch.blocks.base import Block, Params
from agentarch.blocks.context import CodeResult, Context
from agentarch.blocks.registry import all_blocks, get_block, register
from agentarch.blocks.spec import DesignSpec, parse_design

__all__ = ["Block", "CodeResult", "Context", "DesignSpec", "Params", "all_blocks", "get_block",
           "parse_design", "python_names", "register"]

# Short Python names for blocks whose class name is long (plain data: edit freely).
ALIASES = {"CoT": "cot", "PoT": "program_of_thought", "Refine": "refine", "Roles": "roles",
           "MoA": "moa", "SPP": "spp"}


def python_names() -> dict[str, type[Block]]:
    """Class name or alias -> registered block class (user blocks included once registered)."""
    blocks = all_blocks()
    names = {cls.__name__: cls for cls in blocks.values()}
    names.update((alias, blocks[name]) for alias, name in ALIASES.items() if name in blocks)
    return names


def __getattr__(name: str):
    if name[:1].isupper():  # submodules are lower case; leave them to the import system
        cls = python_names().get(name)
        if cls is not None:
            return cls
    raise AttributeError(f"module 'agentarch.blocks' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(python_names()))
