"""Objectives and the accuracy/cost Pareto front.

``accuracy`` ranks designs by validation score; ``cost-aware`` by score - lambda * tokens / 1000
(a scalarised cost penalty); ``pareto`` keeps every design no other beats on both accuracy and
tokens per example (multi-objective selection as in NSGA-II, Deb et al., 2002: non-dominated
sorting, with accuracy as the tie-break inside a front).
"""

from __future__ import annotations

from typing import Iterable, Sequence, TypeVar

from agentarch.errors import ConfigError

OBJECTIVES = ("accuracy", "pareto", "cost-aware")
DEFAULT_LAMBDA = 0.05  # score points per 1000 tokens per example

T = TypeVar("T")


def check_objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")
    return objective


def objective_value(score: float, tokens: float, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> float:
    """The scalar a search maximises (``pareto`` uses accuracy as its scalar, e.g. for patience)."""
    if objective == "cost-aware":
        return score - lam * tokens / 1000.0
    return score


def value_of(s, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> float:
    """``objective_value`` of anything with ``.score`` and ``.tokens`` (a ``Scored``)."""
    return objective_value(s.score, s.tokens, objective, lam)


def cautious_value(s, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> float:
    """``value_of``, or for a design racing stopped on a few examples (``s.partial``) the lower end
    of its interval, so 2 right of 3 does not outrank 26 of 60 when an optimizer ranks designs."""
    v = value_of(s, objective, lam)
    return v - (s.score - s.low) if s.partial else v


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """(score, tokens): a is at least as accurate and as cheap as b, and strictly better in one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def pareto_front(items: Sequence[T], key=lambda s: (s.score, s.tokens)) -> list[T]:
    """The non-dominated items (highest score first); duplicates of a point are all kept."""
    pts = [key(x) for x in items]
    front = [x for x, p in zip(items, pts) if not any(dominates(q, p) for q in pts)]
    return sorted(front, key=lambda x: (-key(x)[0], key(x)[1]))


def pareto_ranks(items: Sequence[T], key=lambda s: (s.score, s.tokens)) -> list[int]:
    """Non-dominated sorting: rank 0 is the front, rank 1 the front of what remains, ..."""
    pts = [key(x) for x in items]
    ranks = [-1] * len(items)
    left = set(range(len(items)))
    r = 0
    while left:
        front = {i for i in left if not any(dominates(pts[j], pts[i]) for j in left if j != i)}
        for i in front:
            ranks[i] = r
        left -= front
        r += 1
    return ranks


def best(items: Iterable[T], objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> T | None:
    """The item with the highest objective value (earliest wins a tie), or None."""
    out, top = None, float("-inf")
    for s in items:
        v = value_of(s, objective, lam)
        if v > top:
            out, top = s, v
    return out
