"""Learn a router design from evaluation history: every candidate route is evaluated on training
examples (finished examples come from the store, so history already paid for costs nothing), and
the router's rules send each kind of question to the route that scored best on questions like it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Sequence

from agentarch.blocks.router import fit_router, route_for
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError


@dataclass
class RouterFit:
    """The learned router design and what it was learned from."""

    design: DesignSpec
    route_accuracy: dict[str, float]
    oracle_accuracy: float
    routed_accuracy: float
    chosen: dict[str, int] = field(default_factory=dict)


async def learn_router(evaluator, routes: dict[str, DesignSpec], examples: Sequence, split: str = "train",
                       run_id: str | None = None, features: str = "text") -> RouterFit:
    """Evaluate every route on ``examples`` (resuming from the store) and fit nearest-centroid rules.

    ``routed_accuracy`` is the fitted router's accuracy on the same examples, read from the stored
    scores (an in-sample figure; held-out accuracy comes from evaluating the design on test)."""
    if len(routes) < 2:
        raise ConfigError("a router needs at least two routes")
    scores: dict[str, dict[str, float]] = {}
    for label, spec in routes.items():
        summary = await evaluator.evaluate(spec, examples, split, run_id, role="route")
        if not summary.complete:
            raise ConfigError(f"the budget ran out while evaluating route '{label}'; rerun to finish it")
        scores[label] = summary.scores
    by_id = {e.id: e for e in examples}
    rules = fit_router([(by_id[ex_id].input, label, s) for label, per in scores.items() for ex_id, s in per.items()],
                       features)
    design = DesignSpec(block="router", params={"routes": {k: v.to_dict() for k, v in routes.items()},
                                                "rules": rules, "default": next(iter(routes))})
    chosen: dict[str, int] = {}
    routed = []
    for e in examples:
        label = (await asyncio.to_thread(route_for, rules, e.input)) or next(iter(routes))
        chosen[label] = chosen.get(label, 0) + 1
        routed.append(scores[label][e.id])
    n = len(examples) or 1
    return RouterFit(
        design=design,
        route_accuracy={k: sum(v.values()) / n for k, v in scores.items()},
        oracle_accuracy=sum(max(scores[k][e.id] for k in routes) for e in examples) / n,
        routed_accuracy=sum(routed) / n,
        chosen=chosen,
    )
