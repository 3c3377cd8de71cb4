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
    from agentarch.llm.local import SETTINGS
    from agentarch.tasks.registry import load_task

    context = SETTINGS["n_ctx_per_slot"]
    data = tmp_path / "mixed.jsonl"
    rows = [{"id": f"q{i}", "question": f"What is {i} plus 2?", "answer": str(i + 2)} for i in range(6)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    test_ids = [ex.id for ex in load_task(str(data), input_field="question", target_field="answer",
                                          metric="numeric").split(seed=0).test]
    assert len(test_ids) == 3
    long_id = test_ids[1]  # ids fix the split; only this test example's question is made too long
    for r in rows:
        if r["id"] == long_id:
            r["question"] = "Count these words: " + "word " * (context + 500)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "long.db"
    args = ["eval", "--task", str(data), "--input-field", "question", "--target-field", "answer", "--metric", "numeric",
            "-d", '{"block": "direct", "params": {"max_tokens": 8}}', "--db", str(db)]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    con = sqlite3.connect(str(db))
    results = {ex: err for ex, err in con.execute("SELECT example_id, error FROM results").fetchall()}
    con.close()
    assert sorted(results) == sorted(test_ids)
    assert [ex for ex, err in results.items() if err] == [long_id]
    assert results[long_id].startswith("prompt of ") and f"exceeds the model's context of {context}" in results[long_id]
    assert int(results[long_id].split()[2]) > context
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
