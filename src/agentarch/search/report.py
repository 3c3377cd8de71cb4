"""What a finished search leaves in ``runs/<run_id>/``: ``report.json`` (config, every evaluated
design with its validation score, the Pareto front, the anytime curve, the noise floor of the best
baseline, the promotion to test) and
``anytime.png`` (best validation score vs model calls spent, baselines as horizontal lines)."""

from __future__ import annotations

import json
from pathlib import Path

from agentarch.search.loop import SearchResult, scored_dict
from agentarch.search.pareto import DEFAULT_LAMBDA, pareto_front


def build_report(result: SearchResult, config: dict, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> dict:
    names = {v: k for k, v in result.baselines.items()}
    return {
        "run_id": result.run_id,
        "config": config,
        "stop_reason": result.stop_reason,
        "spent": result.spent,
        "best": scored_dict(result.best, objective, lam) if result.best else None,
        "baselines": {n: scored_dict(s, objective, lam) for s in result.history if (n := names.get(s.id))},
        "evaluated": [scored_dict(s, objective, lam) for s in result.history],
        "pareto": [s.id for s in pareto_front(result.history)],
        "curve": result.curve,
        "noise": result.noise or {"measured": False, "reason": "no promotion to test was run"},
        "promotion": result.report,
        "racing": result.race or {"enabled": False},
    }


def write_run_folder(out: str | Path, result: SearchResult, config: dict, objective: str = "accuracy",
                     lam: float = DEFAULT_LAMBDA, title: str = "", optimizer_stats: dict | None = None) -> Path:
    """Write ``report.json`` and ``anytime.png`` under ``out/<run_id>/``; returns the folder.
    ``optimizer_stats`` (e.g. how many meta proposals were valid code) goes into the report."""
    folder = Path(out) / result.run_id
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(result, config, objective, lam)
    if optimizer_stats:
        report["optimizer_stats"] = optimizer_stats
    (folder / "report.json").write_text(json.dumps(report, indent=1, default=str))
    from agentarch.search.plot import anytime_plot

    pts = [(p["calls"], p["best"]) for p in result.curve if p.get("best") is not None]
    base = {n: d["score"] for n, d in report["baselines"].items()}
    anytime_plot({config.get("optimizer", "search"): pts}, folder / "anytime.png", baselines=base,
                 title=title or f"{config.get('task', '')}: {config.get('optimizer', '')} (run {result.run_id})")
    return folder
