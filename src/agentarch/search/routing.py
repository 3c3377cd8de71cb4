"""Per-question strategy choice learned from evaluation history: a router (each kind of question
goes to the route that scored best on questions like it) and a compute-optimal policy (each
difficulty bin gets the strategy that scored best in it). Candidates are evaluated on training
examples; finished examples come from the store, so history already paid for costs nothing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Sequence

from agentarch.blocks.compute_optimal import BINS, fit_policy
from agentarch.blocks.router import featurize, fit_router, route_for
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
    vectors = dict(zip((e.id for e in examples),
                       await asyncio.to_thread(featurize, [e.input for e in examples], features)))
    rules = fit_router([(vectors[ex_id], label, s) for label, per in scores.items() for ex_id, s in per.items()],
                       features)
    design = DesignSpec(block="router", params={"routes": {k: v.to_dict() for k, v in routes.items()},
                                                "rules": rules, "default": next(iter(routes))})
    chosen: dict[str, int] = {}
    routed = []
    for e in examples:
        label = route_for(rules, vectors[e.id]) or next(iter(routes))
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


@dataclass
class PolicyFit:
    """A compute-optimal design whose per-difficulty policy was learned, and what it was learned from."""

    design: DesignSpec
    bins: dict[str, int]
    accuracy: dict[str, dict[str, float]]  # bin -> strategy label -> mean training score


PROBE_MAJORITY = "probe majority"


async def learn_compute_policy(evaluator, strategies: dict[str, DesignSpec], examples: Sequence,
                               split: str = "train", run_id: str | None = None, **probe_params) -> PolicyFit:
    """Snell et al.'s compute-optimal allocation learned from training examples: bin every example by
    the agreement of cheap probe samples, evaluate each strategy on them (finished examples come from
    the store), and give each bin the strategy that scored best there. A bin where the probes'
    own majority answer did best gets no strategy, so it costs only the probes."""
    if not strategies:
        raise ConfigError("learning a compute-optimal policy needs at least one strategy")
    probe = DesignSpec(block="compute_optimal", params={**probe_params, "policy": {}})
    summary = await evaluator.evaluate(probe, examples, split, run_id, role="probe")
    if not summary.complete:
        raise ConfigError("the budget ran out while probing difficulty; rerun to finish")
    rows = evaluator.stored_results(probe, examples)
    bins = {ex_id: json.loads(row["notes"] or "{}").get("compute_optimal.bin", "medium") for ex_id, row in rows.items()}
    records = [(bins[ex_id], PROBE_MAJORITY, s) for ex_id, s in summary.scores.items()]
    for label, spec in strategies.items():
        result = await evaluator.evaluate(spec, examples, split, run_id, role="strategy")
        if not result.complete:
            raise ConfigError(f"the budget ran out while evaluating strategy '{label}'; rerun to finish it")
        records += [(bins[ex_id], spec.to_json(), s) for ex_id, s in result.scores.items()]
    best = fit_policy(records)
    policy = {b: s for b, s in best.items() if s != {"block": PROBE_MAJORITY}}
    labels = {spec.to_json(): label for label, spec in strategies.items()}
    accuracy: dict[str, dict[str, float]] = {}
    for b, strategy, score in records:
        name = labels.get(strategy, strategy)
        total, n = accuracy.setdefault(b, {}).get(name, (0.0, 0))
        accuracy[b][name] = (total + score, n + 1)
    return PolicyFit(
        design=DesignSpec(block="compute_optimal", params={**probe_params, "policy": policy}),
        bins={b: list(bins.values()).count(b) for b in BINS if b in bins.values()},
        accuracy={b: {k: t / n for k, (t, n) in per.items()} for b, per in accuracy.items()},
    )
