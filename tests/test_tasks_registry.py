import asyncio
import subprocess
import sys
from types import SimpleNamespace

import pytest

from agentarch.errors import ConfigError, DataError
from agentarch.tasks import TASKS, list_tasks, load_task


async def run_code(code: str, timeout: float):
    """Test-only stand-in for the sandbox: run code in a fresh interpreter."""
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return SimpleNamespace(ok=False, stdout="", error="timeout")
    return SimpleNamespace(ok=p.returncode == 0, stdout=p.stdout, error=p.stderr)


def test_list_tasks():
    rows = {r["name"]: r for r in list_tasks()}
    assert set(rows) == {"word_problems", "easy_qa", "humaneval"} == set(TASKS)
    assert rows["humaneval"]["size"] == 164 and rows["humaneval"]["metric"] == "code_tests"
    assert rows["easy_qa"]["size"] == 60 and rows["easy_qa"]["metric"] == "exact"
    assert rows["word_problems"]["metric"] == "numeric"
    assert all(r["origin"] and r["description"] for r in rows.values())


def test_unknown_task_suggests():
    with pytest.raises(ConfigError) as err:
        load_task("word_problem")
    assert "unknown task 'word_problem'. Did you mean 'word_problems'?" in str(err.value)
    assert "word_problems, easy_qa, humaneval" in str(err.value)


def test_load_task_path_and_options(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("q,a\nhi,1\n")
    task = load_task(str(p), input_field="q", target_field="a", metric="numeric")
    assert len(task) == 1 and task.metric.name == "numeric"
    with pytest.raises(DataError, match="no such file"):
        load_task(str(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match="only apply to data files"):
        load_task("easy_qa", input_field="x")
    assert load_task("easy_qa", metric="f1").metric.name == "f1"
    with pytest.raises(ConfigError, match="does not fit task 'easy_qa'"):
        load_task("easy_qa", metric="numeric")


def test_easy_qa_answers_score_with_own_metric():
    task = load_task("easy_qa")
    assert len({e.id for e in task.examples}) == 60
    assert all(task.metric.score(f"Answer: {e.target}.", e) == 1.0 for e in task.examples)
    assert task.metric.score("Answer: Lyon", task.get("easy-15")) == 0.0


def test_humaneval_loads_and_scores_canonical_and_wrong():
    task = load_task("humaneval")
    assert len(task) == 164 and task.metric.is_async
    ex = task.get("HumanEval/0")
    assert ex.meta["entry_point"] == "has_close_elements" and ex.meta["prompt"] in ex.input
    score = lambda text: asyncio.run(task.metric.score_async(text, ex, run_code))  # noqa: E731
    assert score(ex.target) == 1.0
    assert score("```python\n" + ex.meta["prompt"] + ex.target + "```") == 1.0
    assert score("    return False\n") == 0.0
    ex10 = task.get("HumanEval/10")  # the prompt defines a helper the solution needs
    assert asyncio.run(task.metric.score_async(
        f"```python\n{ex10.meta['prompt']}{ex10.target}```", ex10, run_code)) == 1.0
