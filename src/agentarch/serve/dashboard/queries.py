"""What the dashboard shows, read from the store as JSON-ready dicts.

Every function takes a read-only connection (``readonly.connect``) and returns plain data: the
runs list, one run (anytime curve, Pareto front, designs with validation/test scores), one design
(tree, lineage, stored results) and one result's full trace. Nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from agentarch.search.pareto import pareto_front


class NotFound(LookupError):
    """The asked-for run, design or result is not in the store (the message says which)."""


def _json(text: str | None, default: Any = None) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def find_run(con: sqlite3.Connection, run_id: str) -> sqlite3.Row:
    """The run with this id or unique id prefix."""
    rows = con.execute("SELECT * FROM runs WHERE substr(id, 1, ?) = ? ORDER BY created DESC",
                       (len(run_id), run_id)).fetchall()
    if not rows:
        raise NotFound(f"no run '{run_id}' in the store")
    exact = [r for r in rows if r["id"] == run_id]
    if exact:
        return exact[0]
    if len(rows) > 1:
        raise NotFound(f"run id '{run_id}' is ambiguous: {', '.join(r['id'] for r in rows[:5])}")
    return rows[0]


def _run_row(r: sqlite3.Row, designs: int) -> dict:
    """One line of the runs table: what ran, on what, with which optimizer, how much it spent."""
    cfg = _json(r["config"], {}) or {}
    summary = _json(r["summary"])
    best = summary.get("best") if isinstance(summary, dict) else None
    spent = summary if isinstance(summary, dict) else {}
    return {
        "id": r["id"], "kind": r["kind"], "status": r["status"], "created": r["created"], "updated": r["updated"],
        "task": cfg.get("task"), "model": cfg.get("model"),
        "optimizer": cfg.get("optimizer") if r["kind"] == "search" else f"eval ({cfg.get('split', 'test')})",
        "budget_calls": cfg.get("budget_calls"), "budget_tokens": cfg.get("budget_tokens"),
        "spent_calls": spent.get("spent_calls"), "spent_tokens": spent.get("spent_tokens"),
        "stop_reason": spent.get("stop_reason"), "designs": designs,
        "best": {"design": best["design"], "label": best["label"], "score": best["score"]} if best else None,
    }


def list_runs(con: sqlite3.Connection, limit: int = 200) -> list[dict]:
    """The newest runs first."""
    counts = dict(con.execute("SELECT run_id, COUNT(DISTINCT design_id) FROM run_designs GROUP BY run_id").fetchall())
    rows = con.execute("SELECT * FROM runs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
    return [_run_row(r, counts.get(r["id"], 0)) for r in rows]


def _measure(summary: dict | None) -> dict | None:
    """An evaluator summary as {score, low, high, tokens, calls, n, complete, errors}."""
    if not summary:
        return None
    acc = summary.get("accuracy") or {}
    return {"score": acc.get("mean"), "low": acc.get("low"), "high": acc.get("high"),
            "tokens": summary.get("tokens"), "calls": summary.get("calls"), "n": summary.get("n"),
            "complete": summary.get("complete"), "errors": summary.get("errors")}


def _proposals(con: sqlite3.Connection, run_id: str) -> dict[str, dict]:
    """Design id -> how the run came to it (origin, parent, edit note, round, label), first proposal wins."""
    out: dict[str, dict] = {}
    for row in con.execute("SELECT data FROM events WHERE run_id=? AND kind='proposal' ORDER BY ts", (run_id,)):
        d = _json(row["data"], {}) or {}
        if "design" in d and d["design"] not in out:
            out[d["design"]] = {k: d.get(k) for k in ("label", "origin", "parent", "note", "round")}
    return out


def _curve(con: sqlite3.Connection, run_id: str) -> list[dict]:
    """The anytime curve: per evaluation, model calls spent so far, its score and the best so far."""
    out = []
    for row in con.execute("SELECT data FROM events WHERE run_id=? AND kind='evaluated' ORDER BY ts", (run_id,)):
        d = _json(row["data"], {}) or {}
        best = d.get("best") or {}
        out.append({"calls": d.get("spent_calls"), "tokens": d.get("spent_tokens"), "score": d.get("score"),
                    "complete": d.get("complete"), "design": d.get("design"), "label": d.get("label"),
                    "origin": d.get("origin"), "best": best.get("score"), "best_label": best.get("label")})
    return out


def _last_event(con: sqlite3.Connection, run_id: str, kind: str) -> dict | None:
    row = con.execute("SELECT data FROM events WHERE run_id=? AND kind=? ORDER BY ts DESC LIMIT 1",
                      (run_id, kind)).fetchone()
    return _json(row["data"]) if row else None


def run_detail(con: sqlite3.Connection, run_id: str) -> dict:
    """One run: its row, config, anytime curve, Pareto front on validation, designs and noise floor."""
    run = find_run(con, run_id)
    rid = run["id"]
    proposals = _proposals(con, rid)
    summary = _json(run["summary"])
    report = (summary.get("report") if isinstance(summary, dict) else None) or {}
    promoted = {r["design"]: r for r in report.get("designs", [])}
    designs: dict[str, dict] = {}
    for r in con.execute("SELECT rd.*, d.label, d.spec FROM run_designs rd JOIN designs d ON d.id = rd.design_id "
                         "WHERE rd.run_id=? ORDER BY rd.rowid", (rid,)):
        d = designs.setdefault(r["design_id"], {"design": r["design_id"], "label": r["label"], "roles": [],
                                                "val": None, "test": None, **proposals.get(r["design_id"], {})})
        d["label"] = r["label"]
        if r["role"] and r["role"] not in d["roles"]:
            d["roles"].append(r["role"])
        d[r["split"] if r["split"] in ("val", "test") else "test"] = _measure(_json(r["summary"]))
    for d in designs.values():
        p = promoted.get(d["design"])
        d["delta"] = p.get("delta") if p else None
        d["baseline"] = p.get("name") if p and p.get("baseline") else (
            d.get("note") if d.get("origin") == "baseline" else None)
    # a search selects on validation; an eval run measured one split only (filed as test)
    split = "val" if any(d["val"] for d in designs.values()) else "test"
    points = [d for d in designs.values() if d[split] and d[split]["complete"] and d[split]["score"] is not None]
    front = pareto_front(points, key=lambda d: (d[split]["score"], d[split]["tokens"]))
    front_ids = {d["design"] for d in front}
    for d in designs.values():
        d["on_front"] = d["design"] in front_ids
    return {
        "run": _run_row(run, len(designs)), "config": _json(run["config"], {}),
        "curve": _curve(con, rid),
        "pareto": {"split": split,
                   "points": [{"design": d["design"], "label": d["label"], "tokens": d[split]["tokens"],
                               "score": d[split]["score"],
                               "test": d["test"]["score"] if split == "val" and d["test"] else None,
                               "test_tokens": d["test"]["tokens"] if split == "val" and d["test"] else None,
                               "on_front": d["on_front"]} for d in points],
                   "front": [d["design"] for d in front]},
        "designs": list(designs.values()),
        "reference": report.get("reference"), "winner": report.get("winner"),
        "noise": _last_event(con, rid, "noise"),
    }


def _tree(spec: dict) -> dict:
    """A design spec as a tree of {block, params, children}."""
    return {"block": spec.get("block"), "params": spec.get("params") or {},
            "children": [_tree(c) for c in spec.get("children") or []]}


def _trace_counts(trace: list) -> dict:
    return {"calls": len(trace), "cached": sum(1 for t in trace if t.get("cached"))}


def design_detail(con: sqlite3.Connection, run_id: str, design_id: str) -> dict:
    """A design of a run: its tree, its lineage (ancestors with the edit that made each child, and
    its own children in the run), and the stored results of the design on the run's task and model."""
    run = find_run(con, run_id)
    rid = run["id"]
    row = con.execute("SELECT * FROM designs WHERE id=?", (design_id,)).fetchone()
    if row is None:
        raise NotFound(f"no design '{design_id}' in the store")
    proposals = _proposals(con, rid)
    lineage, seen, cur = [], set(), design_id
    while cur and cur not in seen:
        seen.add(cur)
        info = proposals.get(cur, {})
        label = info.get("label")
        if label is None:
            lab = con.execute("SELECT label FROM designs WHERE id=?", (cur,)).fetchone()
            label = lab["label"] if lab else cur
        lineage.append({"design": cur, "label": label, "origin": info.get("origin"), "note": info.get("note"),
                        "round": info.get("round"), "parent": info.get("parent")})
        cur = info.get("parent")
    lineage.reverse()
    children = [{"design": k, "label": v.get("label"), "note": v.get("note"), "origin": v.get("origin")}
                for k, v in proposals.items() if v.get("parent") == design_id]
    cfg = _json(run["config"], {}) or {}
    sql, args = "SELECT * FROM results WHERE design_id=?", [design_id]
    for col in ("task", "model"):
        if cfg.get(col):
            sql += f" AND {col}=?"
            args.append(cfg[col])
    results = []
    for r in con.execute(sql + " ORDER BY example_id, repeat, created", args):
        counts = _trace_counts(_json(r["trace"], []) or [])
        results.append({"key": r["key"], "example": r["example_id"], "repeat": r["repeat"], "score": r["score"],
                        "extracted": r["extracted"], "calls": r["calls"], "cached": counts["cached"],
                        "tokens": r["prompt_tokens"] + r["completion_tokens"], "error": r["error"],
                        "created": r["created"]})
    spec = _json(row["spec"], {}) or {}
    return {"design": row["id"], "label": row["label"], "spec": spec, "tree": _tree(spec), "run": rid,
            "lineage": lineage, "children": children, "results": results,
            "scope": {"task": cfg.get("task"), "model": cfg.get("model")}}


def result_trace(con: sqlite3.Connection, key: str) -> dict:
    """One example's full trace: every prompt and reply in order, per block with tokens and cache hits."""
    r = con.execute("SELECT * FROM results WHERE key=?", (key,)).fetchone()
    if r is None:
        raise NotFound(f"no result '{key}' in the store")
    trace = _json(r["trace"], []) or []
    blocks: dict[str, dict] = {}
    calls = []
    for i, t in enumerate(trace):
        name = t.get("block") or "(unnamed)"
        b = blocks.setdefault(name, {"block": name, "calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                     "cached": 0})
        b["calls"] += 1
        b["prompt_tokens"] += t.get("prompt_tokens") or 0
        b["completion_tokens"] += t.get("completion_tokens") or 0
        b["cached"] += bool(t.get("cached"))
        calls.append({"index": i + 1, "block": name, "messages": t.get("messages") or [], "reply": t.get("text", ""),
                      "prompt_tokens": t.get("prompt_tokens"), "completion_tokens": t.get("completion_tokens"),
                      "cached": bool(t.get("cached"))})
    label = con.execute("SELECT label FROM designs WHERE id=?", (r["design_id"],)).fetchone()
    return {"key": r["key"], "task": r["task"], "model": r["model"], "design": r["design_id"],
            "label": label["label"] if label else r["design_id"], "example": r["example_id"], "repeat": r["repeat"],
            "answer": r["answer"], "extracted": r["extracted"], "score": r["score"], "error": r["error"],
            "seconds": r["seconds"], "prompt_tokens": r["prompt_tokens"], "completion_tokens": r["completion_tokens"],
            "notes": _json(r["notes"], {}), "blocks": list(blocks.values()), "calls": calls,
            "cached": sum(b["cached"] for b in blocks.values())}
