"""``aa.design(...)``: one way in for every form a design takes — a block object
(``aa.blocks.SelfConsistency(n=5, child=aa.blocks.CoT())``), a block class, a name with keyword
parameters, a dict, JSON text, a ``.json`` file or a ``DesignSpec`` — out comes the validated
``DesignSpec`` the store, the search and export use (same id for the same design in any form)."""

from __future__ import annotations

from typing import Any

from agentarch.blocks.base import Block
from agentarch.blocks.spec import DesignSpec, parse_design
from agentarch.errors import ConfigError


def design(value: Any, /, *, child: Any = None, children: Any = None, **params: Any) -> DesignSpec:
    """The ``DesignSpec`` of ``value``. With a block name (or class), keyword ``params`` and
    ``child``/``children`` (designs in any form) build the design: ``design("self_consistency",
    n=5, child="cot")``. Raises ``ConfigError`` naming the block and parameter when invalid."""
    kids = _children(child, children)
    if isinstance(value, type) and issubclass(value, Block):
        value = value.name
    if (params or kids is not None) and not (isinstance(value, str) and not value.strip().startswith("{")):
        raise ConfigError("design: keyword parameters and child/children go with a block name, "
                          f"e.g. design('self_consistency', n=5, child='cot'); got {type(value).__name__}")
    if isinstance(value, str) and (params or kids is not None):
        spec = DesignSpec(block=value.strip(), params=params, children=tuple(kids or ()))
    elif isinstance(value, Block):
        spec = DesignSpec.from_block(value)
    elif isinstance(value, DesignSpec):
        spec = value
    elif isinstance(value, dict):
        try:
            spec = DesignSpec.model_validate(value)
        except ValueError as exc:
            first = exc.errors()[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
            where = ".".join(str(x) for x in first["loc"]) or "(top)"
            raise ConfigError(f"design: field '{where}': {first['msg']}") from None
    elif isinstance(value, str):
        return parse_design(value)
    else:
        raise ConfigError(f"design: expected a block, a block name, a dict, JSON text, a .json file or a "
                          f"DesignSpec, not {type(value).__name__}")
    spec.build()  # validates every block name and parameter
    return spec


def _children(child: Any, children: Any) -> list[DesignSpec] | None:
    if child is not None and children is not None:
        raise ConfigError("design: give child or children, not both")
    if child is not None:
        return [design(child)]
    if children is not None:
        return [design(c) for c in children]
    return None


def designs(values: Any) -> dict[str, DesignSpec]:
    """Several designs by a display name: a dict name -> design, or a list (named by label)."""
    if isinstance(values, dict) and not isinstance(values.get("block"), str):
        return {str(k): design(v) for k, v in values.items()}
    if not isinstance(values, (list, tuple)):
        values = [values]
    out: dict[str, DesignSpec] = {}
    for v in values:
        spec = design(v)
        name = spec.label()
        if name in out and out[name].id != spec.id:
            name = f"{name} #{spec.id[:6]}"
        out[name] = spec
    return out
