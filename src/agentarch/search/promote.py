"""Promotion: re-measure the chosen designs on the test split the search never touched.

Selection on validation overfits it (the winner's validation score is biased upwards; the
"winner's curse"), so the reported number is a fresh measurement on held-out test examples, with a
95% bootstrap interval, and each design is compared with the best baseline -- best by
*validation*, measured on the same test examples -- by a paired bootstrap of the difference
(Efron & Tibshirani, 1993). A difference whose interval covers 0 is labelled "not significant".

A significant difference is not enough when the model itself is noisy: when the search measured
the best baseline twice (``runtime/noise.py``), a design is labelled "better" only when its interval
excludes 0 *and* its gain exceeds that noise floor, "worse" only when its loss exceeds it, and
"within noise" when the interval excludes 0 but the difference is no larger than the floor. Without
a measured floor the labels rest on the interval alone, and the report says the floor is missing.
"""

from __future__ import annotations

from typing import Callable, Optional

from agentarch.runtime.stats import bootstrap_mean, paired_bootstrap
from agentarch.search.base import Scored
from agentarch.search.pareto import DEFAULT_LAMBDA, pareto_front, value_of

MAX_FRONT = 5  # at most this many Pareto-front designs are promoted besides the top-k


def best_baseline(history: list[Scored], baseline_ids: dict[str, str], objective: str = "accuracy",
                  lam: float = DEFAULT_LAMBDA) -> Scored | None:
    """The reference for every comparison: the baseline with the best validation objective
    (the earliest on a tie)."""
    base = set(baseline_ids.values())
    baselines = [s for s in history if s.id in base]
    return max(baselines, key=lambda s: value_of(s, objective, lam), default=None)


def select(history: list[Scored], baseline_ids: dict[str, str], *, top_k: int = 3,
           objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> list[tuple[Scored, list[str]]]:
    """The designs to promote, each with why: the best baseline by validation, the top-k found
    designs by the objective, and the validation accuracy/tokens Pareto front."""
    base = set(baseline_ids.values())
    chosen: dict[str, list[str]] = {}
    order: list[Scored] = []

    def add(s: Scored, why: str) -> None:
        if s.id not in chosen:
            chosen[s.id] = []
            order.append(s)
        if why not in chosen[s.id]:
            chosen[s.id].append(why)

    def rank(items):
        return sorted(items, key=lambda s: -value_of(s, objective, lam))  # stable: earliest wins ties

    found = [s for s in history if s.id not in base]
    ref = best_baseline(history, baseline_ids, objective, lam)
    if ref is not None:
        add(ref, "best baseline (val)")
    for s in rank(found)[:top_k]:
        add(s, f"top-{top_k} (val)")
    for s in pareto_front(history)[:MAX_FRONT]:
        add(s, "pareto front (val)")
    return [(s, chosen[s.id]) for s in order]


def significance(diff_low: float, diff_high: float, diff_mean: float = 0.0,
                 floor: Optional[float] = None) -> str:
    """The label of a paired difference: its interval must exclude 0, and with a measured noise
    ``floor`` its mean must also exceed the floor (strictly) to count as better or worse."""
    if diff_low <= 0 <= diff_high:
        return "not significant"
    if floor is not None and abs(diff_mean) <= floor:
        return "within noise"
    return "better" if diff_low > 0 else "worse"


async def promote(evaluator, run_id: str, history: list[Scored], baseline_ids: dict[str, str], test, *,
                  top_k: int = 3, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA,
                  on_event: Callable[[str, dict], None] | None = None, noise: dict | None = None) -> dict:
    """Evaluate the selected designs on ``test`` and compare each with the best baseline.

    ``noise`` is the search's noise measurement (``{"measured": bool, "floor": float | None, ...}``,
    see ``search.loop.measure_noise``); its floor, when measured, gates the better/worse labels.
    Returns a JSON-ready report: ``designs`` (each with validation and test scores, intervals,
    tokens/calls per example and ``delta`` vs the reference baseline), ``reference`` and ``noise``."""
    floor = noise.get("floor") if noise and noise.get("measured") else None
    picks = select(history, baseline_ids, top_k=top_k, objective=objective, lam=lam)
    names = {v: k for k, v in baseline_ids.items()}
    rows: list[dict] = []
    test_scores: dict[str, dict[str, float]] = {}
    complete = True
    for s, why in picks:
        summary = await evaluator.evaluate(s.candidate.spec, test, "test", run_id, role="promoted")
        test_scores[s.id] = summary.scores
        acc = summary.accuracy
        row = {"design": s.id, "label": s.candidate.spec.label(), "spec": s.candidate.spec.to_dict(),
               "name": names.get(s.id, ""), "origin": s.candidate.origin, "baseline": s.id in names,
               "why": why,
               "val": {"score": s.score, "low": s.low, "high": s.high, "tokens": s.tokens, "calls": s.calls,
                       "value": value_of(s, objective, lam)},
               "test": {"score": acc.mean, "low": acc.low, "high": acc.high, "tokens": summary.tokens,
                        "calls": summary.calls, "n": summary.n, "complete": summary.complete,
                        "errors": summary.errors}}
        rows.append(row)
        if on_event:
            on_event("promoted", row)
        if not summary.complete:
            complete = False
            break  # the test budget ran out: the rest would be partial too
    ref = next((r for r in rows if r["baseline"]), None)
    if ref is not None:
        ref_scores = test_scores[ref["design"]]
        for r in rows:
            mine = test_scores[r["design"]]
            common = [e.id for e in test if e.id in mine and e.id in ref_scores]
            if r is ref or not common:
                r["delta"] = None
                continue
            cmp = paired_bootstrap([mine[i] for i in common], [ref_scores[i] for i in common])
            r["delta"] = {"mean": cmp.diff.mean, "low": cmp.diff.low, "high": cmp.diff.high, "n": len(common),
                          "p_not_better": cmp.p_not_better,
                          "label": significance(cmp.diff.low, cmp.diff.high, cmp.diff.mean, floor)}
    else:
        for r in rows:
            r["delta"] = None
    # The design to export: best by validation (the search's own criterion), cheaper on a tie.
    winner = max(rows, key=lambda r: (r["val"]["value"], -r["val"]["tokens"])) if rows else None
    return {"reference": ref["design"] if ref else None, "reference_name": ref["name"] if ref else None,
            "designs": rows, "complete": complete, "test_n": len(test),
            "winner": winner["design"] if winner else None, "noise": noise,
            "note": "test scores were measured once, after the search; the search selected on validation only"}


def interval(scores) -> dict:
    iv = bootstrap_mean(scores)
    return {"mean": iv.mean, "low": iv.low, "high": iv.high}
