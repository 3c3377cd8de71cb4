"""A design as JSON: ``{"block": name, "params": {...}, "children": [...]}``.

The spec is what the store keeps, what the search mutates and what export writes; it round-trips
exactly (``DesignSpec.model_validate_json(spec.to_json()) == spec``). Its ``id`` is computed on the
canonical form, so equivalent designs share one id (and so their stored results): parameters equal
to the block's defaults are dropped and children equal to the block's default children are left out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentarch.blocks.base import Block
from agentarch.blocks.registry import get_block
from agentarch.errors import ConfigError

_IDS: dict[str, str] = {}  # exact JSON -> id: canonicalising validates parameters, so do it once
LABEL_LIST_CHARS = 40  # a list of words this short (all words together) is shown in a label


def _short(value):
    """How a parameter value reads in a label, or None to leave it out (long lists, mappings)."""
    if isinstance(value, dict):
        return None
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, str) for v in value) and sum(map(len, value)) <= LABEL_LIST_CHARS:
            return "/".join(value)
        return None
    return value


class DesignSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    block: str
    params: dict = Field(default_factory=dict)
    children: tuple["DesignSpec", ...] = ()
    model: str | None = None  # the named model this node and its children call; None: the caller's

    @classmethod
    def from_block(cls, block: Block) -> "DesignSpec":
        """The design of a block object built in Python (``SelfConsistency(n=5, child=CoT())``):
        the same id as the equivalent JSON."""
        return cls.model_validate(block.to_dict())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_dict(self) -> dict:
        out: dict = {"block": self.block}
        if self.model:
            out["model"] = self.model
        if self.params:
            out["params"] = dict(sorted(self.params.items()))
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    @property
    def id(self) -> str:
        """The first 12 hex digits of the sha256 of the canonical JSON (computed once)."""
        text = self.to_json()
        cached = _IDS.get(text)
        if cached is None:
            canonical = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
            cached = hashlib.sha256(canonical.encode()).hexdigest()[:12]
            if len(_IDS) > 100_000:
                _IDS.clear()
            _IDS[text] = cached
        return cached

    def canonical(self) -> dict:
        """The design with defaults left out: equal for designs that build the same blocks."""
        try:
            cls = get_block(self.block)
        except ConfigError:  # an unknown block cannot be normalised; it fails when built
            return self.to_dict()
        out: dict = {"block": self.block}
        if self.model:
            out["model"] = self.model
        params = _non_default_params(cls, self.params)
        if params:
            out["params"] = params
        children = [c.canonical() for c in self.children]
        if children and children != [DesignSpec(block=b).canonical() for b in cls.default_children]:
            out["children"] = children
        return out

    def label(self) -> str:
        """A short human name such as ``self_consistency(n=5)[cot]``; a short list of words shows as
        ``reconcile(personas=Mathematician/Teacher)``, longer lists and mappings (demos) not at all."""
        shown = ((k, _short(v)) for k, v in sorted(self.params.items()))
        p = ",".join(f"{k}={v}" for k, v in shown if v is not None)
        s = f"{self.block}({p})" if p else self.block
        if self.model:
            s += f"@{self.model}"
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
        return cls(params, [c.build() for c in specs], model=self.model)

    def models(self) -> set[str]:
        """Every model named in this design (nodes, and designs held in parameters such as a
        compute-optimal policy or a router's routes)."""
        out = {self.model} if self.model else set()
        for c in self.children:
            out |= c.models()
        todo = list(self.params.values())
        while todo:
            v = todo.pop()
            if isinstance(v, dict):
                if isinstance(v.get("block"), str) and isinstance(v.get("model"), str) and v["model"]:
                    out.add(v["model"])
                todo.extend(v.values())
            elif isinstance(v, list):
                todo.extend(v)
        return out


def _non_default_params(cls: type[Block], params: dict) -> dict:
    """``params`` as validated by the block (``"5"`` and ``5`` alike), without default values."""
    try:
        validated = cls.Params(**params).model_dump(mode="json")
    except (ValidationError, TypeError):  # invalid: kept as given, the build will say why
        return dict(sorted(params.items()))
    out = {}
    for key in sorted(params):
        field = cls.Params.model_fields.get(key)
        if key not in validated or field is None:
            out[key] = params[key]
            continue
        value = validated[key]
        if not field.is_required():
            try:
                default = cls.Params(**{k: v for k, v in params.items() if k != key}).model_dump(mode="json")
            except (ValidationError, TypeError):
                default = {}
            if key in default and value == default[key]:
                continue
        out[key] = _canonical_value(value)
    return out


def _canonical_value(value):
    """Designs nested in a parameter (router routes, policies) in canonical form too."""
    if isinstance(value, dict):
        if isinstance(value.get("block"), str):
            try:
                return DesignSpec.model_validate(value).canonical()
            except ValueError:
                pass
        return {k: _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_value(v) for v in value]
    return value


def parse_design(text: str, source: str = "design") -> DesignSpec:
    """Parse a design given as JSON text, a path to a JSON file, or a bare block name.

    A file must hold JSON (any name or suffix); a missing path, a folder, binary data and invalid
    JSON are ``ConfigError`` naming the file and, for JSON, the line."""
    text = text.strip()
    if not text.startswith("{"):
        path = Path(text)
        if path.exists() or path.suffix or "/" in text:
            return parse_design_json(read_design_file(path), source=str(path), from_file=True)
        spec = DesignSpec(block=text)
        spec.build()
        return spec
    return parse_design_json(text, source)


def read_design_file(path: Path) -> str:
    """The text of a design file, or ``ConfigError`` saying why it cannot be one."""
    if not path.exists():
        raise ConfigError(f"{path}: no such design file")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a design file (a design file holds "
                          f'{{"block": ..., "params": ..., "children": [...]}})')
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the design file ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not a design file: binary data, not UTF-8 JSON text") from None


def parse_design_json(text: str, source: str = "design", from_file: bool = False) -> DesignSpec:
    """A design from JSON text; ``source`` (a file name, or "design") starts every error, and a
    JSON error in a file is given as ``file:line:``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = (f"{source}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})" if from_file
                 else f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
        raise ConfigError(f'{where}; a design is {{"block": ..., "params": ..., "children": [...]}}') from None
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string"}.get(type(data), type(data).__name__)
        raise ConfigError(f"{source}: a design is a JSON object {{\"block\": ...}}, not {kind}")
    try:
        spec = DesignSpec.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top)"
        raise ConfigError(f"{source}: field '{where}': {err['msg']}") from None
    spec.build()
    return spec
