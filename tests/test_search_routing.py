"""Learning a router from evaluation history: routes are evaluated (or read back from the store),
and the fitted router sends each kind of question to the route that scored best on it."""

from __future__ import annotations

import asyncio

from agentarch.blocks.spec import DesignSpec
from agentarch.llm.client import stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.routing import learn_router
from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

ROUTES = {"direct": DesignSpec(block="direct"), "cot": DesignSpec(block="cot")}


def reply(req):
    """Direct answers are right on short questions; step-by-step answers are right on long ones
    with many numbers, and wrong on short ones."""
    text = req.messages[-1]["content"]
    long_q = "numbers" in text
    if "step by step" in text:
        return "work\nAnswer: 7" if long_q else "work\nAnswer: 0"
    return "Answer: 0" if long_q else "Answer: 7"


def make_task() -> Task:
    short = [Example(f"s{i}", f"What is {i}?", "7") for i in range(4)]
    long = [Example(f"l{i}", f"With the numbers {i}, 2, 3, 4, 5 and 6 and a long story about them, "
                              f"how many are there in total after {i} more?", "7") for i in range(4)]
    return Task("toy_routes", "toy", short + long, metric="numeric")


def test_router_learned_from_history_sends_each_kind_where_it_scored(store):
    task = make_task()
    model = ScriptedModel(reply)
    ev = Evaluator(task, stack(model, store), store, concurrency=4)
    fit = asyncio.run(learn_router(ev, ROUTES, task.examples))
    assert fit.route_accuracy == {"direct": 0.5, "cot": 0.5}
    assert fit.oracle_accuracy == 1.0 and fit.routed_accuracy == 1.0
    assert fit.chosen == {"direct": 4, "cot": 4}
    # the design evaluates to what the fit promised, sending each question down one route only
    summary = asyncio.run(ev.evaluate(fit.design, task.examples))
    assert summary.accuracy.mean == 1.0 and summary.calls == 1.0


def test_learning_again_reads_the_history_without_model_calls(store):
    task = make_task()
    model = ScriptedModel(reply)
    ev = Evaluator(task, stack(model, store), store)
    first = asyncio.run(learn_router(ev, ROUTES, task.examples))
    sent = len(model.calls)
    again = asyncio.run(learn_router(ev, ROUTES, task.examples))
    assert len(model.calls) == sent == 16
    assert again.design == first.design


def probe_reply(req):
    """Probes (256-token step-by-step samples) agree on easy questions and scatter on hard ones; a
    direct answer is right only on hard ones; step-back is always wrong."""
    text = req.messages[-1]["content"]
    hard = "tricky" in text
    if "Do not solve it yet" in text:
        return "Some principle."
    if "Useful principles" in text:
        return "Answer: 0"
    if "no explanation" in text:
        return "Answer: 7" if hard else "Answer: 0"
    return f"work\nAnswer: {req.sample}" if hard else "work\nAnswer: 7"


def test_compute_policy_gives_each_difficulty_bin_its_best_strategy(store):
    from agentarch.search.routing import learn_compute_policy

    examples = ([Example(f"e{i}", f"Easy sum {i}?", "7") for i in range(4)]
                + [Example(f"h{i}", f"A tricky one {i}?", "7") for i in range(4)])
    task = Task("toy_bins", "toy", examples, metric="numeric")
    model = ScriptedModel(probe_reply)
    ev = Evaluator(task, stack(model, store), store, concurrency=4)
    strategies = {"direct": DesignSpec(block="direct"), "step_back": DesignSpec(block="step_back")}
    fit = asyncio.run(learn_compute_policy(ev, strategies, examples, probes=3))
    assert fit.bins == {"easy": 4, "hard": 4}
    assert fit.accuracy["easy"] == {"probe majority": 1.0, "direct": 0.0, "step_back": 0.0}
    assert fit.accuracy["hard"]["direct"] == 1.0 and fit.accuracy["hard"]["probe majority"] == 0.0
    assert fit.design.params["policy"] == {"hard": {"block": "direct"}}  # easy questions stop at the probes
    sent = len(model.calls)
    summary = asyncio.run(ev.evaluate(fit.design, examples))
    assert summary.accuracy.mean == 1.0
    assert len(model.calls) == sent  # probes and direct answers were all asked while learning: cache hits
    assert summary.calls == (4 * 3 + 4 * 4) / 8  # easy: 3 probes; hard: 3 probes + 1 direct answer
