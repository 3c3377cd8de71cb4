"""Measuring the noise of a design: ``Request.repeat`` (a fresh, separately cached call with the same
seed), ``Evaluator.evaluate(repeat=)``, the noise floor (runtime/noise.py), ``agentarch eval --repeat``,
the search's noise step and the promotion labels that require a gain above the floor."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from types import SimpleNamespace

import pytest

import search_toy as toy
from agentarch.blocks.presets import baselines
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.budget import Budget
from agentarch.llm.client import stack
from agentarch.llm.local import LocalModel
from agentarch.llm.openai_compat import OpenAICompatModel
from agentarch.llm.scripted import ScriptedModel
from agentarch.llm.types import GREEDY_SEED, Request
from agentarch.runtime.evaluator import Evaluator, Summary
from agentarch.runtime.noise import noise_floor
from agentarch.runtime.stats import Interval
from agentarch.search.base import Candidate, Scored, SearchEnv
from agentarch.search.loop import run_search
from agentarch.search.promote import promote, significance
from agentarch.search.registry import make_optimizer
from agentarch.search.report import build_report
from agentarch.store.db import Store
from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

MSG = [{"role": "user", "content": "What is 2 + 2?"}]


# -- Request.repeat: key and seed ---------------------------------------------------------------
def test_repeat_changes_the_key_but_not_the_seed():
    greedy = [Request(MSG, repeat=r) for r in range(3)]
    assert len({r.key("b", "m") for r in greedy}) == 3
    assert {r.seed("b", "m") for r in greedy} == {GREEDY_SEED}
    sampled = [Request(MSG, temperature=0.7, sample=2, repeat=r) for r in range(3)]
    assert len({r.key("b", "m") for r in sampled}) == 3
    assert len({r.seed("b", "m") for r in sampled}) == 1
    assert sampled[0].seed("b", "m") != Request(MSG, temperature=0.7, sample=3).seed("b", "m")  # samples differ
    # repeat 0 is the key calls always had: an existing cache stays valid
    assert Request(MSG).key("b", "m") == Request(MSG, repeat=0).key("b", "m")


def test_backends_send_the_fixed_seed_for_greedy_calls():
    http = OpenAICompatModel("http://127.0.0.1:9", "m")
    local = SimpleNamespace(backend="local", name="m")
    for body in (http._body(Request(MSG)), LocalModel._body(local, Request(MSG))):
        assert body["seed"] == GREEDY_SEED
    for body in (http._body(Request(MSG, repeat=1)), LocalModel._body(local, Request(MSG, repeat=1))):
        assert body["seed"] == GREEDY_SEED
    hot = Request(MSG, temperature=0.8, sample=1)
    assert http._body(hot)["seed"] == http._body(Request(MSG, temperature=0.8, sample=1, repeat=4))["seed"]
    assert http._body(hot)["seed"] == hot.seed("openai", "m") != GREEDY_SEED


# -- the evaluator ------------------------------------------------------------------------------
def numbers_task(n=10):
    exs = [Example(f"ex{i:02d}", f"Report the number {10 + i}.", str(10 + i)) for i in range(n)]
    return Task("numbers", "Report the number.", exs, metric="numeric")


def flaky_responder(flip_on_repeat=("12", "13", "19"), wrong_first=("18", "19")):
    """Greedy answers that depend on the repeat: right except ``wrong_first`` at repeat 0, and the
    examples in ``flip_on_repeat`` swap right/wrong at repeat 1 (so 12, 13 break and 19 heals)."""

    def respond(req):
        text = req.messages[-1]["content"]
        n = text.split("number ")[1].split(".")[0]
        right = n not in wrong_first
        if req.repeat > 0 and n in flip_on_repeat:
            right = not right
        return f"Answer: {n if right else 0}"

    return respond


def test_a_repeat_sends_new_calls_is_stored_apart_and_resumes_for_free(store):
    task = numbers_task()
    model = ScriptedModel(flaky_responder())
    ev = Evaluator(task, stack(model, store), store, run_code=toy.no_code, run_agent=toy.no_agent)
    cot = DesignSpec(block="cot")
    first = asyncio.run(ev.evaluate(cot, task.examples, run_id="r"))
    assert len(model.calls) == 10 and all(r.repeat == 0 for r in model.calls)
    again = asyncio.run(ev.evaluate(cot, task.examples, run_id="r", repeat=1))
    assert len(model.calls) == 20 and all(r.repeat == 1 for r in model.calls[10:])
    assert [r.messages for r in model.calls[10:]] == [r.messages for r in model.calls[:10]]
    assert first.accuracy.mean == 0.8 and again.accuracy.mean == 0.7
    # a rerun of either repeat is served from the store: no new call
    assert asyncio.run(ev.evaluate(cot, task.examples, repeat=1)).scores == again.scores
    assert asyncio.run(ev.evaluate(cot, task.examples)).scores == first.scores
    assert len(model.calls) == 20
    # the run keeps repeat 0's summary, not the repeat's
    (row,) = store.run_designs("r")
    assert json.loads(row["summary"])["accuracy"]["mean"] == 0.8


def test_a_repeat_after_a_kill_pays_only_for_what_is_missing(tmp_path):
    task = numbers_task()
    cot = DesignSpec(block="cot")
    store = Store(tmp_path / "k.db")
    model = ScriptedModel(flaky_responder())
    ev = Evaluator(task, stack(model, store, Budget(calls=14)), store, run_code=toy.no_code, run_agent=toy.no_agent)
    asyncio.run(ev.evaluate(cot, task.examples))
    cut = asyncio.run(ev.evaluate(cot, task.examples, repeat=1))
    assert not cut.complete and cut.n == 4
    model2 = ScriptedModel(flaky_responder())
    ev2 = Evaluator(task, stack(model2, store), store, run_code=toy.no_code, run_agent=toy.no_agent)
    done = asyncio.run(ev2.evaluate(cot, task.examples, repeat=1))
    assert done.complete and len(model2.calls) == 6 and done.accuracy.mean == 0.7


# -- the floor ----------------------------------------------------------------------------------
def test_noise_floor_counts_flips_that_the_accuracy_shift_hides():
    a = {"x": 1.0, "y": 0.0, "z": 1.0, "w": 1.0}
    b = {"x": 0.0, "y": 1.0, "z": 1.0, "w": 1.0}
    nf = noise_floor([a, b])
    assert nf.accuracies == (0.75, 0.75) and nf.shift == 0.0
    assert nf.flips == 2 and nf.flip_rate == 0.5 and nf.floor == 0.5
    same = noise_floor([a, dict(a)])
    assert same.flips == 0 and same.floor == 0.0
    three = noise_floor([a, b, {**a, "w": 0.0}])  # pairs: 2/4, 1/4, 3/4 changed
    assert three.flips == 3 and three.floor == pytest.approx(0.5)
    with pytest.raises(ValueError):
        noise_floor([a])


# -- agentarch eval --repeat 2 ------------------------------------------------------------------
def test_eval_repeat_reports_flips_and_the_floor(tmp_path):
    from agentarch.tasks.registry import load_task

    data = tmp_path / "numbers.jsonl"
    data.write_text("".join(json.dumps({"question": f"Report the number {n}.", "answer": str(n)}) + "\n"
                            for n in range(10, 50)))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({
        "rules": [[r"number (\d*[89])\.", "Answer: 0"], [r"number (\d+)\.", r"Answer: \1"]],
        "repeat_rules": [[r"number (\d*9)\.", r"Answer: \1"], [r"number (\d*[23])\.", "Answer: 0"]]}))
    db, out = str(tmp_path / "e.db"), tmp_path / "r.json"
    args = [sys.executable, "-m", "agentarch.cli.main", "eval", "--task", str(data), "--input-field", "question",
            "--target-field", "answer", "--metric", "numeric", "-d", "cot", "--repeat", "2",
            "--model", f"scripted:{rules}", "--db", db, "--json", str(out)]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    test = load_task(str(data), input_field="question", target_field="answer", metric="numeric").split(seed=0).test
    last = [e.input.split("number ")[1][-2] for e in test]  # the last digit of each test number
    right0 = sum(d not in "89" for d in last)
    right1 = sum(d not in "8" and d not in "23" for d in last)
    flips = sum(d in "239" for d in last)
    assert flips > 0 and right0 != right1
    (noise,) = json.loads(out.read_text())["noise"]
    n = len(test)
    assert noise["n"] == n and noise["flips"] == flips
    assert noise["accuracies"] == [pytest.approx(right0 / n), pytest.approx(right1 / n)]
    assert noise["floor"] == pytest.approx(flips / n)
    assert f"{flips} ({flips / n:.1%})" in proc.stdout and f"{flips / n:.3f}" in proc.stdout
    assert f"model calls sent: {2 * n} " in proc.stdout
    again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "model calls sent: 0 " in again.stdout and f"{flips} ({flips / n:.1%})" in again.stdout


# -- promotion labels ---------------------------------------------------------------------------
def test_significance_needs_the_gain_to_exceed_the_floor():
    assert significance(0.05, 0.3, 0.2) == "better"
    assert significance(0.05, 0.3, 0.2, floor=0.1) == "better"
    assert significance(0.05, 0.3, 0.2, floor=0.2) == "within noise"
    assert significance(0.05, 0.3, 0.2, floor=0.25) == "within noise"
    assert significance(-0.3, -0.05, -0.2, floor=0.25) == "within noise"
    assert significance(-0.3, -0.05, -0.2, floor=0.1) == "worse"
    assert significance(-0.1, 0.3, 0.2, floor=0.0) == "not significant"


class FixedScores:
    """An evaluator stand-in whose test scores are given per design."""

    def __init__(self, scores: dict[str, dict[str, float]]):
        self.scores = scores

    async def evaluate(self, spec, examples, split="test", run_id=None, on_result=None, role="", repeat=0):
        s = self.scores[spec.id]
        acc = sum(s.values()) / len(s)
        return Summary(spec.id, spec.label(), split, len(s), Interval(acc, acc, acc), 1.0, 10.0, 0.0, 0.0, 0,
                       True, dict(s))


def test_promotion_labels_better_within_noise_and_not_significant():
    test = [Example(f"t{i:02d}", "q", "a") for i in range(40)]
    base, big, small, mixed = (DesignSpec(block="cot"), DesignSpec(block="cot", params={"instruction": "careful"}),
                               DesignSpec(block="step_back"), DesignSpec(block="refine"))
    right = lambda k: {e.id: float(i < k) for i, e in enumerate(test)}  # noqa: E731
    mixed_scores = {**right(20), "t00": 0.0, "t01": 0.0, "t20": 1.0, "t21": 1.0}  # two lost, two gained
    scores = {base.id: right(20), big.id: right(36), small.id: right(25), mixed.id: mixed_scores}
    history = [Scored(Candidate(base, origin="baseline"), 0.6, 0.5, 0.7, 10, 1),
               Scored(Candidate(big, origin="evolve"), 0.9, 0.8, 1.0, 10, 1),
               Scored(Candidate(small, origin="evolve"), 0.8, 0.7, 0.9, 10, 1),
               Scored(Candidate(mixed, origin="evolve"), 0.7, 0.6, 0.8, 10, 1)]
    noise = {"measured": True, "floor": 0.2, "n": 20, "flips": 4, "accuracies": [0.6, 0.6]}
    rep = asyncio.run(promote(FixedScores(scores), "r", history, {"cot": base.id}, test, noise=noise))
    labels = {r["design"]: (r["delta"] or {}).get("label") for r in rep["designs"]}
    assert labels[big.id] == "better"  # +0.40, interval above 0, gain above 0.2
    assert labels[small.id] == "within noise"  # +0.125: every example gained, but less than the floor
    assert labels[mixed.id] == "not significant"
    assert rep["noise"] == noise
    # without a measured floor the same scores are labelled on the interval alone
    plain = asyncio.run(promote(FixedScores(scores), "r", history, {"cot": base.id}, test,
                                noise={"measured": False, "reason": "budget"}))
    assert {r["design"]: (r["delta"] or {}).get("label") for r in plain["designs"]}[small.id] == "better"


# -- the search measures the floor before promotion ---------------------------------------------
def toy_search(tmp_path, budget=None, model=None):
    store = Store(tmp_path / "s.db")
    task = toy.task()
    parts = task.split(seed=0)
    model = model or toy.model()
    ev = Evaluator(task, stack(model, store, budget), store, run_code=toy.no_code, run_agent=toy.no_agent)
    test_ev = Evaluator(task, stack(model, store), store, run_code=toy.no_code, run_agent=toy.no_agent)
    opt = make_optimizer("evolve", SearchEnv(rng=random.Random(0), train=parts.train))
    res = asyncio.run(run_search(task, opt, ev, store, "run", val=parts.val, test=parts.test,
                                 baselines=baselines(["direct", "cot"]), max_rounds=3, patience=100,
                                 test_evaluator=test_ev))
    return res, store, parts, ev, model


def test_the_search_measures_the_best_baseline_twice_and_reports_the_floor(tmp_path):
    def respond(req):  # the toy, except that repeat 1 gets every number ending in 1 wrong
        text = "\n".join(m.get("content") or "" for m in req.messages)
        if req.repeat and toy.NUMBER.search(text) and toy.NUMBER.search(text).group(1).endswith("1"):
            return "Answer: 0"
        return toy.responder()(req)

    model = ScriptedModel(respond)
    res, store, parts, ev, _ = toy_search(tmp_path, model=model)
    cot = DesignSpec(block="cot")
    noise = res.noise
    assert noise["measured"] and noise["design"] == cot.id and noise["n"] == len(parts.val)
    repeats = [r for r in model.calls if r.repeat == 1]
    assert len(repeats) == noise["calls_sent"] == len(parts.val)  # cot: one call per example, all sent
    ones = [e for e in parts.val if e.target.endswith("1")]
    first = ev.stored_results(cot, parts.val)  # the first measurement (repeat 0)
    flipped = sum(1 for e in ones if first[e.id]["score"] == 1.0)
    assert flipped > 0 and noise["flips"] == flipped
    assert noise["floor"] == pytest.approx(flipped / len(parts.val))
    report = build_report(res, {})
    assert report["noise"] == noise and report["promotion"]["noise"] == noise
    assert [e["kind"] for e in store.events("run")].count("noise") == 1
    from agentarch.cli.commands_search import noise_line

    assert f"noise floor {noise['floor']:.3f}" in noise_line(res.noise)
    # the same search again resumes: the measurement is replayed, no repeat call is sent
    model2 = ScriptedModel(respond)
    res2 = toy_search(tmp_path, model=model2)[0]
    assert res2.noise == {**noise, "replayed": True} and not [r for r in model2.calls if r.repeat]


def test_the_search_says_when_the_budget_cannot_pay_for_the_floor(tmp_path):
    res, store, *_ = toy_search(tmp_path, budget=Budget(calls=40))
    assert res.stop_reason == "budget"
    assert res.noise["measured"] is False and "calls left" in res.noise["reason"]
    assert res.report["noise"] == res.noise
    from agentarch.cli.commands_search import noise_line

    assert noise_line(res.noise).startswith("noise floor not measured")


# -- the embedded model -------------------------------------------------------------------------
@pytest.mark.model
def test_repeat_on_the_embedded_model_sends_fresh_greedy_calls(tmp_path):
    db, out = tmp_path / "m.db", tmp_path / "m.json"
    short_cot = json.dumps({"block": "cot", "params": {"max_tokens": 96}})  # greedy cot, kept short
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "eval", "--task", "easy_qa", "-d", short_cot,
                           "--limit", "4", "--repeat", "2", "--db", str(db), "--json", str(out)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "model calls sent: 8 (cache hits: 0)" in proc.stdout  # repeat 1 bypassed repeat 0's cached calls
    (noise,) = json.loads(out.read_text())["noise"]
    assert noise["n"] == 4 and 0 <= noise["flips"] <= 4 and 0.0 <= noise["floor"] <= 1.0
    assert "noise floor" in proc.stdout
    store = Store(db)
    requests = [json.loads(r["request"]) for r in store.db.execute("SELECT request FROM calls")]
    assert sorted(r["repeat"] for r in requests) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert all(r["temperature"] == 0 for r in requests)
