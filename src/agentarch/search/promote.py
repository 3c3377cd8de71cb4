"""Promotion: re-measure the chosen designs on the test split the search never touched.

Selection on validation overfits it (the winner's validation score is biased upwards; the
"winner's curse"), so the reported number is a fresh measurement on held-out test examples, with a
95% bootstrap interval, and each design is compared with the best baseline -- best by
*validation*, measured on the same test examples -- by a paired bootstrap of the difference
(Efron & Tibshirani, 1993). A difference whose interval covers 0 is labelled "not significant".
"""

from __future__ import annotations

from typing import Callable

from agentarch.runtime.stats import bootstrap_mean, paired_bootstrap
from agentarch.search.base import Scored
from agentarch.search.pareto import DEFAULT_LAMBDA, pareto_front, value_of

MAX_FRONT = 5  # at most this many Pareto-front designs are promoted besides the top-k


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

    baselines = [s for s in history if s.id in base]
    found = [s for s in history if s.id not in base]
    if baselines:
        add(rank(baselines)[0], "best baseline (val)")
    for s in rank(found)[:top_k]:
        add(s, f"top-{top_k} (val)")
    for s in pareto_front(history)[:MAX_FRONT]:
        add(s, "pareto front (val)")
    return [(s, chosen[s.id]) for s in order]


def significance(diff_low: float, diff_high: float) -> str:
    if diff_low > 0:
        return "better"
    if diff_high < 0:
        return "worse"
    return "not significant"


async def promote(evaluator, run_id: str, history: list[Scored], baseline_ids: dict[str, str], test, *,
                  top_k: int = 3, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA,
                  on_event: Callable[[str, dict], None] | None = None) -> dict:
    """Evaluate the selected designs on ``test`` and compare each with the best baseline.

    Returns a JSON-ready report: ``designs`` (each with validation and test scores, intervals,
    tokens/calls per example and ``delta`` vs the reference baseline) and ``reference``."""
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
                          "label": significance(cmp.diff.low, cmp.diff.high)}
    else:
        for r in rows:
            r["delta"] = None
    # The design to export: best by validation (the search's own criterion), cheaper on a tie.
    winner = max(rows, key=lambda r: (r["val"]["value"], -r["val"]["tokens"])) if rows else None
    return {"reference": ref["design"] if ref else None, "reference_name": ref["name"] if ref else None,
            "designs": rows, "complete": complete, "test_n": len(test),
            "winner": winner["design"] if winner else None,
            "note": "test scores were measured once, after the search; the search selected on validation only"}


def interval(scores) -> dict:
    iv = bootstrap_mean(scores)
    return {"mean": iv.mean, "low": iv.low, "high": iv.high}
