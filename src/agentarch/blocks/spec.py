"""A design as JSON: ``{"block": name, "params": {...}, "children": [...]}``.

The spec is what the store keeps, what the search mutates and what export writes; it round-trips
exactly (``DesignSpec.model_validate_json(spec.to_json()) == spec``).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentarch.blocks.base import Block
from agentarch.blocks.registry import get_block
from agentarch.errors import ConfigError


class DesignSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    block: str
    params: dict = Field(default_factory=dict)
    children: tuple["DesignSpec", ...] = ()

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_dict(self) -> dict:
        out: dict = {"block": self.block}
        if self.params:
            out["params"] = dict(sorted(self.params.items()))
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    @property
    def id(self) -> str:
        import hashlib

        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]

    def label(self) -> str:
        """A short human name such as ``self_consistency(n=5)[cot]``."""
        p = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()) if not isinstance(v, (list, dict)))
        s = f"{self.block}({p})" if p else self.block
        if self.children:
            s += "[" + ",".join(c.label() for c in self.children) + "]"
        return s

    def build(self) -> Block:
        """Instantiate the block tree, validating every parameter."""
        cls = get_block(self.block)
        try:
            params = cls.Params(**self.params)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise ConfigError(f"block '{self.block}': parameter '{where}': {err['msg']}") from None
        specs = list(self.children) or [DesignSpec(block=b) for b in cls.default_children]
        if len(specs) > max(cls.max_children, len(cls.default_children)):
            raise ConfigError(f"block '{self.block}' takes at most {cls.max_children} children, got {len(specs)}")
        return cls(params, [c.build() for c in specs])


def parse_design(text: str, source: str = "design") -> DesignSpec:
    """Parse a design given as JSON text, a path to a JSON file, or a bare block name."""
    text = text.strip()
    if not text.startswith("{"):
        path = Path(text)
        if path.suffix == ".json" or path.exists():
            if not path.exists():
                raise ConfigError(f"{text}: no such design file")
            return parse_design(path.read_text(), source=str(path))
        spec = DesignSpec(block=text)
        spec.build()
        return spec
    try:
        spec = DesignSpec.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top)"
        raise ConfigError(f"{source}: field '{where}': {err['msg']}") from None
    spec.build()
    return spec
