"""Failures handled like a well-kept tool, through the real ``agentarch`` command in a subprocess:
bad numbers are refused at the edge, a run that fails or is interrupted is marked so in the store
(never left ``running``) with the reason, Ctrl-C stops at once with a resume hint, and a full disk
gives one line naming the store file. The embedded-model cases are in test_cli_failures_model.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]


def cli(*args, cwd=None, timeout=300):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*AGENTARCH, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def start(*args):
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*AGENTARCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def short_error(proc) -> str:
    """The error a refused command printed: exit 2, no traceback, one ``error:`` line (and at most
    one more line after it)."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith("error:")]
    assert len(starts) == 1 and len(lines) - starts[0] <= 2, proc.stderr
    return lines[starts[0]]


def runs(db) -> list[dict]:
    con = sqlite3.connect(str(db))
    con.row_factory = sqlite3.Row
    try:
        out = []
        for r in con.execute("SELECT * FROM runs ORDER BY created").fetchall():
            events = con.execute("SELECT kind, data FROM events WHERE run_id=? ORDER BY ts", (r["id"],)).fetchall()
            out.append({**dict(r), "events": [(e["kind"], json.loads(e["data"])) for e in events]})
        return out
    finally:
        con.close()


def numbers_task(tmp_path, n=6, question="What is {i} plus 1?"):
    path = tmp_path / "numbers.jsonl"
    path.write_text("".join(json.dumps({"question": question.format(i=i), "answer": str(i + 1)}) + "\n"
                            for i in range(n)))
    return str(path)


def rules(tmp_path, answer="Answer: 1", delay=0.0) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [[".*", answer]], "delay": delay}))
    return f"scripted:{path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- numbers refused at the edge ------------------------------------------------------------------
EVAL = ["eval", "--task", "easy_qa", "-d", "cot"]
SEARCH = ["search", "--task", "easy_qa"]


@pytest.mark.parametrize("args, option", [
    (EVAL + ["--concurrency", "0"], "--concurrency"),
    (EVAL + ["--concurrency", "-1"], "--concurrency"),
    (EVAL + ["--parallel", "0"], "--parallel"),
    (EVAL + ["--parallel", "-1"], "--parallel"),
    (EVAL + ["--budget-calls", "-5"], "--budget-calls"),
    (EVAL + ["--limit", "0"], "--limit"),
    (SEARCH + ["--concurrency", "0"], "--concurrency"),
    (SEARCH + ["--budget-calls", "-1"], "--budget-calls"),
    (SEARCH + ["--batch", "0"], "--batch"),
    (SEARCH + ["--val-limit", "-2"], "--val-limit"),
    (["team-optimize", "--task", "easy_qa", "--rounds", "0"], "--rounds"),
    (["fit-router", "--task", "easy_qa", "--concurrency", "0"], "--concurrency"),
    (["fit-policy", "--task", "easy_qa", "--probes", "0"], "--probes"),
    (["runs", "--limit", "-1"], "--limit"),
])
def test_a_number_out_of_range_is_refused_in_one_line(tmp_path, args, option):
    proc = cli(*args, "--db", str(tmp_path / "x.db"), timeout=60)
    msg = short_error(proc)
    assert option in msg and "greater than or equal to" in msg
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened


@pytest.mark.parametrize("design, field", [
    ('{"block": "self_consistency", "params": {"n": -3}}', "'n'"),
    ('{"block": "debate", "params": {"agents": 0}}', "'agents'"),
    ('{"block": "cot", "params": {"temperature": -0.5}}', "'temperature'"),
    ('{"block": "tree_search", "params": {"stop_value": 1.5}}', "'stop_value'"),
    ('{"block": "self_consistency", "children": [{"block": "cot", "params": {"max_tokens": 0}}]}', "'max_tokens'"),
])
def test_a_bad_block_parameter_names_the_block_and_field(tmp_path, design, field):
    path = tmp_path / "design.json"
    path.write_text(design)
    msg = short_error(cli("eval", "--task", "easy_qa", "-d", str(path), "--db", str(tmp_path / "x.db"), timeout=60))
    block = json.loads(design)
    name = block["children"][0]["block"] if "children" in block else block["block"]
    assert f"block '{name}'" in msg and field in msg


# ---- a run that fails is marked failed, with the reason -----------------------------------------
@pytest.mark.parametrize("command", [
    ["eval", "-d", "cot"],
    ["search", "--rounds", "1", "--val-limit", "2", "--test-limit", "2"],
    ["team-optimize", "--roles", "Mathematician,Teacher", "-k", "1", "-n", "2"],
    ["fit-router", "--route", "direct,cot", "-n", "2"],
])
def test_a_run_whose_model_fails_is_marked_failed_with_the_reason(tmp_path, command):
    db = tmp_path / "f.db"
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    proc = cli(command[0], "--task", numbers_task(tmp_path), *command[1:], "--base-url", url, "--model", "m",
               "--db", str(db), *(["--input-field", "question", "--target-field", "answer", "--metric", "numeric"]
                                  if command[0] in ("eval", "search") else []),
               *(["--out", str(tmp_path / "runs")] if command[0] == "search" else []), timeout=120)
    msg = short_error(proc)
    assert "cannot reach" in msg
    [run] = runs(db)
    assert run["status"] == "failed", run
    kind, data = run["events"][-1]
    assert kind == "failed" and "cannot reach" in data["reason"]
    shown = cli("runs", run["id"][:8], "--db", str(db), timeout=60)
    assert shown.returncode == 0 and "failed: " in shown.stdout and "cannot reach" in shown.stdout


def test_a_run_that_finishes_is_done_and_a_rerun_resumes_it(tmp_path):
    db = tmp_path / "d.db"
    args = ["eval", "--task", numbers_task(tmp_path, 3), "--input-field", "question", "--target-field", "answer",
            "--metric", "numeric", "-d", "direct", "--model", rules(tmp_path), "--db", str(db)]
    assert cli(*args).returncode == 0
    assert cli(*args).returncode == 0
    [run] = runs(db)
    assert run["status"] == "done"
    assert [k for k, _ in run["events"]] == ["started", "done", "resumed", "done"]


# ---- Ctrl-C ---------------------------------------------------------------------------------------
def interrupt(proc, after_line: str, wait: float = 1.0, sig=signal.SIGINT) -> tuple[int, float, str, str]:
    """``sig`` (SIGINT) once ``after_line`` appears on stderr (and ``wait`` seconds more); returns the exit
    code, seconds from SIGINT to exit, stdout and stderr."""
    seen = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if after_line in line:
            break
    assert any(after_line in s for s in seen), "".join(seen)
    time.sleep(wait)
    t0 = time.perf_counter()
    proc.send_signal(sig)
    out, rest = proc.communicate(timeout=120)
    return proc.returncode, time.perf_counter() - t0, out, "".join(seen) + rest


@pytest.mark.parametrize("command", [
    ["eval", "-d", "cot"],
    ["search", "--rounds", "2", "--val-limit", "3", "--test-limit", "2"],
])
def test_ctrl_c_marks_the_run_interrupted_and_says_how_to_resume(tmp_path, command):
    db = tmp_path / "c.db"
    args = [command[0], "--task", numbers_task(tmp_path), *command[1:], "--input-field", "question",
            "--target-field", "answer", "--metric", "numeric", "--model", rules(tmp_path, delay=60), "--db", str(db),
            *(["--out", str(tmp_path / "runs")] if command[0] == "search" else [])]
    code, seconds, out, err = interrupt(start(*args), after_line="run ")
    print(f"{command[0]}: exited {seconds:.2f} s after SIGINT")
    assert code == 130, err
    assert "Traceback" not in err
    [run] = runs(db)
    assert run["status"] == "interrupted"
    assert "Resume with the same command:" in err and f"--db {db}" in err and f"agentarch {command[0]}" in err


def test_sigterm_marks_the_run_interrupted_like_ctrl_c(tmp_path):
    """A run started in the background (``cmd &`` ignores Ctrl-C) is stopped with ``kill``: the
    run must not stay ``running``."""
    db = tmp_path / "t.db"
    proc = start("search", "--task", numbers_task(tmp_path), "--rounds", "2", "--val-limit", "3", "--test-limit", "2",
                 "--input-field", "question", "--target-field", "answer", "--metric", "numeric",
                 "--model", rules(tmp_path, delay=60), "--db", str(db), "--out", str(tmp_path / "runs"))
    code, _, _, err = interrupt(proc, after_line="run ", sig=signal.SIGTERM)
    assert code == 143, err
    assert "Traceback" not in err
    [run] = runs(db)
    assert run["status"] == "interrupted"
    assert run["events"][-1][0] == "interrupted"
    assert "Resume with the same command:" in err


# ---- a full disk ----------------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB filesystem (tmpfs); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_names_the_store_and_the_run_resumes_after_space_is_freed(tmp_path, tiny_disk):
    db = tiny_disk / "full.db"
    long_answer = "Let me think. " * 250 + "\nAnswer: 1"  # ~3.5 kB per call, twice per result
    args = ["eval", "--task", numbers_task(tmp_path, 120), "--input-field", "question", "--target-field", "answer",
            "--metric", "numeric", "-d", "direct", "--model", rules(tmp_path, long_answer), "--db", str(db),
            "--concurrency", "2"]
    proc = cli(*args)
    msg = short_error(proc)
    assert str(db) in msg and "database or disk is full" in msg and "resume" in msg
    con = sqlite3.connect(str(db))
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    con.close()
    assert stored > 0
    [run] = runs(db)
    assert run["status"] == "failed"  # the reason is an event, kept when the disk still had room for it
    assert all("database or disk is full" in data["reason"] for kind, data in run["events"] if kind == "failed")

    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_disk)], check=True)
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"results: {stored} reused from the store, " in again.stdout  # and the rest computed
    [run] = runs(db)
    assert run["status"] == "done"
