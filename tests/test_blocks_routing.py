"""Blocks that choose a design per question: the learned router and compute-optimal allocation,
plus the pure functions that learn them from history."""

import asyncio

import pytest

from agentarch.blocks.compute_optimal import ComputeOptimal, difficulty_bin, fit_policy
from agentarch.blocks.context import CodeResult, Context, branch_sample
from agentarch.blocks.router import Router, fit_router, route_for, text_features
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_text


def run(block, question, respond, **kw):
    model = ScriptedModel(respond)
    ctx = Context(model=model, extract=extract_text, **kw)
    return asyncio.run(block(question, ctx)), ctx, model


MATH = ["A box holds 12 pens. How many pens are in 7 boxes?", "Tom has 15 apples and eats 4. How many are left?",
        "Each ticket costs 8 dollars. What is the total cost of 6 tickets?"]
FACTS = ["Who wrote Hamlet?", "What is the capital of Peru?", "Where is the Eiffel Tower?"]
HISTORY = ([(q, "pot", 1.0) for q in MATH] + [(q, "direct", 0.0) for q in MATH]
           + [(q, "direct", 1.0) for q in FACTS] + [(q, "pot", 0.0) for q in FACTS])
ROUTES = {"direct": {"block": "direct"}, "pot": {"block": "program_of_thought"}}


def test_fit_router_learns_nearest_centroids():
    rules = fit_router(HISTORY)
    assert set(rules["centroids"]) == {"pot", "direct"}
    assert route_for(rules, "A shop sells 9 bags with 4 apples each. How many apples in total?") == "pot"
    assert route_for(rules, "Who painted the Mona Lisa?") == "direct"
    assert route_for(rules, text_features("Who discovered penicillin?")) == "direct"  # features work too
    assert route_for({}, "anything") is None


@pytest.mark.parametrize("question,route,block", [
    ("A farm has 23 cows and buys 9 more. How many cows are there now?", "pot", "program_of_thought"),
    ("Who discovered penicillin?", "direct", "direct"),
])
def test_router_sends_examples_where_history_says(question, route, block):
    router = Router(Router.Params(routes=ROUTES, rules=fit_router(HISTORY)))
    _, ctx, _ = run(router, question, "```python\nprint(32)\n```\nAnswer: Fleming", run_code=ok_runner)
    assert ctx.notes["router.route"] == route
    assert [t.block for t in ctx.trace] == [block]


async def ok_runner(code, timeout=None):
    return CodeResult(ok=True, stdout="32\n")


def test_router_without_rules_uses_default_or_asks_the_model():
    _, ctx, _ = run(Router(Router.Params(routes=ROUTES, default="pot")), "q", "x", run_code=ok_runner)
    assert ctx.notes["router.route"] == "pot"
    _, ctx, model = run(Router(Router.Params(routes=ROUTES, ask_model=True)), "q",
                        lambda req: "1" if "Which strategy" in req.messages[-1]["content"] else "Answer: 3")
    assert ctx.notes["router.route"] == "direct" and len(model.calls) == 2


def test_router_spec_with_learned_rules_round_trips():
    spec = DesignSpec(block="router", params={"routes": ROUTES, "rules": fit_router(HISTORY)})
    again = DesignSpec.model_validate_json(spec.to_json())
    assert again == spec and again.build().params.rules == spec.params["rules"]


# --- compute-optimal --------------------------------------------------------------------------

POLICY = {"medium": {"block": "cot"}, "hard": {"block": "direct"}}


def test_compute_optimal_easy_returns_majority_without_more_calls():
    out, ctx, model = run(ComputeOptimal(ComputeOptimal.Params(policy=POLICY)), "easy q", "Answer: 3")
    assert ctx.notes["compute_optimal.bin"] == "easy"
    assert len(model.calls) == 3 and extract_text(out) == "3"


PROBE = {branch_sample((i,), 0): i for i in range(3)}  # which probe a sampled call is


def test_compute_optimal_hard_runs_the_hard_strategy():
    def respond(req):
        return f"Answer: {PROBE[req.sample]}" if req.temperature > 0 else "Answer: 8"
    out, ctx, model = run(ComputeOptimal(ComputeOptimal.Params(policy=POLICY)), "hard q", respond)
    assert ctx.notes["compute_optimal.bin"] == "hard"
    assert [t.block for t in ctx.trace] == ["compute_optimal.probe"] * 3 + ["direct"]
    assert extract_text(out) == "8"


def test_compute_optimal_medium_runs_the_medium_strategy():
    respond = lambda req: f"Answer: {min(PROBE[req.sample], 1)}" if req.temperature > 0 else "Answer: 1"  # noqa: E731
    _, ctx, _ = run(ComputeOptimal(ComputeOptimal.Params(policy=POLICY)), "q", respond)
    assert ctx.notes["compute_optimal.bin"] == "medium" and ctx.trace[-1].block == "cot"


def test_difficulty_bins_and_fit_policy():
    assert [difficulty_bin(s, 1.0, 0.5) for s in (1.0, 2 / 3, 1 / 3)] == ["easy", "medium", "hard"]
    sc = {"block": "self_consistency", "params": {"n": 3}}
    records = [("easy", "direct", 1.0), ("easy", sc, 1.0), ("hard", "direct", 0.0), ("hard", sc, 1.0),
               ("hard", sc, 0.5), ("medium", '{"block": "cot"}', 1.0), ("medium", "direct", 0.5)]
    assert fit_policy(records) == {"easy": {"block": "direct"}, "medium": {"block": "cot"}, "hard": sc}


def test_compute_optimal_rejects_unknown_bins():
    with pytest.raises(ValueError):
        ComputeOptimal.Params(policy={"trivial": {"block": "direct"}})


@pytest.mark.parametrize("block,params", [
    ("router", {"routes": {"x": {"block": "no_such_block"}}}),
    ("compute_optimal", {"policy": {"hard": {"block": "cot", "params": {"bogus": 1}}}}),
])
def test_bad_child_designs_fail_when_the_spec_is_built(block, params):
    with pytest.raises(ConfigError):
        DesignSpec(block=block, params=params).build()
