"""Markdown tables of the search suite (``bench/search_suite.sh``): one per task and one overall.

Each task folder under the suite's output holds ``report.json`` (the search's report: its promotion
re-measured the best baseline by validation and the found designs on the test split, with paired
bootstrap deltas and labels) and ``test_eval.json`` (``agentarch eval --json`` of ``cot`` and that
baseline on the same test examples, so ``cot`` gets a row and a paired delta even when the search
did not promote it). The numbers of promoted designs are the report's own; ``cot``'s delta is
computed here the way the promotion computes one (same bootstrap, same noise-floor rule).

    .venv/bin/python bench/suite_table.py table bench/out/suite            # every task folder in it
    .venv/bin/python bench/suite_table.py reference bench/out/suite/TASK/report.json
    .venv/bin/python bench/suite_table.py latest bench/out/suite/TASK/runs   # newest report.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from agentarch.runtime.stats import paired_bootstrap
from agentarch.search.promote import significance

REPORT, TEST_EVAL = "report.json", "test_eval.json"


def _fmt_acc(score: Optional[float], low: Optional[float] = None, high: Optional[float] = None) -> str:
    if score is None:
        return "—"
    return f"{score:.3f} [{low:.3f}, {high:.3f}]" if low is not None and high is not None else f"{score:.3f}"


def _fmt_delta(delta: Optional[dict]) -> str:
    if not delta:
        return "—"
    return f"{delta['mean']:+.3f} [{delta['low']:+.3f}, {delta['high']:+.3f}]"


def noise_floor(report: dict) -> Optional[float]:
    """The search's measured noise floor (None when it was not measured)."""
    noise = report.get("noise") or {}
    return noise.get("floor") if noise.get("measured") else None


def cot_delta(test_eval: dict, mine_id: str, ref_id: str, floor: Optional[float]) -> Optional[dict]:
    """Design ``mine_id`` (``cot``) minus the reference on the test examples both were scored on, with the label the
    promotion would give it (``search/promote.py``)."""
    rows = {r["design_id"]: r for r in test_eval.get("results", [])}
    if mine_id not in rows or ref_id not in rows:
        return None
    mine, ref = rows[mine_id]["scores"], rows[ref_id]["scores"]
    common = [i for i in mine if i in ref]
    if not common:
        return None
    cmp = paired_bootstrap([mine[i] for i in common], [ref[i] for i in common])
    return {"mean": cmp.diff.mean, "low": cmp.diff.low, "high": cmp.diff.high, "n": len(common),
            "label": significance(cmp.diff.low, cmp.diff.high, cmp.diff.mean, floor)}


def cot_id() -> str:
    """The design id of the ``cot`` baseline preset."""
    from agentarch.blocks.presets import baselines

    return baselines(["cot"])["cot"].id


def task_rows(report: dict, test_eval: Optional[dict] = None) -> list[dict]:
    """One row per design measured on test: the promoted designs (the best baseline by validation,
    the found designs, Pareto-front designs) and ``cot`` from ``test_eval`` when it was not promoted.
    Each row: role, label, val, test (score/low/high/n), tokens per test example, delta, label."""
    promo = report.get("promotion") or {}
    floor = noise_floor(report)
    out = []
    for r in promo.get("designs", []):
        if r["design"] == promo.get("reference"):
            role = f"best baseline ({r['name']})"
        elif r.get("baseline"):
            role = f"baseline ({r['name']})"
        else:
            role = "found"
        t = r["test"]
        d = r.get("delta")
        out.append({"role": role, "design": r["design"], "label": r["label"], "val": r["val"]["score"],
                    "test": t["score"], "low": t["low"], "high": t["high"], "n": t["n"], "tokens": t["tokens"],
                    "delta": d, "sig": d["label"] if d else ("reference" if role.startswith("best") else "—")})
    if test_eval:
        cot = next((r for r in test_eval.get("results", []) if r.get("design_id") == cot_id()), None)
        ref_id = promo.get("reference")
        if cot is not None and all(row["design"] != cot["design_id"] for row in out):
            d = cot_delta(test_eval, cot["design_id"], ref_id, floor) if ref_id else None
            acc = cot["accuracy"]
            out.insert(1 if ref_id else 0,
                       {"role": "cot", "design": cot["design_id"], "label": "cot", "val": None,
                        "test": acc["mean"], "low": acc["low"], "high": acc["high"], "n": cot["n"],
                        "tokens": cot["tokens"], "delta": d, "sig": d["label"] if d else "—"})
    for row in out:
        if row["design"] == cot_id() and row["role"] != "cot":
            row["role"] += ", cot"
    return out


def best_found(rows: list[dict], report: dict) -> Optional[dict]:
    """The found design the search ranks first by validation (objective value, cheaper on a tie)."""
    promo = {r["design"]: r for r in (report.get("promotion") or {}).get("designs", [])}
    found = [r for r in rows if r["role"] == "found"]
    if not found:
        return None
    return max(found, key=lambda r: (promo[r["design"]]["val"]["value"], -promo[r["design"]]["val"]["tokens"]))


def task_table(name: str, report: dict, test_eval: Optional[dict] = None) -> str:
    rows = task_rows(report, test_eval)
    floor = noise_floor(report)
    spent = report.get("spent") or {}
    race = report.get("racing") or {}
    noise = f"noise floor {floor:.3f}" if floor is not None else "noise floor not measured"
    lines = [f"### {name}", "",
             f"search: {spent.get('calls', '?')} calls, stopped by {report.get('stop_reason', '?')}; "
             f"racing screened {race.get('screened', '—')}, {race.get('reached_full', '—')} reached full "
             f"validation; {noise}", "",
             "| design | role | val acc | test acc [95% CI] | n | tokens/example "
             "| Δ vs best baseline [95% CI] | label |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `{r['label']}` | {r['role']} | {_fmt_acc(r['val'])} "
                     f"| {_fmt_acc(r['test'], r['low'], r['high'])} | {r['n']} | {r['tokens']:.0f} "
                     f"| {_fmt_delta(r['delta'])} | {r['sig']} |")
    return "\n".join(lines) + "\n"


def overall_rows(tasks: dict[str, tuple[dict, Optional[dict]]]) -> list[dict]:
    """Per task: cot, the best baseline and the best found design on test, and the found design's
    paired delta against the best baseline with its label."""
    out = []
    for name, (report, test_eval) in tasks.items():
        rows = task_rows(report, test_eval)
        ref = next((r for r in rows if r["role"].startswith("best baseline")), None)
        cot = next((r for r in rows if r["design"] == cot_id()), None)
        found = best_found(rows, report)
        out.append({"task": name, "n": ref["n"] if ref else None,
                    "cot": cot["test"] if cot else None,
                    "ref_name": (report.get("promotion") or {}).get("reference_name"),
                    "ref": ref["test"] if ref else None,
                    "found_label": found["label"] if found else None, "found": found["test"] if found else None,
                    "delta": found["delta"] if found else None, "sig": found["sig"] if found else "no found design"})
    return out


def _mean(values: list) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def overall_table(tasks: dict[str, tuple[dict, Optional[dict]]]) -> str:
    rows = overall_rows(tasks)
    lines = ["### overall", "",
             "| task | n test | cot | best baseline (val) | found design "
             "| Δ found − best baseline [95% CI] | label |",
             "|---|---:|---:|---|---|---:|---|"]
    for r in rows:
        found = f"`{r['found_label']}` {_fmt_acc(r['found'])}" if r["found_label"] else "—"
        lines.append(f"| {r['task']} | {r['n'] if r['n'] is not None else '—'} | {_fmt_acc(r['cot'])} "
                     f"| {r['ref_name'] or '—'} {_fmt_acc(r['ref'])} | {found} | {_fmt_delta(r['delta'])} "
                     f"| {r['sig']} |")
    lines.append(f"| **mean over tasks** | | {_fmt_acc(_mean([r['cot'] for r in rows]))} "
                 f"| {_fmt_acc(_mean([r['ref'] for r in rows]))} | {_fmt_acc(_mean([r['found'] for r in rows]))} "
                 f"| {_mean_delta(rows)} | |")
    tally: dict[str, int] = {}
    for r in rows:
        tally[r["sig"]] = tally.get(r["sig"], 0) + 1
    lines += ["", "found design vs best baseline: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))]
    return "\n".join(lines) + "\n"


def _mean_delta(rows: list[dict]) -> str:
    """The mean of the tasks' deltas (no interval: the tasks' intervals do not average into one)."""
    deltas = [r["delta"]["mean"] for r in rows if r["delta"]]
    return f"{sum(deltas) / len(deltas):+.3f} (mean)" if deltas else "—"


def load_folder(folder: Path) -> Optional[tuple[dict, Optional[dict]]]:
    """``(report, test_eval)`` of one task folder, or None when its search has not finished."""
    report = folder / REPORT
    if not report.is_file():
        return None
    test_eval = folder / TEST_EVAL
    return json.loads(report.read_text()), json.loads(test_eval.read_text()) if test_eval.is_file() else None


def suite_markdown(root: Path, names: Optional[list[str]] = None) -> str:
    names = names or sorted(p.name for p in root.iterdir() if p.is_dir())
    tasks = {n: got for n in names if (got := load_folder(root / n)) is not None}
    if not tasks:
        return f"no finished task under {root}\n"
    return "\n".join([overall_table(tasks), *(task_table(n, *t) for n, t in tasks.items())])


def latest_report(runs: Path) -> Path:
    found = sorted(runs.glob("*/report.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"{runs}: no */report.json (did the search finish?)")
    return found[-1]


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table", help="Markdown tables of every finished task under ROOT.")
    t.add_argument("root", type=Path)
    t.add_argument("--tasks", default="", help="Comma list of task folders (default: all).")
    r = sub.add_parser("reference", help="The best baseline's preset name in a report.json.")
    r.add_argument("report", type=Path)
    la = sub.add_parser("latest", help="The newest */report.json under a runs folder.")
    la.add_argument("runs", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "table":
        print(suite_markdown(a.root, [n for n in a.tasks.split(",") if n] or None), end="")
    elif a.cmd == "reference":
        print((json.loads(a.report.read_text()).get("promotion") or {}).get("reference_name") or "")
    else:
        print(latest_report(a.runs))


if __name__ == "__main__":
    main(sys.argv[1:])
