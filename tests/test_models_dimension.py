"""The model as a design dimension, on two named scripted models (``scripted:a`` drafts, ``scripted:b``
verifies; never the real 1.5B): a design node names its model, its calls (and its children's) go
there through one cached, metered stack, costs add up per model, the cost-aware objective weighs
each model's tokens by its relative price, and the search space gets a model dimension only when
the user allows it (with a one-line error for an unknown model)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import agentarch as aa
import search_toy as toy
from agentarch.blocks.context import Context
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.llm import relative_prices
from agentarch.llm.client import stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.llm.types import Request
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.space import Space

DRAFT_THEN_VERIFY = {"block": "best_of_n", "model": "scripted:b", "params": {"n": 2},
                     "children": [{"block": "cot", "model": "scripted:a"}]}
SRC = str(Path(__file__).resolve().parents[1] / "src")


def two_models():
    """``scripted:a`` answers questions, ``scripted:b`` judges; each records what it was sent."""
    a = ScriptedModel([(r"number (\d+)", "Step by step.\nAnswer: 7")], name="a")
    b = ScriptedModel([(r"Rate how likely", "Score: 9"), (r".", "Answer: 3")], name="b")
    return a, b


def test_a_design_without_a_model_keeps_its_id_and_json():
    plain = DesignSpec.model_validate({"block": "self_consistency", "children": [{"block": "cot"}]})
    assert "model" not in plain.to_json() and plain.model is None
    assert plain.id == DesignSpec.model_validate_json(plain.to_json()).id
    named = DesignSpec.model_validate({"block": "self_consistency", "model": "scripted:b",
                                       "children": [{"block": "cot"}]})
    assert named.id != plain.id
    assert json.loads(named.to_json())["model"] == "scripted:b"
    assert DesignSpec.model_validate_json(named.to_json()) == named
    assert named.label().startswith("self_consistency@scripted:b")
    # the built block says the same design back, model included
    assert DesignSpec.from_block(named.build()).id == named.id
    assert DesignSpec.from_block(plain.build()).id == plain.id


def test_models_lists_every_named_model_also_inside_a_policy():
    spec = DesignSpec.model_validate({"block": "compute_optimal", "params": {"policy": {
        "hard": {"block": "cot", "model": "scripted:b"}}}})
    assert spec.models() == {"scripted:b"}
    assert DesignSpec.model_validate(DRAFT_THEN_VERIFY).models() == {"scripted:a", "scripted:b"}
    assert DesignSpec(block="cot").models() == set()


def test_calls_go_to_the_named_model_and_usage_adds_up_per_model(store):
    a, b = two_models()
    st = stack(a, store, open_model={"scripted:b": b}.__getitem__, retries=1)
    ctx = Context(model=st.model)
    answer = asyncio.run(DesignSpec.model_validate(DRAFT_THEN_VERIFY).build()("Report the number 7.", ctx))
    assert answer.endswith("Answer: 7")
    # the drafts went to a (the stack's own model, named by its id), the judging to b
    assert len(a.calls) == 2 and all("Rate how likely" not in r.messages[-1]["content"] for r in a.calls)
    # the two equal drafts get one judging request: sent to b once, the second one a cache hit
    assert len(b.calls) == 1 and all("Rate how likely" in r.messages[-1]["content"] for r in b.calls)
    assert [t.model for t in ctx.trace] == ["scripted:a", "scripted:a", "scripted:b", "scripted:b"]
    assert [t.cached for t in ctx.trace] == [False, False, False, True]
    per = st.meter.by_model
    assert per["scripted:a"].calls == 2 and per["scripted:b"].calls == 1
    sent = [t for t in ctx.trace if not t.cached]
    for name in ("scripted:a", "scripted:b"):
        assert per[name].tokens == sum(t.prompt_tokens + t.completion_tokens for t in sent if t.model == name) > 0
    assert per["scripted:a"].tokens + per["scripted:b"].tokens == st.meter.used.tokens


def test_the_same_request_is_cached_apart_per_model_and_plain_keys_are_unchanged(store):
    a, b = two_models()
    st = stack(a, store, open_model={"scripted:b": b}.__getitem__, retries=1)
    req = Request(messages=[{"role": "user", "content": "Report the number 5."}])
    assert Request(messages=req.messages, model="a").key("scripted", "a") == req.key("scripted", "a")
    assert Request(messages=req.messages, model="scripted:b").key("scripted", "a") != req.key("scripted", "a")

    async def ask(model: str):
        return await Context(model=st.model).using(model).ask("Report the number 5.")

    assert asyncio.run(ask("")) == "Step by step.\nAnswer: 7"
    assert asyncio.run(ask("scripted:b")) == "Answer: 3"
    assert asyncio.run(ask("scripted:b")) == "Answer: 3"  # a cache hit: b is not asked again
    assert len(a.calls) == 1 and len(b.calls) == 1


def test_a_stack_that_opens_no_other_model_says_so_in_one_line():
    a, _ = two_models()
    st = stack(a, retries=1)
    with pytest.raises(ConfigError, match="model 'scripted:b': this model stack serves only 'a'"):
        asyncio.run(Context(model=st.model).using("scripted:b").ask("hi"))


def test_compute_optimal_sends_only_hard_questions_to_the_bigger_model(store):
    # probes disagree on odd numbers (hard), agree on even ones (easy)
    def draft(req):
        text = req.messages[-1]["content"]
        n = int(text.split("number ")[1].split(".")[0])
        return f"Answer: {n}" if n % 2 == 0 else f"Answer: {req.sample}"

    def solve(req):
        return "Answer: " + req.messages[-1]["content"].split("number ")[1].split(".")[0]

    model = aa.Model.scripted(draft, name="a", models={"scripted:b": solve})
    spec = {"block": "compute_optimal", "params": {"policy": {"hard": {"block": "cot", "model": "scripted:b"}}}}
    result = aa.evaluate(spec, toy.task(20), model=model, split="train", limit=8, db=store.path)
    big = model.named["scripted:b"]
    hard = [r for r in result.results if r.notes["compute_optimal.bin"] == "hard"]
    assert hard and len(hard) < len(result.results) and len(big.calls) == len(hard)
    assert all(int(r.extracted) % 2 == 1 for r in hard) and all(r.score == 1 for r in result.results)
    for r in result.results:
        models = {t.get("model", "") for t in result.traces[r.example_id]}
        assert ("scripted:b" in models) == (r in hard)
        if r in hard:  # its tokens per model add up to its tokens
            used = r.notes["tokens_by_model"]
            assert sum(u["prompt_tokens"] + u["completion_tokens"] for u in used.values()) == \
                r.prompt_tokens + r.completion_tokens
        else:
            assert "tokens_by_model" not in r.notes


def test_relative_prices_come_from_the_measured_speeds():
    pin, pout = relative_prices.relative_price("qwen2.5-coder-1.5b")
    assert pin == pytest.approx(197 / 86) and pout == pytest.approx(57 / 34)
    assert relative_prices.relative_price("qwen2.5-coder-0.5b") == (1.0, 1.0)
    assert relative_prices.relative_price("some-server-model") == (1.0, 1.0)
    used = {"qwen2.5-coder-0.5b": {"prompt_tokens": 100, "completion_tokens": 10},
            "qwen2.5-coder-1.5b": {"prompt_tokens": 86, "completion_tokens": 34}}
    assert relative_prices.weighted_tokens(used) == pytest.approx(110 + 197 + 57)


def test_the_cost_aware_objective_counts_each_models_price(store, monkeypatch):
    monkeypatch.setattr(relative_prices, "SPEED_TOK_PER_S",
                        {"qwen2.5-coder-0.5b": (100.0, 100.0), "a": (100.0, 100.0), "scripted:b": (25.0, 25.0)})
    monkeypatch.setattr(relative_prices.weighted_tokens, "__defaults__", ("", relative_prices.SPEED_TOK_PER_S))
    a, b = two_models()
    st = stack(a, store, open_model={"scripted:b": b}.__getitem__, retries=1)
    ev = Evaluator(toy.task(6), st, store, run_code=toy.no_code, run_agent=toy.no_agent)
    exs = toy.task(6).examples[:3]
    on_a = asyncio.run(ev.evaluate(DesignSpec.model_validate({"block": "cot"}), exs))
    on_b = asyncio.run(ev.evaluate(DesignSpec.model_validate({"block": "cot", "model": "scripted:b"}), exs))
    rows_b = ev.stored_results(DesignSpec.model_validate({"block": "cot", "model": "scripted:b"}), exs)
    raw_b = sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows_b.values()) / len(rows_b)
    # b's tokens cost 4 of a's: the summary (what the objectives read) is price-weighted
    assert on_b.tokens == pytest.approx(4 * raw_b)
    assert on_a.tokens == pytest.approx(sum(r.prompt_tokens + r.completion_tokens
                                            for r in map(_row, ev.stored_results(DesignSpec(block="cot"), exs).values()))
                                        / 3)


def _row(row):
    from agentarch.runtime.evaluator import _from_row

    return _from_row(row)


def test_the_space_gets_a_model_dimension_only_when_allowed():
    plain = Space.from_registry(only=["cot", "direct", "self_consistency"])
    same = plain.with_models(["scripted:a"])  # one model: no dimension
    for seed in range(5):
        assert plain.random_spec(random.Random(seed)) == same.random_spec(random.Random(seed))
        assert plain.random_spec(random.Random(seed)).models() == set()
    both = plain.with_models(["scripted:a", "scripted:b"], default_model="a")
    seen = set()
    for seed in range(30):
        rng = random.Random(seed)
        spec = both.random_spec(rng)
        seen |= spec.models()
        for _ in range(3):
            spec, _note = both.mutate_described(spec, rng)
            seen |= spec.models()
            assert spec.models() <= {"scripted:a", "scripted:b"}
            spec.build()
    assert seen == {"scripted:a", "scripted:b"}
    # a node naming the stack's own model names nothing
    assert both.normalize(DesignSpec(block="cot", model="a")).model is None


def test_search_with_models_runs_designs_on_both_and_rejects_unknown_models(tmp_path):
    model = aa.Model.scripted(toy.responder(), name="a", models={"scripted:b": toy.responder()})
    with pytest.raises(ConfigError, match="models: unknown model 'scripted:c'"):
        aa.search(toy.task(), "random", 40, model=model, db=tmp_path / "x.db", models="scripted:a,scripted:c")
    run = aa.search(toy.task(), "random", 200, model=model, db=tmp_path / "s.db", rounds=3, patience=10,
                    val_limit=6, test_limit=4, models=["scripted:a", "scripted:b"], race=False,
                    objective="cost-aware")
    assert run.config["models"] == ["a", "scripted:b"]
    labels = [r["label"] for r in run.to_records() if r["origin"] == "random"]
    on_b = [lb for lb in labels if "@scripted:b" in lb]
    assert on_b and len(on_b) < len(labels), labels  # the stack's own model names nothing: no "@a"
    assert not any("@a" in lb or "@scripted:a" in lb for lb in labels)
    assert model.named["scripted:b"].calls, "designs naming scripted:b sent their calls there"
    plain = aa.search(toy.task(), "random", 200, model=aa.Model.scripted(toy.responder(), name="a"),
                      db=tmp_path / "p.db", rounds=1, val_limit=6, test_limit=4, race=False)
    assert "models" not in plain.config


def test_cli_search_models_flag_gives_a_one_line_error_for_an_unknown_preset(tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "search", "--task", "word_problems",
                           "--models", "qwen2.5-coder-0.5b,qwen9-huge", "--db", str(tmp_path / "c.db"),
                           "--budget-calls", "5"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert "unknown model 'qwen9-huge'" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_search_with_two_scripted_models(tmp_path):
    rules_a = tmp_path / "a.json"
    rules_b = tmp_path / "b.json"
    log_b = tmp_path / "b.log"
    rules_a.write_text(json.dumps({"rules": toy.RULES}))
    rules_b.write_text(json.dumps({"rules": toy.RULES, "log": str(log_b)}))
    data = tmp_path / "toy.jsonl"
    data.write_text("".join(json.dumps({"input": e.input, "target": e.target}) + "\n" for e in toy.task(30).examples))
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "search", "--task", str(data),
                           "--optimizer", "random", "--model", f"scripted:{rules_a}",
                           "--models", f"scripted:{rules_a},scripted:{rules_b}", "--rounds", "4",
                           "--val-limit", "6", "--test-limit", "4", "--no-race", "--budget-calls", "300",
                           "--input-field", "input", "--target-field", "target", "--bootstrap-demos", "0", "--propose-instructions", "0",
                           "--db", str(tmp_path / "c.db"), "--out", str(tmp_path / "runs")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert log_b.exists() and log_b.read_text().strip(), "a design on the second model sent it calls"


def test_an_exported_design_keeps_the_models_its_nodes_name(tmp_path):
    import importlib.util

    from agentarch.search.export import render_module

    text, _info = render_module(DesignSpec.model_validate(DRAFT_THEN_VERIFY), metric="numeric")
    path = tmp_path / "agent_models.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("agent_models", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["agent_models"] = mod
    spec.loader.exec_module(mod)
    assert DesignSpec.from_block(mod.build()).id == DesignSpec.model_validate(DRAFT_THEN_VERIFY).id
    a, b = two_models()
    st = stack(a, open_model={"scripted:b": b}.__getitem__, retries=1)
    assert asyncio.run(mod.forward("Report the number 7.", st.model)).endswith("Answer: 7")
    assert {r.model for r in a.calls} == {"scripted:a"} and len(a.calls) == 2
    assert {r.model for r in b.calls} == {"scripted:b"} and len(b.calls) == 2
