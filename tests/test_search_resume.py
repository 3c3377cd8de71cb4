"""kill -9 a real ``agentarch search`` process (scripted backend, real SQLite file) at three
moments, rerun the same command each time: it finishes, nothing finished is computed again (no
result row rewritten, no request repeated to the model), and the evaluated designs are the same,
in the same order, as an uninterrupted run's."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import search_toy as toy

ARGS = ["search", "--task", "toy.jsonl", "--metric", "numeric", "--model", "scripted:rules.json",
        "--optimizer", "evolve", "--rounds", "6", "--patience", "100", "--test-limit", "6",
        "--db", "t.db", "--out", "runs"]


def write_inputs(folder, log):
    with open(folder / "toy.jsonl", "w") as f:
        for ex in toy.task().examples:
            f.write(json.dumps({"question": ex.input, "answer": ex.target}) + "\n")
    (folder / "rules.json").write_text(json.dumps({"rules": toy.RULES, "delay": 0.1, "log": str(log)}))


def start(folder, log):
    write_inputs(folder, log)
    return subprocess.Popen([sys.executable, "-m", "agentarch.cli.main", *ARGS], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def evaluated(db):
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT data FROM events WHERE kind='evaluated' ORDER BY ts").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]


def snapshot(db):
    con = sqlite3.connect(db)
    results = {r[0]: r[1] for r in con.execute("SELECT key, created FROM results")}  # by result identity
    calls = {r[0] for r in con.execute("SELECT key FROM calls")}
    con.close()
    return results, calls


def logged(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def test_killed_search_resumes_without_repeating_work(tmp_path):
    folder = tmp_path / "killed"
    folder.mkdir()
    db = folder / "t.db"
    phases = [2, 5, 9, None]
    for i, k in enumerate(phases):
        before = snapshot(db) if db.exists() else ({}, set())
        log = folder / f"calls{i}.jsonl"
        proc = start(folder, log)
        if k is not None:
            deadline = time.time() + 120
            while len([e for e in evaluated(db) if e["complete"]]) < k:
                assert proc.poll() is None, f"finished before {k} evaluations:\n{proc.stdout.read()}"
                if time.time() > deadline:  # a guard against hanging, not a speed check
                    pytest.fail(f"no {k} evaluations recorded within 120 s")
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert proc.returncode == -signal.SIGKILL
        else:
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out
            assert "(resuming)" in out
        after, _ = snapshot(db)
        # no (design, example) that had a result before this process was computed again
        rewritten = [key for key, created in before[0].items() if after.get(key) != created]
        assert rewritten == []
        # and no request reached the model twice (every finished example's calls are cached)
        repeated = [c for c in logged(log) if c["key"] in before[1]]
        assert repeated == []
        if i > 0:
            assert len(after) >= len(before[0])
    assert (folder / "runs").exists() and list((folder / "runs").glob("*/report.json"))

    # An uninterrupted run of the same command evaluates the same designs in the same order.
    clean = tmp_path / "clean"
    clean.mkdir()
    proc = start(clean, clean / "calls.jsonl")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    order = [e["design"] for e in evaluated(clean / "t.db") if e["complete"]]
    resumed_order = [e["design"] for e in evaluated(db) if e["complete"]]
    # racing (on by default): the baselines and one design per block family, then rounds x batch
    racing = json.loads(next((clean / "runs").glob("*/report.json")).read_text())["racing"]
    first = [d for d in racing["designs"] if d["round"] == 0]
    assert order == resumed_order and len(order) == racing["screened"] == len(first) + 6 * 2
    assert sum(d["origin"] == "baseline" for d in first) == 3
    # the killed runs made no more model calls in total than the clean run (at most the calls in
    # flight at each kill, which were sent but not yet cached)
    killed_calls = sum(len(logged(folder / f"calls{i}.jsonl")) for i in range(4))
    clean_calls = len(logged(clean / "calls.jsonl"))
    assert clean_calls <= killed_calls <= clean_calls + 3 * 8
    rep = json.loads(next((folder / "runs").glob("*/report.json")).read_text())
    rep2 = json.loads(next((clean / "runs").glob("*/report.json")).read_text())
    assert rep["best"]["design"] == rep2["best"]["design"]
    assert [d["design"] for d in rep["promotion"]["designs"]] == [d["design"] for d in rep2["promotion"]["designs"]]
