"""``agentarch tasks import bigbench:NAME`` and ``--task bigbench:NAME`` through the real command
in a subprocess, with the cache already holding a small fake sdist built from the fixtures (so no
network). The fake archive cannot have the real digest: the subprocess pins the fake one before
running the command, exactly as the product pins the real one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import agentarch
from agentarch.tasks.bigbench import fetch
from agentarch.tasks.options import parse_options
from test_tasks_bigbench import build_sdist

SRC = Path(agentarch.__file__).resolve().parent.parent
PINNED = ("import sys; import agentarch.tasks.bigbench.fetch as f; f.SDIST_SHA256 = sys.argv.pop(1); "
          "from agentarch.cli.main import main; sys.argv[0] = 'agentarch'; main()")


@pytest.fixture
def home(tmp_path):
    """Cache (holding the fake sdist) and task folder under tmp_path; returns (env, fake digest)."""
    env = {**os.environ, "COLUMNS": "250", "PYTHONPATH": str(SRC),
           "AGENTARCH_CACHE": str(tmp_path / "cache"), "AGENTARCH_TASKS": str(tmp_path / "tasks")}
    sdist = tmp_path / "cache" / "bigbench" / fetch.SDIST
    sdist.parent.mkdir(parents=True)
    build_sdist(sdist)
    return env, fetch._sha256(sdist)


def cli(env, digest, *args):
    cmd = [sys.executable, "-c", PINNED, digest, *args] if digest else \
        [sys.executable, "-m", "agentarch.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_import_writes_the_tasks_and_lists_them(home, tmp_path):
    env, digest = home
    proc = cli(env, digest, "tasks", "import", "bigbench:color_choice", "bigbench:count_words",
               "bigbench:sort_words", "bigbench:plus_one/add_control")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]]
            for line in proc.stdout.splitlines() if line.count("│") > 4 and "bigbench:" in line}
    assert rows == {"bigbench:color_choice": ["8", "choice", "6"],
                    "bigbench:count_words": ["6", "numeric", "-"],
                    "bigbench:sort_words": ["4", "exact", "-"],
                    "bigbench:plus_one/add_control": ["2", "numeric", "-"]}
    data = tmp_path / "tasks" / "bigbench" / "color_choice.jsonl"
    records = [json.loads(line) for line in data.read_text().splitlines()]
    assert len(records) == 8 and {"id", "question", "answer", "answer_text"} <= set(records[0])
    assert (tmp_path / "tasks" / "bigbench" / "plus_one" / "add_control.jsonl").exists()
    for listing in (cli(env, None, "tasks"), cli(env, None, "tasks", "list")):
        assert listing.returncode == 0, listing.stderr
        assert "word_problems" in listing.stdout and "Imported tasks" in listing.stdout
        assert "bigbench:plus_one/add_control" in listing.stdout


def test_a_corrupt_archive_is_one_line_error(home):
    env, _ = home  # the real pin against the fake archive
    proc = cli(env, None, "tasks", "import", "bigbench:color_choice")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "sha256 check failed" in errors[0], proc.stderr
    assert fetch.SDIST in errors[0]


def test_unknown_task_is_one_line_error(home):
    env, digest = home
    proc = cli(env, digest, "tasks", "import", "bigbench:colour_choice")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bigbench has no task 'colour_choice'. Did you mean color_choice" in proc.stderr


def test_eval_imports_on_first_use_and_asks_for_a_letter(home, tmp_path):
    """A model that picks the option "blue" when there is one, else A, scores exactly the share of
    test questions where that is the right letter; every prompt names the letters."""
    env, digest = home
    log = tmp_path / "calls.jsonl"
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [[r"\(([A-F])\) blue\b", "Answer: \\1"], [".*", "Answer: A"]],
                                 "log": str(log)}))
    out = tmp_path / "out.json"
    proc = cli(env, digest, "eval", "--task", "bigbench:color_choice", "-d", "direct", "--split", "test",
               "--model", f"scripted:{rules}", "--db", str(tmp_path / "r.db"), "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [json.loads(line) for line in
               (tmp_path / "tasks" / "bigbench" / "color_choice.jsonl").read_text().splitlines()]
    prompts = [json.loads(line)["text"] for line in log.read_text().splitlines()]
    asked = [r for r in records if any(r["question"] in p for p in prompts)]
    assert len(asked) == 4  # half of the 8 examples are the test split
    assert all("one letter (A)-(F)" in p for p in prompts)
    right = 0
    for r in asked:
        options = parse_options(r["question"])
        picked = next((letter for letter, text in options.items() if text == "blue"), "A")
        right += picked == r["answer"]
    assert 0 < right < len(asked)  # the check below can tell right from wrong letters
    result = json.loads(out.read_text())["results"][0]
    assert result["n"] == len(asked)
    assert result["accuracy"]["mean"] == pytest.approx(right / len(asked))


def test_a_message_with_brackets_is_printed_as_written(home):
    env, digest = home
    proc = cli(env, digest, "tasks", "import", "other:thing")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "only BIG-bench tasks can be imported, as bigbench:NAME[/SUBTASK]" in proc.stderr
