"""``agentarch search --bootstrap-demos N --propose-instructions M`` through the real command line
(scripted backend, real SQLite file, real subprocess): the flags are checked, the demos and
instructions are found once and recorded, the found designs use them, and running the same command
again sends no model call at all."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]
INSTRUCTION = "Read the question twice and copy the number it names into the answer line."
REASONING = "I read the sentence once more and the value it names is written there plainly"
# cot on an even number: real reasoning, right; on an odd one: real reasoning, wrong. The meta
# model proposes one instruction. direct answers right.
RULES = [
    [r"Write one new piece of advice", f"Instruction: {INSTRUCTION}"],
    [r"^.*number (\d*[02468])\.(?=.*Show your work)", rf"{REASONING}: \1.\nAnswer: \1"],
    [r"^.*number (\d*[13579])\.(?=.*Show your work)", rf"{REASONING}: 0.\nAnswer: 0"],
    [r"^.*number (\d+)\.", r"Answer: \1"],
]


def cli(*args, cwd):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*AGENTARCH, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture
def folder(tmp_path):
    with open(tmp_path / "toy.jsonl", "w") as f:
        for i in range(40):
            f.write(json.dumps({"question": f"Report the number {11 + 7 * i}.", "answer": str(11 + 7 * i)}) + "\n")
    return tmp_path


def rules(folder, log):
    (folder / "rules.json").write_text(json.dumps({"rules": RULES, "log": str(log)}))


def logged(log):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


ARGS = ["search", "--task", "toy.jsonl", "--metric", "numeric", "--model", "scripted:rules.json",
        "--optimizer", "evolve", "--blocks", "cot,direct,fewshot", "--baselines", "direct,cot",
        "--rounds", "4", "--patience", "100", "--test-limit", "4", "--db", "t.db", "--out", "runs",
        "--bootstrap-demos", "2", "--propose-instructions", "1"]


def test_search_bootstraps_demos_and_proposes_instructions_once(folder):
    rules(folder, folder / "first.jsonl")
    proc = cli(*ARGS, cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "proposals: 2 demos kept from" in proc.stderr and "1 instructions kept" in proc.stderr

    con = sqlite3.connect(folder / "t.db")
    (data,) = [json.loads(r[0]) for r in con.execute("SELECT data FROM events WHERE kind='proposals'")]
    assert data["instructions"] == [INSTRUCTION]
    assert len(data["demos"]) == 2
    for question, trace in data["demos"]:  # the model's own reasoning, on questions it got right
        number = question.split()[-1].rstrip(".")
        assert int(number) % 2 == 0 and trace == f"{REASONING}: {number}.\n\nAnswer: {number}"
    assert data["calls_sent"] == data["tried"] + data["meta_calls"] > 0
    first = logged(folder / "first.jsonl")
    assert sum("Write one new piece of advice" in c["text"] for c in first) == data["meta_calls"] == 1

    # The designs the optimizer proposed use only bootstrapped demos, and the proposed instruction is a
    # value the space offers (it reached the model whenever a design used it).
    # (designs the optimizer proposed: a race's coverage designs come before the demos are found)
    specs = [d["spec"] for d in (json.loads(r[0]) for r in con.execute("SELECT data FROM events WHERE kind='proposal'"))
             if d["origin"] in ("random", "mutation", "crossover")]
    con.close()
    demo_sets = [n["params"]["demos"] for s in specs for n in walk(s) if n["block"] == "fewshot"]
    assert demo_sets and all(list(d) in data["demos"] for ds in demo_sets for d in ds)
    used = [n for s in specs for n in walk(s) if n.get("params", {}).get("instruction") == INSTRUCTION]
    if used:
        assert any(INSTRUCTION in c["text"] for c in first)

    # The same command again: replayed from the store, no call reaches the model.
    rules(folder, folder / "second.jsonl")
    again = cli(*ARGS, cwd=folder)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "proposals (replayed): 2 demos kept" in again.stderr and "(resuming)" in again.stderr
    assert logged(folder / "second.jsonl") == []


def walk(spec: dict):
    yield spec
    for c in spec.get("children", []):
        yield from walk(c)


@pytest.mark.parametrize("args, message", [
    (["--bootstrap-demos", "-1"], "(--bootstrap-demos) must be a whole number from 0 to 32"),
    (["--propose-instructions", "11"], "(--propose-instructions) must be a whole number from 0 to 10"),
    (["--optimizer", "meta", "--propose-instructions", "2"], "(--propose-instructions) apply to the typed-space"),
])
def test_bad_counts_are_one_line_errors(folder, args, message):
    proc = cli("search", "--task", "toy.jsonl", "--metric", "numeric", "--db", "t.db", *args, cwd=folder)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert line.startswith("error:") and message in line


def test_zero_turns_both_off(folder):
    rules(folder, folder / "calls.jsonl")
    proc = cli(*ARGS[:-4], "--bootstrap-demos", "0", "--propose-instructions", "0", cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "demos kept" not in proc.stderr
    assert not any("Write one new piece of advice" in c["text"] for c in logged(folder / "calls.jsonl"))
    con = sqlite3.connect(folder / "t.db")
    assert con.execute("SELECT COUNT(*) FROM events WHERE kind='proposals'").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM run_designs WHERE split='train'").fetchone()[0] == 0
    con.close()
