"""The typed search space over block designs, derived at run time from the block registry.

Plain data first (edit freely): which blocks are left out, which blocks may wrap a design, how
deep trees go, and the small value ranges tried for each kind of parameter (sized for a 0.5B
local model: few samples, few rounds). Then ``Space``: for every registered block (including
blocks added later: the registry is read when a space is built) a choice list per parameter
derived from its ``Params`` fields, and the operators evolutionary search needs:
``random_spec``, ``mutate`` (change a parameter, swap a child or a block, wrap in
self-consistency / refine / few-shot, unwrap) and ``crossover``. Every operator is a pure
function of its inputs and the ``random.Random`` it is given, so a seeded search replays exactly.
Few-shot demos are drawn from the training split (LabeledFewShot in DSPy, Khattab et al., 2024),
or, once ``use_demo_sets`` is given bootstrapped traces (``search/demos.py``), the few-shot block's
``demos`` parameter takes whole demo sets as its values like any other parameter. Proposed
instructions (``search/instructions.py``) join the values of every ``instruction`` parameter
(``add_instructions``).
When the user allows several models (``with_models``), every design also has a model dimension:
the root names one of them (and may hand a child another, by mutation), so a cheap drafter can
meet a bigger verifier; without it no operator draws a model and designs stay as they were.
Also the flattened, conditional parameterization TPE asks over (``spec_from_trial``).
"""

from __future__ import annotations

import random
import sys
import typing
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from agentarch.blocks.spec import DesignSpec

# ---- plain data --------------------------------------------------------------------------------
EXCLUDED_BLOCKS = ("code_agent",)  # generated source: Meta Agent Search (search/meta.py) writes those
WRAPPERS = ("self_consistency", "refine", "fewshot")  # what mutate() may wrap a design in
MAX_DEPTH = 3  # nesting levels, root included: fewshot[self_consistency[cot]] is 3
COUNT_MAX = 7  # integer counts (samples, rounds, agents, ...) stay at or below this (or the default)
TEMPERATURES_SAMPLING = (0.3, 0.7, 1.0)  # for parameters whose default samples (> 0)
TEMPERATURES_GREEDY = (0.0, 0.7)  # for parameters whose default is greedy (0 inherits the caller's)
FLOAT_STEP = 0.15  # thresholds in [0, 1]: default +- this
TOKEN_SCALES = (0.67, 1.0, 1.33)  # max_tokens-like parameters: default times these, rounded to 32
DEMO_COUNTS = (1, 2, 3)  # few-shot demos per design
DEMO_POOL = 16  # demos come from the first N training examples (seeded order)
INSTRUCTION_PARAM = "instruction"  # blocks with a str parameter of this name take proposed instructions
FIXED_PARAMS = ("seed", "timeout", "source", "name", "policy", "routes", "rules", "default")
OVERRIDES: dict[str, dict[str, tuple]] = {  # block -> param -> choices, instead of the derived ones
    "self_consistency": {"n": (3, 5, 7)},
    "debate": {"final": ("vote", "judge")},
}


# ---- the space ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlockChoices:
    """One block's searchable parameters: name -> candidate values (JSON-native), and defaults."""

    name: str
    params: dict[str, tuple]
    defaults: dict[str, Any]
    max_children: int

    @property
    def composite(self) -> bool:
        return self.max_children > 0


def _json_native(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_json_native(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_native(x) for k, x in v.items()}
    return v


def _round32(x: float) -> int:
    return max(32, int(round(x / 32.0)) * 32)


def _enum_for(cls, default: str) -> tuple | None:
    """String choices from a dict or tuple in the block's module that holds the default as a key
    (cot's ``INSTRUCTIONS``)."""
    mod = sys.modules.get(cls.__module__)
    for name, value in sorted(vars(mod).items()) if mod else ():
        if name.isupper() and isinstance(value, dict) and default in value and len(value) > 1 \
                and all(isinstance(k, str) for k in value):
            return tuple(value)
    return None


def derive_choices(cls, pname: str, finfo) -> tuple | None:
    """Candidate values for one parameter, or None when it is not searched (kept at its default)."""
    if pname in OVERRIDES.get(cls.name, {}):
        return tuple(_json_native(v) for v in OVERRIDES[cls.name][pname])
    if pname in FIXED_PARAMS or finfo.is_required():
        return None
    d = finfo.default
    ann = finfo.annotation
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return tuple(typing.get_args(ann))
    if isinstance(d, bool):
        return (False, True)
    if isinstance(d, int):
        if "tokens" in pname:
            return tuple(sorted({_round32(d * s) for s in TOKEN_SCALES}))
        lo = 0 if d == 0 else 1
        hi = max(COUNT_MAX, d)
        return tuple(sorted({v for v in (d - 1, d, d + 1, 2 if d == 0 else d) if lo <= v <= hi}))
    if isinstance(d, float):
        if "temperature" in pname:
            return TEMPERATURES_SAMPLING if d > 0 else TEMPERATURES_GREEDY
        if 0.0 <= d <= 1.0:
            return tuple(sorted({round(min(1.0, max(0.0, d + s)), 2) for s in (-FLOAT_STEP, 0.0, FLOAT_STEP)}))
        return None
    if isinstance(d, str):
        return _enum_for(cls, d)
    if isinstance(d, tuple) and d and all(isinstance(x, str) for x in d) and len(d) > 2:
        return tuple(list(d[:k]) for k in range(2, len(d) + 1))  # the first k roles / personas
    return None


@dataclass
class Space:
    """The blocks a search may use, each with its parameter choices; ``demos`` are (question,
    answer) pairs from the training split for the few-shot wrapper (no demos: no ``fewshot``)."""

    blocks: dict[str, BlockChoices]
    demos: list[tuple[str, str]] = field(default_factory=list)
    max_depth: int = MAX_DEPTH
    models: tuple[str, ...] = ()  # the model dimension (empty: none); see ``with_models``
    default_model: str = ""  # the stack's own model: a node naming it names nothing

    @classmethod
    def from_registry(cls, train: Sequence = (), only: Sequence[str] | None = None,
                      exclude: Sequence[str] = (), max_depth: int = MAX_DEPTH) -> "Space":
        """Every registered block (or ``only`` these), minus ``EXCLUDED_BLOCKS`` and ``exclude``.
        ``train`` holds examples (``.input``/``.target``) or (question, answer) pairs."""
        from agentarch.blocks.registry import all_blocks

        demos = []
        for ex in list(train)[:DEMO_POOL]:
            q, a = (ex.input, ex.target) if hasattr(ex, "input") else ex
            demos.append((str(q), str(a)))
        out: dict[str, BlockChoices] = {}
        registry = all_blocks()
        if only:
            from agentarch.errors import ConfigError

            unknown = [b for b in only if b not in registry]
            if unknown:
                raise ConfigError(f"unknown block(s) {', '.join(unknown)} in the search space; "
                                  f"known: {', '.join(registry)}")
        for name, bcls in registry.items():
            if name in EXCLUDED_BLOCKS or name in exclude or (only and name not in only):
                continue
            if name == "fewshot" and not demos:
                continue
            fields = bcls.Params.model_fields
            if any(f.is_required() for f in fields.values()):
                continue  # nothing to fill a required parameter with
            params, defaults = {}, {}
            for pname, finfo in fields.items():
                defaults[pname] = _json_native(finfo.default)
                if name == "fewshot" and pname == "demos":
                    continue  # drawn from ``demos`` below
                ch = derive_choices(bcls, pname, finfo)
                if ch and len(ch) > 1:
                    params[pname] = ch
            out[name] = BlockChoices(name, params, defaults, bcls.max_children)
        return cls(out, demos, max_depth)

    def with_models(self, models: Sequence[str], default_model: str = "") -> "Space":
        """This space with a model dimension over ``models`` (names already checked by the caller);
        fewer than two models add no dimension."""
        names = tuple(dict.fromkeys(m for m in models if m))
        return replace(self, models=names if len(names) > 1 else (), default_model=default_model)

    # -- views ------------------------------------------------------------------------------
    @property
    def leaves(self) -> list[str]:
        return [n for n, b in self.blocks.items() if not b.composite]

    @property
    def composites(self) -> list[str]:
        return [n for n, b in self.blocks.items() if b.composite]

    @property
    def wrappers(self) -> list[str]:
        return [w for w in WRAPPERS if w in self.blocks]

    def size(self) -> int:
        """Number of distinct single blocks with parameters (children not counted): a feel for scale."""
        total = 0
        for b in self.blocks.values():
            n = 1
            for ch in b.params.values():
                n *= len(ch)
            total += n
        return total

    def describe(self) -> dict:
        def values(k: str, v: tuple) -> list:
            return [f"{len(s)} demos" for s in v] if k == "demos" else list(v)

        return {n: {k: values(k, v) for k, v in b.params.items()}
                | ({"children": b.max_children} if b.composite else {}) for n, b in self.blocks.items()}

    # -- values found before the search (bootstrapped demos, proposed instructions) ---------
    def instruction_blocks(self) -> list[str]:
        """The blocks in the space that take an instruction (a str ``instruction`` parameter)."""
        from agentarch.blocks.registry import get_block

        out = []
        for name in self.blocks:
            f = get_block(name).Params.model_fields.get(INSTRUCTION_PARAM)
            if f is not None and f.annotation is str:
                out.append(name)
        return out

    def add_instructions(self, texts: Sequence[str]) -> list[str]:
        """Make ``texts`` values of the ``instruction`` parameter of every block that takes one (after
        its own choices, or its default); returns the blocks changed."""
        changed: list[str] = []
        if not texts:
            return changed
        for name in self.instruction_blocks():
            b = self.blocks[name]
            values = list(b.params.get(INSTRUCTION_PARAM, (b.defaults.get(INSTRUCTION_PARAM),)))
            values += [t for t in texts if t not in values]
            if len(values) > 1:
                self.blocks[name] = replace(b, params={**b.params, INSTRUCTION_PARAM: tuple(values)})
                changed.append(name)
        return changed

    def use_demo_sets(self, sets: Sequence[Sequence[Sequence[str]]]) -> bool:
        """Make ``sets`` (each a list of [question, answer] demos) the values of the few-shot block's
        ``demos`` parameter instead of labeled training pairs; False when ``fewshot`` is not in the
        space or there are no sets."""
        if "fewshot" not in self.blocks or not sets:
            return False
        b = self.blocks["fewshot"]
        values = tuple(_json_native(s) for s in sets)
        self.blocks["fewshot"] = replace(b, params={**b.params, "demos": values})
        return True

    def _labeled_demos(self, name: str) -> bool:
        """True for the few-shot block while its demos are drawn pair by pair from ``demos``."""
        return name == "fewshot" and "demos" not in self.blocks[name].params

    # -- building specs ---------------------------------------------------------------------
    def normalize(self, spec: DesignSpec) -> DesignSpec:
        """Drop parameters equal to their defaults (so equal designs get equal ids), recursively."""
        b = self.blocks.get(spec.block)
        params = dict(spec.params)
        if b is not None:
            params = {k: v for k, v in params.items() if b.defaults.get(k, object()) != _json_native(v)}
        children = tuple(self.normalize(c) for c in spec.children)
        model = None if spec.model == self.default_model else spec.model
        return DesignSpec(block=spec.block, params=params, children=children, model=model)

    def random_params(self, name: str, rng: random.Random) -> dict:
        b = self.blocks[name]
        params = {p: rng.choice(ch) for p, ch in b.params.items()}
        if self._labeled_demos(name):
            params["demos"] = self.random_demos(rng)
        return params

    def random_demos(self, rng: random.Random) -> list:
        k = min(rng.choice(DEMO_COUNTS), len(self.demos))
        return [list(self.demos[i]) for i in sorted(rng.sample(range(len(self.demos)), k))]

    def random_tree(self, rng: random.Random, depth: int = 1) -> DesignSpec:
        names = list(self.blocks) if depth < self.max_depth else self.leaves
        name = rng.choice(names)
        b = self.blocks[name]
        children: tuple = ()
        if b.composite:
            k = rng.randint(1, min(b.max_children, 3))
            children = tuple(self.random_tree(rng, depth + 1) for _ in range(k))
        model = rng.choice(self.models) if self.models and depth == 1 else None
        return DesignSpec(block=name, params=self.random_params(name, rng), children=children, model=model)

    def valid(self, spec: DesignSpec) -> bool:
        if depth(spec) > self.max_depth:
            return False
        if any(n.block not in self.blocks for _, n in nodes(spec)):
            return False
        try:
            spec.build()
        except Exception:
            return False
        return True

    def random_spec(self, rng: random.Random) -> DesignSpec:
        for _ in range(50):
            spec = self.normalize(self.random_tree(rng))
            if self.valid(spec):
                return spec
        raise RuntimeError("could not sample a valid design from the search space")

    # -- mutation and crossover -------------------------------------------------------------
    def mutate_described(self, spec: DesignSpec, rng: random.Random) -> tuple[DesignSpec, str]:
        """A different valid design one edit away, and a note saying what the edit was."""
        ops = ["param", "param", "param", "block", "child", "wrap", "unwrap"] + (["model"] if self.models else [])
        for _ in range(60):
            op = rng.choice(ops)
            out = self._mutate(spec, op, rng)
            if out is None:
                continue
            new, note = out
            new = self.normalize(new)
            if new.id != spec.id and self.valid(new):
                return new, note
        return self.random_spec(rng), "random restart (no valid one-edit neighbour found)"

    def _mutate(self, spec: DesignSpec, op: str, rng: random.Random) -> tuple[DesignSpec, str] | None:
        all_nodes = nodes(spec)
        if op == "param":
            cands = [(p, n) for p, n in all_nodes if n.block in self.blocks
                     and (self.blocks[n.block].params or n.block == "fewshot")]
            if not cands:
                return None
            path, node = rng.choice(cands)
            b = self.blocks[node.block]
            keys = list(b.params) + (["demos"] if self._labeled_demos(node.block) else [])
            key = rng.choice(keys)
            params = dict(node.params)
            if key == "demos" and self._labeled_demos(node.block):
                params["demos"] = self.random_demos(rng)
            else:
                current = params.get(key, b.defaults.get(key))
                others = [v for v in b.params[key] if v != current]
                if not others:
                    return None
                params[key] = rng.choice(others)
            new = DesignSpec(block=node.block, params=params, children=node.children, model=node.model)
            return replace_at(spec, path, new), f"{node.block}.{key} -> {params[key]!r:.60}"
        if op == "block":
            leaves = [(p, n) for p, n in all_nodes if not n.children]
            if not leaves:
                return None
            path, node = rng.choice(leaves)
            name = rng.choice([b for b in self.leaves if b != node.block] or self.leaves)
            new = DesignSpec(block=name, params=self.random_params(name, rng))
            return replace_at(spec, path, new), f"{node.block} -> {name}"
        if op == "child":
            comps = [(p, n) for p, n in all_nodes if n.children]
            if not comps:
                return None
            path, node = rng.choice(comps)
            i = rng.randrange(len(node.children))
            sub = self.random_tree(rng, len(path) + 2)
            kids = list(node.children)
            kids[i] = sub
            new = DesignSpec(block=node.block, params=node.params, children=tuple(kids), model=node.model)
            return replace_at(spec, path, new), f"child {i} of {node.block} -> {sub.block}"
        if op == "wrap":
            if not self.wrappers:
                return None
            path, node = rng.choice(all_nodes)
            w = rng.choice(self.wrappers)
            new = DesignSpec(block=w, params=self.random_params(w, rng), children=(node,))
            return replace_at(spec, path, new), f"wrap {node.block} in {w}"
        if op == "unwrap":
            comps = [(p, n) for p, n in all_nodes if n.children]
            if not comps:
                return None
            path, node = rng.choice(comps)
            return replace_at(spec, path, rng.choice(node.children)), f"unwrap {node.block}"
        if op == "model" and self.models:
            path, node = rng.choice(all_nodes)
            current = node.model or (self.default_model if not path else None)
            choices = [m for m in self.models if m != current] + ([None] if path and node.model else [])
            model = rng.choice(choices)
            new = DesignSpec(block=node.block, params=node.params, children=node.children, model=model)
            return replace_at(spec, path, new), f"{node.block} model -> {model or 'inherited'}"
        return None

    def crossover(self, a: DesignSpec, b: DesignSpec, rng: random.Random) -> DesignSpec:
        """Same root block: each parameter from either parent, children crossed pairwise; otherwise
        a random subtree of ``a`` is replaced by a random subtree of ``b`` (Koza-style)."""
        for _ in range(30):
            child = self._cross(a, b, rng)
            child = self.normalize(child)
            if self.valid(child):
                return child
        return a

    def _cross(self, a: DesignSpec, b: DesignSpec, rng: random.Random) -> DesignSpec:
        if a.block == b.block:
            keys = sorted(set(a.params) | set(b.params))
            defaults = self.blocks[a.block].defaults if a.block in self.blocks else {}
            params = {}
            for k in keys:
                src = a if rng.random() < 0.5 else b
                v = src.params.get(k, defaults.get(k))
                if v is not None:
                    params[k] = v
            kids = []
            for i in range(max(len(a.children), len(b.children))):
                ca = a.children[i] if i < len(a.children) else None
                cb = b.children[i] if i < len(b.children) else None
                if ca is not None and cb is not None:
                    kids.append(self._cross(ca, cb, rng))
                elif rng.random() < 0.5:
                    kids.append(ca or cb)
            if not kids and (a.children or b.children):
                kids = list(a.children or b.children)
            model = (a if rng.random() < 0.5 else b).model if self.models else a.model
            return DesignSpec(block=a.block, params=params, children=tuple(kids), model=model)
        pa, _ = rng.choice(nodes(a))
        _, nb = rng.choice(nodes(b))
        return replace_at(a, pa, nb)

    # -- the flattened parameterization (TPE) -----------------------------------------------
    def spec_from_trial(self, trial) -> DesignSpec:
        """Ask ``trial`` (an optuna trial, or anything with ``suggest_categorical``) for a design.

        Root block is categorical; each block's parameters are conditional on it (named
        ``block.param``, values by index into the choice list); a composite root asks for its
        child among the leaves (``block>child``, ``block>child.param``); few-shot asks for the
        number of demos and each demo's index into the training pool. At most two levels.
        """
        names = list(self.blocks) if self.max_depth >= 2 else self.leaves
        root = trial.suggest_categorical("block", names)
        spec = self._suggest(trial, root, "", self.max_depth)
        if self.models:
            spec = spec.model_copy(update={"model": trial.suggest_categorical("model", list(self.models))})
        return self.normalize(spec)

    def _suggest(self, trial, name: str, prefix: str, room: int) -> DesignSpec:
        b = self.blocks[name]
        params: dict = {}
        for p, ch in b.params.items():
            params[p] = ch[trial.suggest_categorical(f"{prefix}{name}.{p}", list(range(len(ch))))]
        if self._labeled_demos(name):
            k = trial.suggest_categorical(f"{prefix}fewshot.k", [c for c in DEMO_COUNTS if c <= len(self.demos)])
            idx = sorted({trial.suggest_categorical(f"{prefix}fewshot.demo{i}", list(range(len(self.demos))))
                          for i in range(k)})
            params["demos"] = [list(self.demos[i]) for i in idx]
        children: tuple = ()
        if b.composite:
            leaves = self.leaves
            child = trial.suggest_categorical(f"{prefix}{name}>child", leaves)
            children = (self._suggest(trial, child, f"{prefix}{name}>", room - 1),)
        return DesignSpec(block=name, params=params, children=children)


# ---- tree helpers ------------------------------------------------------------------------------
def nodes(spec: DesignSpec, path: tuple = ()) -> list[tuple[tuple, DesignSpec]]:
    """Every node with its path (child indices from the root), root first."""
    out = [(path, spec)]
    for i, c in enumerate(spec.children):
        out += nodes(c, path + (i,))
    return out


def replace_at(spec: DesignSpec, path: tuple, new: DesignSpec) -> DesignSpec:
    if not path:
        return new
    kids = list(spec.children)
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new)
    return DesignSpec(block=spec.block, params=spec.params, children=tuple(kids), model=spec.model)


def depth(spec: DesignSpec) -> int:
    return 1 + max((depth(c) for c in spec.children), default=0)


# ---- module-level operators on a default space ------------------------------------------------
_DEFAULT: Space | None = None


def default_space() -> Space:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Space.from_registry()
    return _DEFAULT


def random_spec(rng: random.Random, space: Space | None = None) -> DesignSpec:
    """A random valid design from ``space`` (default: every registered block, no demos)."""
    return (space or default_space()).random_spec(rng)


def mutate(spec: DesignSpec, rng: random.Random, space: Space | None = None) -> DesignSpec:
    """A different valid design one edit away from ``spec``."""
    return (space or default_space()).mutate_described(spec, rng)[0]


def crossover(a: DesignSpec, b: DesignSpec, rng: random.Random, space: Space | None = None) -> DesignSpec:
    """A valid design mixing ``a`` and ``b``."""
    return (space or default_space()).crossover(a, b, rng)
