"""Typed one-step edits of a block design, for AFlow-style workflow search (Zhang et al., 2025,
'AFlow: Automating Agentic Workflow Generation').

AFlow's optimizer changes a workflow by one modification per round. Here a modification is one of
a few typed operators on the ``DesignSpec`` tree, each applied at one node (``path`` = child
indices from the root):

- ``param``: change one parameter of one block (ints step/double, temperatures from a ladder,
  literals and known string choices switch, booleans flip);
- ``wrap``: put the node inside a block that takes a child (self-consistency, refine, best-of-n, ...);
- ``unwrap``: replace a wrapping block by its child;
- ``swap_child``: inside a wrapper, use another leaf block as the child;
- ``replace``: use another block in the node's place (a leaf for a leaf; a wrapper for a wrapper,
  keeping its child).

Every result is built (parameters validated) before it is offered, and edits whose result is
already known — compared in ``canonical`` form, so ``self_consistency`` and
``self_consistency(n=5)[cot]`` are the same design — are left out.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any, Iterable, Literal, get_args, get_origin

from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec

OPS = ("param", "wrap", "unwrap", "swap_child", "replace")

# String parameters that are really a choice among a few names (free text is never edited).
STR_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("cot", "instruction"): ("step_by_step", "careful", "plan"),
    ("debate", "final"): ("vote", "judge"),
}
TEMPERATURES = (0.0, 0.3, 0.7, 1.0)
NOT_EDITED = {"seed", "source", "name"}


@dataclass(frozen=True)
class Edit:
    """One typed modification and the design it gives."""

    op: str
    path: tuple[int, ...]
    text: str  # readable, for the meta model and the candidate's note
    spec: DesignSpec


# ----------------------------------------------------------------------------- tree helpers


def children_of(spec: DesignSpec) -> tuple[DesignSpec, ...]:
    """The explicit children, or the block's default children when none are given."""
    if spec.children:
        return spec.children
    cls = all_blocks().get(spec.block)
    return tuple(DesignSpec(block=b) for b in (cls.default_children if cls else ()))


def node_at(spec: DesignSpec, path: tuple[int, ...]) -> DesignSpec:
    for i in path:
        spec = children_of(spec)[i]
    return spec


def replace_at(spec: DesignSpec, path: tuple[int, ...], new: DesignSpec) -> DesignSpec:
    if not path:
        return new
    kids = list(children_of(spec))
    kids[path[0]] = replace_at(kids[path[0]], path[1:], new)
    return DesignSpec(block=spec.block, params=dict(spec.params), children=tuple(kids))


def paths(spec: DesignSpec, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    out = [prefix]
    for i, c in enumerate(children_of(spec)):
        out += paths(c, prefix + (i,))
    return out


def depth(spec: DesignSpec) -> int:
    kids = children_of(spec)
    return 1 + (max(depth(c) for c in kids) if kids else 0)


def canonical_dict(spec: DesignSpec) -> dict:
    """The spec with every parameter filled in and default children made explicit."""
    cls = all_blocks().get(spec.block)
    params: Any = dict(spec.params)
    if cls is not None:
        try:
            params = cls.Params(**spec.params).model_dump(mode="json")
        except Exception:  # noqa: BLE001 - an invalid spec keeps its raw params
            pass
    return {"block": spec.block, "params": params,
            "children": [canonical_dict(c) for c in children_of(spec)]}


def canonical_id(spec: DesignSpec) -> str:
    """Equal for designs that behave the same whether defaults are spelled out or not."""
    blob = json.dumps(canonical_dict(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- block kinds


NEEDS_DATA = {"code_agent", "fewshot"}  # blocks that do nothing of their own without data: code_agent
#                                        has no source; fewshot without demos passes the question through
#                                        (an mcts run wrapped cot in it and measured cot again)


def _fitted(cls) -> bool:
    """Blocks whose parameters hold fitted data (routes, policies) are not edit targets."""
    return any(get_origin(f.annotation) is dict or f.annotation is dict
               for f in cls.Params.model_fields.values())


def block_kinds(allowed: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(wrappers, leaves): registered blocks usable in edits — wrappers take a child, leaves do not.
    Blocks that need data (``NEEDS_DATA``, fitted routers) are left out."""
    allowed_set = set(allowed) if allowed else None
    wrappers, leaves = [], []
    for name, cls in all_blocks().items():
        if allowed_set is not None and name not in allowed_set:
            continue
        if name in NEEDS_DATA or _fitted(cls):
            continue
        try:
            DesignSpec(block=name).build()
        except Exception:  # noqa: BLE001 - needs parameters we cannot invent
            continue
        (wrappers if cls.max_children >= 1 else leaves).append(name)
    return wrappers, leaves


# ----------------------------------------------------------------------------- parameters


def param_values(block: str, key: str, field, current: Any) -> list[Any]:
    """Neighbouring values worth trying for one parameter (may be empty)."""
    if key in NOT_EDITED:
        return []
    ann = field.annotation
    if get_origin(ann) is Literal:
        return [v for v in get_args(ann) if v != current]
    if (block, key) in STR_CHOICES:
        return [v for v in STR_CHOICES[(block, key)] if v != current]
    if ann is bool:
        return [not current]
    if ann is int and isinstance(current, int):
        if "tokens" in key:
            return [v for v in (current // 2, current * 2) if 32 <= v <= 1024]
        low = 0 if field.default == 0 else 1
        top = max(16, 2 * int(field.default or 0))
        vals = [current - 1, current + 1, current * 2]
        return sorted({v for v in vals if low <= v <= top and v != current})
    if ann is float and isinstance(current, (int, float)):
        if "temperature" in key:
            return [t for t in TEMPERATURES if abs(t - current) > 1e-9]
        if 0.0 <= current <= 1.0 and "timeout" not in key:
            return [v for v in (round(current - 0.1, 2), round(current + 0.1, 2)) if 0.0 <= v <= 1.0]
    return []


def _fmt(v: Any) -> str:
    return json.dumps(v) if isinstance(v, str) else str(v)


# ----------------------------------------------------------------------------- edits


def all_edits(spec: DesignSpec, wrappers: list[str], leaves: list[str], max_depth: int = 4) -> list[Edit]:
    """Every typed one-step edit of ``spec`` whose result builds (duplicates of each other removed)."""
    blocks = all_blocks()
    out: list[Edit] = []
    for path in paths(spec):
        node = node_at(spec, path)
        cls = blocks.get(node.block)
        if cls is None:
            continue
        where = f" (inside {node_at(spec, path[:-1]).block})" if path else ""
        # param
        if node.block != "code_agent":
            current = cls.Params(**node.params)
            for key, field in cls.Params.model_fields.items():
                cur = getattr(current, key)
                for v in param_values(node.block, key, field, cur):
                    new = DesignSpec(block=node.block, params={**node.params, key: v},
                                     children=node.children)
                    out.append(Edit("param", path, f"change {node.block}.{key} from {_fmt(cur)} to "
                                    f"{_fmt(v)}{where}", replace_at(spec, path, new)))
        # wrap
        parent_block = node_at(spec, path[:-1]).block if path else ""
        for w in wrappers:
            if w in (node.block, parent_block):  # no self_consistency[self_consistency[...]]
                continue
            new_spec = replace_at(spec, path, DesignSpec(block=w, children=(node,)))
            if depth(new_spec) > max_depth:
                continue
            what = "the whole workflow" if not path else node.block + where
            out.append(Edit("wrap", path, f"wrap {what} in {w}: {blocks[w].summary}", new_spec))
        kids = children_of(node)
        # unwrap
        if cls.max_children >= 1 and kids:
            out.append(Edit("unwrap", path, f"remove {node.block}{where}, keep its inner "
                            f"{kids[0].label()}", replace_at(spec, path, kids[0])))
        # swap_child / replace
        if cls.max_children == 0:
            for leaf in leaves:
                if leaf == node.block:
                    continue
                new = DesignSpec(block=leaf)
                if path:
                    parent = node_at(spec, path[:-1]).block
                    text = f"inside {parent}, use {leaf} instead of {node.block}: {blocks[leaf].summary}"
                    out.append(Edit("swap_child", path, text, replace_at(spec, path, new)))
                else:
                    out.append(Edit("replace", path, f"replace {node.block} with {leaf}: "
                                    f"{blocks[leaf].summary}", new))
        else:
            for w in wrappers:
                if w == node.block:
                    continue
                new = DesignSpec(block=w, children=kids)
                out.append(Edit("replace", path, f"replace {node.block}{where} with {w} (same inner "
                                f"part): {blocks[w].summary}", replace_at(spec, path, new)))
    good, seen = [], {canonical_id(spec)}
    for e in out:
        try:
            e.spec.build()
        except Exception:  # noqa: BLE001 - an invalid combination is simply not offered
            continue
        cid = canonical_id(e.spec)
        if cid not in seen:
            seen.add(cid)
            good.append(e)
    return good


def menu(edits: list[Edit], rng: random.Random, size: int) -> list[Edit]:
    """Up to ``size`` edits, balanced across operators (round-robin over shuffled groups), in a
    shuffled order."""
    groups: dict[str, list[Edit]] = {}
    for e in edits:
        groups.setdefault(e.op, []).append(e)
    order = [op for op in OPS if op in groups]
    for op in order:
        rng.shuffle(groups[op])
    chosen: list[Edit] = []
    while len(chosen) < size and any(groups[op] for op in order):
        for op in order:
            if groups[op] and len(chosen) < size:
                chosen.append(groups[op].pop())
    rng.shuffle(chosen)
    return chosen
