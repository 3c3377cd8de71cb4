"""Multi-agent blocks with a scripted model: DyLAN (early stop, agent selection, importance),
ReConcile (confidence-weighted vote), Mixture-of-Agents and its variants, SPP, Meta-Prompting and
Self-Discover."""

import asyncio

import pytest

from agentarch.blocks.context import Context, branch_sample
from agentarch.blocks.dylan import DyLAN, importance_scores, parse_ratings, select_team, team_importance
from agentarch.blocks.meta_prompting import MetaPrompting, expert_calls
from agentarch.blocks.moa import MixtureOfAgents
from agentarch.blocks.reconcile import Reconcile
from agentarch.blocks.self_discover import MODULES, SelfDiscover
from agentarch.blocks.spp import SoloPerformancePrompting
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_text


def run(block, question, respond, **kw):
    model = ScriptedModel(respond)
    ctx = Context(model=model, extract=extract_text, **kw)
    return asyncio.run(block(question, ctx)), ctx, model


def system(req) -> str:
    return req.messages[0]["content"] if req.messages[0]["role"] == "system" else ""


def user(req) -> str:
    return req.messages[-1]["content"]


# --- DyLAN ------------------------------------------------------------------------------------

def test_dylan_stops_early_when_agents_agree():
    out, ctx, model = run(DyLAN(DyLAN.Params(rounds=3)), "q", "Answer: 4")
    assert len(model.calls) == 4  # one round of the four default agents
    scores = ctx.notes["dylan.importance"]
    assert sum(scores.values()) == pytest.approx(1.0) and set(scores.values()) == {0.25}
    assert extract_text(out) == "4"


def test_dylan_importance_follows_peer_ratings():
    roles = ("A", "B", "C")

    def respond(req):
        if "Ratings" not in user(req):
            return f"Answer: {roles.index(system(req)[-2]) + 1}"
        return "Ratings: 5, 1, 1\nAnswer: 1"
    out, ctx, model = run(DyLAN(DyLAN.Params(roles=roles, rounds=2, consensus=1.0)), "q", respond)
    scores = ctx.notes["dylan.importance"]
    assert len(model.calls) == 6
    assert sum(scores.values()) == pytest.approx(1.0)
    assert scores["A"] == pytest.approx((1 / 3 + 5 / 7) / 2) and scores["B"] == pytest.approx(scores["C"])
    assert extract_text(out) == "1"


def test_dylan_ranker_drops_weakest_agents_after_round_two():
    roles = ("A", "B", "C", "D")

    def respond(req):
        if "Reply with their numbers only" in user(req):
            return "3, 1"
        return f"Ratings: 1, 2, 3, 4\nAnswer: {system(req)[-2]}"  # every agent keeps its own answer
    out, ctx, model = run(DyLAN(DyLAN.Params(roles=roles, rounds=3, top_k=2)), "q", respond)
    third = [r for r in model.calls if "Solution 1" in user(r) and "Solution 3" not in user(r)]
    assert len(model.calls) == 4 + 4 + 1 + 2
    assert sorted(system(r) for r in third) == ["You are a A.", "You are a C."]
    scores = ctx.notes["dylan.importance"]
    assert set(scores) == set(roles) and sum(scores.values()) == pytest.approx(1.0)
    assert extract_text(out) in {"A", "C"}


def test_importance_scores_and_team_selection_are_pure():
    scores = importance_scores([["a", "b"], ["a", "b"]], [{}, {"a": {"a": 1, "b": 3}, "b": {"a": 1, "b": 3}}])
    assert scores == pytest.approx({"a": (0.5 + 0.25) / 2, "b": (0.5 + 0.75) / 2})
    per_example = [{"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 0.1, "b": 0.6, "c": 0.3}, {"b": 0.5, "c": 0.5}]
    assert team_importance(per_example)["a"] == pytest.approx(0.2)
    assert select_team(per_example, 2) == ["b", "c"]
    assert parse_ratings("Ratings: 4, 9", 3) == [4.0, 5.0, 3.0]


# --- ReConcile --------------------------------------------------------------------------------

def test_reconcile_confident_minority_beats_unsure_majority():
    replies = {"You are a P1.": "Confidence: 0.5\nAnswer: 5", "You are a P2.": "Confidence: 0.55\nAnswer: 5",
               "You are a P3.": "Confidence: 1.0\nAnswer: 7"}
    out, ctx, model = run(Reconcile(Reconcile.Params(personas=("P1", "P2", "P3"), rounds=0)), "q",
                          lambda req: replies[system(req)])
    assert extract_text(out) == "7" and len(model.calls) == 3
    assert ctx.notes["reconcile.weights"] == [0.1, 0.1, 1.0]


def test_reconcile_discusses_until_consensus():
    def respond(req):
        if "The other agents" in user(req):
            assert "confidence 0.95" in user(req) or system(req) == "You are a P1."
            return "Confidence: 0.9\nAnswer: 2"
        return "Confidence: 0.95\nAnswer: 2" if system(req) == "You are a P1." else "Confidence: 0.6\nAnswer: 3"
    out, _, model = run(Reconcile(Reconcile.Params(personas=("P1", "P2", "P3"), rounds=3)), "q", respond)
    assert len(model.calls) == 6  # opening round + one discussion round, then everyone agrees
    assert extract_text(out) == "2"


# --- Mixture-of-Agents ------------------------------------------------------------------------

def test_moa_layers_then_aggregate():
    out, _, model = run(MixtureOfAgents(), "q", lambda req: "aggregated" if "synthesise" in user(req) and not
                        system(req) else f"Answer: {system(req)}")
    assert len(model.calls) == 3 + 3 + 1
    second = model.calls[3:6]
    assert all("Response 3" in user(r) for r in second)
    assert out == "aggregated" and not system(model.calls[-1])


def test_self_moa_samples_one_proposer():
    _, _, model = run(MixtureOfAgents(MixtureOfAgents.Params(self_moa=True, samples=4, layers=1)), "q", "Answer: 1")
    proposals = model.calls[:-1]
    assert len(proposals) == 4 and {r.sample for r in proposals} == {branch_sample((i,), 0) for i in range(4)}
    assert not any(system(r) for r in model.calls)


def test_sparse_moa_keeps_top_k_per_layer():
    def respond(req):
        if "Reply with their numbers only" in user(req):
            return "2"
        return f"Answer: {system(req) or 'agg'}"
    _, _, model = run(MixtureOfAgents(MixtureOfAgents.Params(sparse_top_k=1)), "q", respond)
    judges = [r for r in model.calls if "Reply with their numbers only" in user(r)]
    assert len(judges) == 2 and len(model.calls) == 3 + 1 + 3 + 1 + 1
    aggregate = user(model.calls[-1])
    assert "creative problem solver" in aggregate and "Response 2" not in aggregate


# --- SPP, Meta-Prompting, Self-Discover -------------------------------------------------------

def test_spp_is_one_multi_persona_call():
    out, _, model = run(SoloPerformancePrompting(SoloPerformancePrompting.Params(personas=3)), "q", "Answer: 1")
    assert len(model.calls) == 1 and "3 experts" in user(model.calls[0]) and extract_text(out) == "1"
    # the demonstration is an earlier turn, so the question being solved is the last message
    roles = [m["role"] for m in model.calls[0].messages]
    assert roles == ["user", "assistant", "user"] and user(model.calls[0]).startswith("Question: q")


def test_expert_calls_parse():
    text = 'Plan.\nExpert Mathematician: """Compute 6*7."""\nExpert Python Programmer: check it\nwith code'
    assert expert_calls(text) == [("Mathematician", "Compute 6*7."), ("Python Programmer", "check it\nwith code")]


def test_meta_prompting_conductor_consults_expert_then_answers():
    def respond(req):
        if system(req).startswith("You are Expert"):
            return "42"
        return "FINAL ANSWER: 42" if "Expert Mathematician replied:\n42" in user(req) else "Expert Mathematician: 6*7?"
    out, _, model = run(MetaPrompting(), "q", respond)
    assert len(model.calls) == 3
    assert system(model.calls[1]) == "You are Expert Mathematician." and user(model.calls[1]) == "6*7?"
    assert extract_text(out) == "42"


def test_meta_prompting_forces_final_answer_after_rounds():
    def respond(req):
        if system(req).startswith("You are Expert"):
            return "hmm"
        return "FINAL ANSWER: 1" if "No more experts" in user(req) else "Expert Logician: think"
    out, _, model = run(MetaPrompting(MetaPrompting.Params(rounds=2)), "q", respond)
    assert len(model.calls) == 3 + 2 and extract_text(out) == "1"


def test_self_discover_runs_four_stages_with_selected_modules():
    def stage_of(req):
        t = user(req)
        return ("select" if "Reasoning modules" in t else "adapt" if "Selected modules" in t
                else "implement" if "Adapted modules" in t else "solve")
    replies = {"select": "2, 5", "adapt": "adapted", "implement": "1. plan", "solve": "Answer: 9"}
    respond = lambda req: replies[stage_of(req)]  # noqa: E731
    out, _, model = run(SelfDiscover(SelfDiscover.Params(select=2)), "q", respond)
    assert [stage_of(r) for r in model.calls] == ["select", "adapt", "implement", "solve"]
    adapt = user(model.calls[1])
    assert MODULES[1] in adapt and MODULES[4] in adapt and MODULES[0] not in adapt
    assert "1. plan" in user(model.calls[3]) and extract_text(out) == "9"
