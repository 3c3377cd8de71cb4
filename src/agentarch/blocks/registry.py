"""Maps block names to block classes. Blocks register themselves with ``@register``."""

from __future__ import annotations

from agentarch.blocks.base import Block
from agentarch.errors import ConfigError

BLOCKS: dict[str, type[Block]] = {}


def _same_definition(a: type[Block], b: type[Block]) -> bool:
    """The same class statement run again (a re-run notebook cell or script)."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def register(cls: type[Block]) -> type[Block]:
    """Add a block class to the registry (a decorator); a class re-defined under the same module and
    name replaces the old one, another class under a taken name is an error."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    if cls.name in BLOCKS and BLOCKS[cls.name] is not cls and not _same_definition(BLOCKS[cls.name], cls):
        raise TypeError(f"block name '{cls.name}' is taken by {BLOCKS[cls.name].__name__}")
    BLOCKS[cls.name] = cls
    return cls


def get_block(name: str) -> type[Block]:
    _load_all()
    try:
        return BLOCKS[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, BLOCKS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(
            f"unknown block '{name}'.{hint} Known blocks: {', '.join(sorted(BLOCKS))} "
            "(see 'agentarch blocks')."
        ) from None


def all_blocks() -> dict[str, type[Block]]:
    _load_all()
    return dict(sorted(BLOCKS.items()))


def _load_all() -> None:
    import agentarch.blocks.library  # noqa: F401  (imports every block module)
