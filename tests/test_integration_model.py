"""End-to-end runs of the real command line on the real embedded model (short ones: the long
accuracy runs live in bench/ and in the README's demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.model


def cli(*args, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_eval_on_the_embedded_model_then_resume_from_the_store(tmp_path):
    db, out = str(tmp_path / "e.db"), tmp_path / "r.json"
    cli("eval", "--task", "easy_qa", "-d", "direct", "-d", "cot", "--limit", "3", "--db", db, "--json", str(out))
    rows = {r["label"]: r for r in json.loads(out.read_text())["results"]}
    assert set(rows) == {"direct", "cot"} and all(r["n"] == 3 and r["complete"] for r in rows.values())
    assert rows["direct"]["tokens"] > 0 and 0.0 <= rows["direct"]["accuracy"]["mean"] <= 1.0
    again = cli("eval", "--task", "easy_qa", "-d", "direct", "-d", "cot", "--limit", "3", "--db", db)
    assert "model calls sent: 0" in again.stdout


def test_program_of_thought_runs_model_code_in_the_sandbox(tmp_path):
    proc = cli("run", "program_of_thought", "What is 17 * 23?", "--task", "word_problems", "--db", str(tmp_path / "p.db"))
    assert "extracted: 391" in proc.stdout


def test_search_on_the_embedded_model_promotes_on_test_and_writes_the_run_folder(tmp_path):
    db, out = str(tmp_path / "s.db"), tmp_path / "runs"
    proc = cli("search", "--task", "easy_qa", "--optimizer", "evolve", "--baselines", "direct",
               "--blocks", "direct,cot", "--budget-calls", "8", "--val-limit", "2", "--test-limit", "3",
               "--top-k", "1", "--db", db, "--out", str(out))
    assert "stopped:" in proc.stdout and "test" in proc.stdout
    (folder,) = list(out.iterdir())
    report = json.loads((folder / "report.json").read_text())
    assert (folder / "anytime.png").stat().st_size > 1000
    promoted = report["promotion"]["designs"]
    assert promoted and all(d["test"]["n"] == 3 for d in promoted)
    assert report["spent"]["calls"] <= 8


def test_router_learned_on_the_embedded_model_reuses_history_and_evaluates(tmp_path):
    db, router, out = str(tmp_path / "r.db"), tmp_path / "router.json", tmp_path / "r.json"
    cli("eval", "--task", "easy_qa", "--split", "train", "-d", "direct", "-d", "cot", "--limit", "4", "--db", db)
    fit = cli("fit-router", "--task", "easy_qa", "--route", "direct,cot", "-n", "4", "--features", "embedding",
              "--db", db, "-o", str(router))
    assert "model calls sent: 0" in fit.stdout  # the routes' training results came from the store
    design = json.loads(router.read_text())
    assert design["block"] == "router" and design["params"]["rules"]["features"] == "embedding"
    cli("eval", "--task", "easy_qa", "--design", str(router), "--limit", "2", "--db", db, "--json", str(out))
    [row] = json.loads(out.read_text())["results"]
    assert row["n"] == 2 and row["complete"] and row["calls"] == 1.0  # one route per question
