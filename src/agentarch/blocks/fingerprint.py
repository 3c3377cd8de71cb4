"""The code fingerprint of a design: a hash of the source of every block class the design runs.

A stored result is reused only when the blocks that produced it are unchanged, so editing a block's
prompt or logic re-measures the designs that use it. For each block class the fingerprint covers its
``version``, the modules of the class and its base classes, and the block and task modules they
import, directly or not (``blocks/common.py``, ``blocks/context.py``, ``blocks/stepwise.py``,
``blocks/verify.py``, ...; the shared ones are always included). Designs nested in parameters (a
router's routes, a compute-optimal policy) count too. Each class is hashed once per process.
"""

from __future__ import annotations

from functools import lru_cache

from agentarch.blocks.base import Block
from agentarch.blocks.registry import get_block
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.store.identity import digest, module_closure, source_fingerprint

SHARED_MODULES = ("agentarch.blocks.base", "agentarch.blocks.common", "agentarch.blocks.context",
                  "agentarch.blocks.stepwise", "agentarch.blocks.verify")
FOLLOW = ("agentarch.blocks.", "agentarch.tasks.")
# Wiring that decides which block runs, not how it answers: the spec and registry are covered by
# the design's canonical id.
SKIP = frozenset({"agentarch.blocks", "agentarch.blocks.registry", "agentarch.blocks.library",
                  "agentarch.blocks.spec", "agentarch.blocks.presets", "agentarch.blocks.fingerprint"})


@lru_cache(maxsize=None)
def block_fingerprint(cls: type[Block]) -> str:
    """A hash of one block class's version and the source it runs."""
    roots = {c.__module__ for c in cls.__mro__ if c is not object and c.__module__ != "builtins"}
    modules = module_closure(roots | set(SHARED_MODULES), follow=FOLLOW, skip=SKIP)
    return digest("block", cls.name, cls.__module__, cls.__qualname__, cls.version,
                  source_fingerprint(modules))


def block_names(spec: DesignSpec) -> set[str]:
    """Names of every block the design may run: the tree, default children, designs in params."""
    names: set[str] = set()
    todo = [spec]
    while todo:
        s = todo.pop()
        if s.block in names and not s.children and not s.params:
            continue
        names.add(s.block)
        defaults = _block(s.block).default_children if _block(s.block) else ()
        todo.extend(s.children or [DesignSpec(block=b) for b in defaults])
        todo.extend(_nested_designs(s.params))
    return names


def _nested_designs(value) -> list[DesignSpec]:
    """Designs written inside parameters (any mapping with a registered "block" name)."""
    found: list[DesignSpec] = []
    if isinstance(value, dict):
        if isinstance(value.get("block"), str):
            try:
                found.append(DesignSpec.model_validate(value))
                return found
            except ValueError:
                pass
        for v in value.values():
            found += _nested_designs(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            found += _nested_designs(v)
    return found


def _block(name: str) -> type[Block] | None:
    try:
        return get_block(name)
    except ConfigError:  # an unknown name fails when the design is built, not here
        return None


def code_fingerprint(spec: DesignSpec) -> str:
    """A hash of the code of every block class ``spec`` uses."""
    parts = []
    for name in sorted(block_names(spec)):
        cls = _block(name)
        parts.append((name, block_fingerprint(cls) if cls else "unknown"))
    return digest("design-code", *parts)
