"""Shared block helpers: score/confidence parsing, picking, softmax, budget splitting, grouping,
doctest asserts, and the notes a context shares with its sampling views."""

import asyncio

import pytest

from agentarch.blocks.common import (best_by_group, majority_text, parse_confidence, parse_score, pick_many,
                                     rank_top, softmax)
from agentarch.blocks.context import Context
from agentarch.blocks.stepwise import allocate, is_final, render
from agentarch.blocks.verify import doctest_asserts
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_text


@pytest.mark.parametrize("text,top,want", [
    ("Score: 7", 10, 0.7), ("I'd say 8/10.", 10, 0.8), ("Score: 85/100", 10, 0.85), ("90%", 10, 0.9),
    ("Score: 64", 100, 0.64), ("8 out of 10", 100, 0.8), ("Score: 3 / 5", 10, 0.6), ("rating = 12", 10, 1.0), ("no idea", 10, 0.0),
])
def test_parse_score(text, top, want):
    assert parse_score(text, top=top) == pytest.approx(want)


@pytest.mark.parametrize("text,want", [
    ("Confidence: 0.8\nAnswer: 3", 0.8), ("confidence level: 90%", 0.9), ("Confidence: 75", 0.75), ("none", 0.5),
])
def test_parse_confidence(text, want):
    assert parse_confidence(text) == pytest.approx(want)


def test_pick_many_keeps_order_and_fills():
    assert pick_many("3, 1", 4, 2) == [2, 0]
    assert pick_many("Best: 2, 2, 9", 3, 3) == [1, 0, 2]


def test_softmax_and_allocate():
    probs = softmax([0.9, 0.1], 0.2)
    assert sum(probs) == pytest.approx(1.0) and probs[0] > 0.95
    assert allocate([0.5, 0.3, 0.2], 4) == [2, 1, 1]
    assert sum(allocate([0.1, 0.2, 0.7], 7)) == 7
    assert allocate([1.0, 1.0], 0) == [0, 0]


def test_best_by_group_uses_mean_score():
    records = [("g", "a", 1), ("g", "a", 0), ("g", "b", 0.6), ("h", "a", 1)]
    assert best_by_group(records) == {"g": "b", "h": "a"}


def test_majority_text_weighted():
    texts = ["Answer: 5", "Answer: 5", "Answer: 7"]
    assert majority_text(texts, extract_text) == "Answer: 5"
    assert majority_text(texts, extract_text, [0.1, 0.1, 1.0]) == "Answer: 7"


def test_steps_render_and_final():
    assert render(["a", "Answer: 3"]) == "Step 1: a\nStep 2: Answer: 3"
    assert is_final("so Answer: 3") and not is_final("add 2")


def test_doctest_asserts():
    q = 'def f(x):\n    """Double.\n    >>> f(2)\n    4\n    >>> f(0)\n    0\n    """\n'
    assert doctest_asserts(q) == "assert f(2) == 4\nassert f(0) == 0"


def test_rank_top_asks_only_when_needed():
    model = ScriptedModel("2")
    ctx = Context(model=model)
    assert asyncio.run(rank_top("q", ["a", "b"], 2, ctx, block="r")) == [0, 1] and not model.calls
    assert asyncio.run(rank_top("q", ["a", "b", "c"], 1, ctx, block="r")) == [1]


def test_notes_are_shared_with_branch_views():
    ctx = Context(model=ScriptedModel("x"))
    ctx.branch(0, 0.7).notes["k"] = 1
    assert ctx.notes == {"k": 1}
