"""Failures on the real embedded model, through the real ``agentarch`` command in a subprocess: an
example whose prompt does not fit the context is that example's error (the others are evaluated and
saved), and Ctrl-C stops the run at once, marked ``interrupted``, with the command that resumes it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from test_cli_failures import cli, interrupt, runs, start

pytestmark = pytest.mark.model


def test_an_over_long_example_is_that_examples_error_and_the_rest_are_saved(tmp_path):
    data = tmp_path / "mixed.jsonl"
    rows = [{"question": "What is 2 plus 2?", "answer": "4"},
            {"question": "Count these words: " + "word " * 3000, "answer": "3000"},
            {"question": "What is 3 plus 3?", "answer": "6"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "long.db"
    args = ["eval", "--task", str(data), "--input-field", "question", "--target-field", "answer", "--metric", "numeric",
            "--split", "train", "--limit", "3", "-d", '{"block": "direct", "params": {"max_tokens": 8}}', "--db", str(db)]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    con = sqlite3.connect(str(db))
    results = con.execute("SELECT example_id, error, score FROM results").fetchall()
    con.close()
    assert len(results) == 3
    errors = [e for _, e, _ in results if e]
    assert len(errors) == 1
    assert errors[0].startswith("prompt of ") and "exceeds the model's context of 2048" in errors[0]
    assert int(errors[0].split()[2]) > 2048
    [run] = runs(db)
    assert run["status"] == "done"
    again = cli(*args)  # the rerun reads all three from the store
    assert again.returncode == 0 and "results: 3 reused from the store, 0 computed" in again.stdout


def test_ctrl_c_stops_the_embedded_model_and_marks_the_run_interrupted(tmp_path):
    db = tmp_path / "c.db"
    proc = start("eval", "--task", "word_problems", "-d", "cot", "--limit", "5", "--db", str(db))
    code, seconds, out, err = interrupt(proc, after_line="run ", wait=2.0)
    print(f"embedded model: exited {seconds:.2f} s after SIGINT")
    assert code == 130, err
    assert "Traceback" not in err
    [run] = runs(db)
    assert run["status"] == "interrupted"
    assert run["events"][-1][0] == "interrupted"
    assert "Resume with the same command:" in err and "agentarch eval --task word_problems -d cot --limit 5" in err
