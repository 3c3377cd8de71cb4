"""What a server answers with: designs from block names, JSON, files and search runs (their
winner, with the run's answer extractor), under which names, and the user errors around them; how
a chat becomes the design's question."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

import search_toy as toy
import serve_server
from agentarch.errors import ConfigError
from agentarch.search.export import run_design
from agentarch.serve import resolve_designs
from agentarch.serve.conversation import apply_stop, question_from
from agentarch.store.db import Store
from agentarch.tasks.registry import load_task

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]


def test_names_default_to_the_block_the_file_stem_or_the_label(tmp_path):
    path = tmp_path / "my_design.json"
    path.write_text('{"block": "self_consistency", "params": {"n": 3}}')
    served = resolve_designs(["cot", str(path), '{"block": "refine", "params": {"rounds": 1}}', "fast=direct"])
    assert [d.name for d in served] == ["cot", "my_design", "refine(rounds=1)", "fast"]
    assert served[1].spec.params == {"n": 3} and served[1].source == str(path)
    assert served[3].spec.block == "direct"
    assert resolve_designs({"a": "cot", "b": {"block": "direct"}})[1].name == "b"


@pytest.mark.parametrize("designs,message", [
    (["cot", "cot"], "two designs are served as 'cot'"),
    (["x=cot", "x=direct"], "two designs are served as 'x'"),
    (["bad name=cot"], "may use only letters"),
    (["no_such_block"], "'no_such_block' is not a block"),
    (["missing.json"], "missing.json: no such design file"),
    (['{"block": "cot", "parms": {}}'], "field 'parms'"),
    ([], "nothing to serve"),
])
def test_bad_designs_are_config_errors(tmp_path, designs, message):
    with pytest.raises(ConfigError, match=message):
        resolve_designs(designs, Store(tmp_path / "x.db"))


def test_the_command_line_names_a_bad_design_in_one_line(tmp_path):
    proc = subprocess.run([*AGENTARCH, "serve", "cot", "nope_block", "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'nope_block' is not a block" in errors[0]


def test_a_search_run_is_served_as_its_winner_with_its_task_extractor(tmp_path):
    with open(tmp_path / "toy.jsonl", "w") as f:
        for ex in toy.task(12).examples:
            f.write(json.dumps({"question": ex.input, "answer": ex.target}) + "\n")
    (tmp_path / "rules.json").write_text(json.dumps({"rules": toy.RULES}))
    search = subprocess.run([*AGENTARCH, "search", "--task", str(tmp_path / "toy.jsonl"), "--metric", "numeric", "--model",
                             "scripted:rules.json", "--optimizer", "evolve", "--rounds", "2", "--test-limit", "3",
                             "--db", "t.db", "--out", "runs"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert search.returncode == 0, search.stderr
    store = Store(tmp_path / "t.db")
    run_id = store.runs()[0]["id"]
    _run, _row, winner = run_design(store, run_id)
    served = resolve_designs([run_id[:6]], store)[0]
    assert served.name == run_id[:6] and served.spec == winner and served.source == f"run {run_id}"
    assert served.extract("So the total is $1,200.00.") == "1200"  # the run's numeric metric
    store.close()

    server = serve_server.start(tmp_path, [f"best={run_id}"], "--db", str(tmp_path / "t.db"))
    try:
        card = httpx.get(f"{server.base_url}/models/best").json()
        assert card["design"] == winner.to_dict() and card["source"] == f"run {run_id}"
        out = httpx.post(f"{server.base_url}/chat/completions", json={
            "model": "best", "messages": [{"role": "user", "content": "Report the number 19."}]}).json()
        assert out["agentarch"]["design_id"] == winner.id and out["usage"]["completion_tokens"] > 0
    finally:
        assert server.stop() == 0


def test_a_task_gives_its_answer_extractor_and_answer_format():
    served = resolve_designs(["cot"], task="word_problems")[0]
    task = load_task("word_problems")
    assert served.answer_format and served.answer_format == task.answer_format(task.split().train)
    assert served.extract("So the total is $1,200.00.") == "1200"


def test_the_answer_format_reaches_the_prompt_over_http(tmp_path):
    server = serve_server.start(tmp_path, ["cot"], "--task", "word_problems")
    try:
        httpx.post(f"{server.base_url}/chat/completions", json={
            "model": "cot", "messages": [{"role": "user", "content": "Report the number 4."}]}).raise_for_status()
        sent = json.loads(server.calls_log.read_text().splitlines()[-1])["text"]
        assert resolve_designs(["cot"], task="word_problems")[0].answer_format in sent
    finally:
        assert server.stop() == 0


def test_a_chat_becomes_one_question():
    assert question_from([{"role": "user", "content": "Hi?"}]) == "Hi?"
    assert question_from([{"role": "system", "content": "Rules."}, {"role": "user", "content": "Hi?"}]) == "Rules.\n\nHi?"
    assert question_from([{"role": "user", "content": "A"}, {"role": "assistant", "content": "B"},
                          {"role": "user", "content": [{"type": "text", "text": "C"}]}]) \
        == "User: A\n\nAssistant: B\n\nUser: C"


def test_stop_sequences_cut_at_the_earliest():
    assert apply_stop("one two three", ["three", "two"]) == "one "
    assert apply_stop("one two", ["", "zzz"]) == "one two"


def test_objects_that_know_their_spec_are_served_as_it():
    from agentarch.blocks.spec import DesignSpec

    spec = DesignSpec.model_validate({"block": "self_consistency", "params": {"n": 3}})

    class Built:  # a design built in Python, as the public API's block objects are
        def to_spec(self):
            return spec

    served = resolve_designs({"sc": Built(), "plain": spec})
    assert [(d.name, d.spec) for d in served] == [("sc", spec), ("plain", spec)]
    with pytest.raises(ConfigError, match="cannot serve 42"):
        resolve_designs([42])
