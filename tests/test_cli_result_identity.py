"""Stale scores are impossible through the real ``agentarch eval`` command (scripted model): a
different file with the same name, a file edited in place, another metric and an edited block each
make the second run compute its results instead of reusing the first run's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import agentarch

SRC = Path(agentarch.__file__).resolve().parent.parent


def write_data(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in rows))
    return path


def eval_cli(tmp_path: Path, data: Path, *extra: str, src: Path = SRC) -> tuple[int, int, str, bool]:
    """Runs ``agentarch eval`` with a model that always answers 4; returns (reused, computed, stdout,
    whether the run was a resumed one)."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [[".*", "Work.\nAnswer: 4"]]}))
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(src)}
    proc = subprocess.run(
        [sys.executable, "-m", "agentarch.cli.main", "eval", "--task", str(data), "--design", "cot",
         "--split", "test", "--model", f"scripted:{rules}", "--db", str(tmp_path / "shared.db"), *extra],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"results: (\d+) reused from the store, (\d+) computed", proc.stdout)
    assert m, proc.stdout
    return int(m.group(1)), int(m.group(2)), proc.stdout, "(resuming)" in proc.stderr


def accuracy(stdout: str) -> float:
    row = next(line for line in stdout.splitlines() if line.count("│") > 2 and "cot" in line)
    return float(re.findall(r"\d\.\d+", row)[0])


ROWS = [(f"What is {i} + 2?", "4") for i in range(10)]


def test_a_different_file_with_the_same_name_is_computed_not_reused(tmp_path):
    a = write_data(tmp_path / "a" / "data.jsonl", ROWS)
    b = write_data(tmp_path / "b" / "data.jsonl", [(f"What is {i} + 3?", "5") for i in range(10)])
    reused, computed, out, _ = eval_cli(tmp_path, a)
    assert (reused, computed) == (0, 5) and accuracy(out) == 1.0
    reused, computed, _, resumed = eval_cli(tmp_path, a)
    assert (reused, computed, resumed) == (5, 0, True)  # the same file again: all reused, same run
    reused, computed, out, resumed = eval_cli(tmp_path, b)
    assert (reused, computed, resumed) == (0, 5, False) and accuracy(out) == 0.0


def test_a_file_edited_in_place_and_another_metric_are_computed_not_reused(tmp_path):
    data = write_data(tmp_path / "data.jsonl", ROWS)
    eval_cli(tmp_path, data)
    write_data(data, [(q, "4.0") for q, _ in ROWS])  # every target edited
    reused, computed, out, _ = eval_cli(tmp_path, data)
    assert (reused, computed) == (0, 5) and accuracy(out) == 0.0  # exact: "4" is not "4.0"
    reused, computed, out, _ = eval_cli(tmp_path, data, "--metric", "numeric")
    assert (reused, computed) == (0, 5) and accuracy(out) == 1.0


def test_an_edited_block_prompt_is_computed_not_reused(tmp_path):
    """A copy of the package with cot's instruction edited, then one with the shared answer
    format in blocks/common.py edited: each run re-measures the design."""
    data = write_data(tmp_path / "data.jsonl", ROWS)
    assert eval_cli(tmp_path, data)[:2] == (0, 5)
    for i, (module, old, new) in enumerate([
            ("blocks/cot.py", "Let's think step by step.", "Think it through step by step."),
            ("blocks/common.py", "Answer:", "Final answer:")]):
        copy = tmp_path / f"src{i}"
        shutil.copytree(SRC / "agentarch", copy / "agentarch", ignore=shutil.ignore_patterns("__pycache__"))
        target = copy / "agentarch" / module
        text = target.read_text()
        assert old in text
        target.write_text(text.replace(old, new, 1))
        reused, computed, _, resumed = eval_cli(tmp_path, data, src=copy)
        assert (reused, computed, resumed) == (0, 5, False)
        assert eval_cli(tmp_path, data, src=copy)[:2] == (5, 0)
