"""Search and verifier blocks with a scripted model: best-of-N verifiers, best-first tree search,
REBASE width allocation, particle resampling, MCTS reflections and PlanGEN's algorithm choice."""

import asyncio
import re

import pytest

from agentarch.blocks.best_of_n import BestOfN
from agentarch.blocks.context import CodeResult, Context, branch_sample
from agentarch.blocks.cot import ChainOfThought
from agentarch.blocks.mcts_reasoning import MCTSReasoning
from agentarch.blocks.particle_filter import ParticleFilter
from agentarch.blocks.plangen import PlanGEN
from agentarch.blocks.rebase import Rebase
from agentarch.blocks.tree_search import TreeSearch
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_text


def run(block, question, respond, **kw):
    model = ScriptedModel(respond)
    ctx = Context(model=model, extract=extract_text, **kw)
    return asyncio.run(block(question, ctx)), ctx, model


# which sample (0, 1, ...) of a best-of-N, of a judge panel or of a step expansion a call is
BRANCH = {branch_sample((i,), 0): i for i in range(8)}


def prompt(req) -> str:
    return req.messages[-1]["content"]


def last_step(req) -> str:
    """The last 'Step k: ...' of the solution a judge is shown (or of the steps so far)."""
    steps = re.findall(r"Step \d+: (.*)", prompt(req))
    return steps[-1] if steps else ""


def expansions(model, marker="Write only the next step"):
    return [r for r in model.calls if marker in prompt(r)]


# --- best of N --------------------------------------------------------------------------------

def test_best_of_n_llm_judge_picks_highest_score():
    def respond(req):
        if "Score: <0-10>" in prompt(req):
            return "Score: 9" if "Answer: 2" in prompt(req) else "Score: 3"
        return f"Answer: {BRANCH[req.sample] + 1}"
    out, _, model = run(BestOfN(BestOfN.Params(n=3), [ChainOfThought()]), "q", respond)
    assert extract_text(out) == "2"
    assert len(model.calls) == 6


def test_best_of_n_verifier_majority_counts_votes():
    def respond(req):
        if "CORRECT or WRONG" in prompt(req):
            return "CORRECT" if "Answer: 3" in prompt(req) and BRANCH[req.sample] < 2 else "WRONG"
        return f"Answer: {BRANCH[req.sample] + 1}"
    block = BestOfN(BestOfN.Params(n=3, verifier="verifier_majority", judges=3), [ChainOfThought()])
    out, _, model = run(block, "q", respond)
    assert extract_text(out) == "3"
    assert sum("CORRECT or WRONG" in prompt(r) for r in model.calls) == 9


async def exec_runner(code, timeout=None):
    try:
        exec(code, {})
        return CodeResult(ok=True)
    except Exception as exc:  # noqa: BLE001 - a test runner reports every failure
        return CodeResult(ok=False, error=repr(exc))


def test_best_of_n_exec_check_runs_doctests():
    q = 'def double(x):\n    """\n    >>> double(3)\n    6\n    """\n'
    bodies = ["return x + 2", "return x * 2", "return x"]
    ran = []

    async def runner(code, timeout=None):
        ran.append(code)
        return await exec_runner(code)
    out, _, _ = run(BestOfN(BestOfN.Params(n=3, verifier="exec_check"), [ChainOfThought()]), q,
                    lambda req: f"```python\ndef double(x):\n    {bodies[BRANCH[req.sample]]}\n```", run_code=runner)
    assert "x * 2" in out
    assert len(ran) == 3 and all("assert double(3) == 6" in c for c in ran)


# --- tree search ------------------------------------------------------------------------------

def tree_respond(req):
    text = prompt(req)
    if "Score: <0-10>" in text:
        return {"good": "Score: 8", "bad": "Score: 2", "Answer: 42": "Score: 10"}.get(last_step(req), "Score: 5")
    if "Steps so far" not in text:
        return ["bad", "good"][BRANCH[req.sample]]
    return "Answer: 42" if last_step(req) == "good" else "more"


def test_tree_search_expands_best_node_first_and_stops_on_a_good_solution():
    out, _, model = run(TreeSearch(TreeSearch.Params(branch=2, budget=5)), "q", tree_respond)
    grown = expansions(model)
    assert len(grown) == 2 * 2  # two expansions of two samples each, then it stopped
    assert last_step(grown[2]) == "good"  # the higher-valued child was expanded next
    assert extract_text(out) == "42"


def test_tree_search_respects_budget_and_finishes_a_partial():
    respond = lambda req: "Score: 5" if "Score: <0-10>" in prompt(req) else (  # noqa: E731
        "Answer: 1" if "Partial solution" in prompt(req) else "keep going")
    out, _, model = run(TreeSearch(TreeSearch.Params(branch=2, budget=3, depth=9)), "q", respond)
    assert len(expansions(model)) == 3 * 2
    assert len(expansions(model, "Partial solution")) == 1 and extract_text(out) == "1"


@pytest.mark.parametrize("min_steps", [0, 1, 2])
def test_the_answer_is_invited_only_after_min_steps(min_steps):
    respond = lambda req: "Score: 5" if "Score: <0-10>" in prompt(req) else "keep going"  # noqa: E731
    _, _, model = run(TreeSearch(TreeSearch.Params(branch=1, budget=3, depth=9, min_steps=min_steps)), "q", respond)
    invited = ["Answer: <final answer>" in prompt(r) for r in expansions(model)]
    assert invited == [i >= min_steps for i in range(3)]
    assert ["Do not give the final answer yet" in prompt(r) for r in expansions(model)] == [not x for x in invited]


# --- REBASE -----------------------------------------------------------------------------------

def test_rebase_gives_more_children_to_higher_reward_nodes():
    rewards = {"s0": 9, "s1": 5}

    def respond(req):
        text = prompt(req)
        if "Score: <0-10>" in text:
            return f"Score: {rewards.get(last_step(req), 1 if 'Answer' not in last_step(req) else 6)}"
        if "Steps so far" not in text:
            return f"s{BRANCH[req.sample]}"
        return f"Answer: {last_step(req)}"
    out, _, model = run(Rebase(Rebase.Params(width=6, depth=3, balance_temperature=0.2)), "q", respond)
    per_parent = {}
    for r in expansions(model)[6:]:
        per_parent[last_step(r)] = per_parent.get(last_step(r), 0) + 1
    assert per_parent == {"s0": 5, "s1": 1}
    assert extract_text(out) == "s0"  # reward-weighted vote over the six finished solutions


# --- particle filter --------------------------------------------------------------------------

def test_particle_filter_resamples_toward_high_reward():
    def respond(req):
        text = prompt(req)
        if "Score: <0-10>" in text:
            return "Score: 9" if "p1" in text else "Score: 1"
        if "Steps so far" not in text:
            return f"p{BRANCH[req.sample]}"
        return "Answer: 5"
    out, _, model = run(ParticleFilter(ParticleFilter.Params(particles=3, steps=3, resample_temperature=0.1)),
                        "q", respond)
    second = expansions(model)[3:]
    assert len(second) == 3 and all(last_step(r) == "p1" for r in second)
    assert len(expansions(model)) == 6  # every particle finished at step 2
    assert extract_text(out) == "5"


# --- MCTS -------------------------------------------------------------------------------------

def test_mcts_reflects_on_failed_solution_and_uses_it_later():
    def respond(req):
        text = prompt(req)
        if "Score: <0-10>" in text:
            return {"Answer: 3": "Score: 1", "think more": "Score: 5", "Answer: 4": "Score: 10"}[last_step(req)]
        if "what went wrong" in text:
            return "Do not guess; count again."
        if "Steps so far" not in text:
            return ["Answer: 3", "think more"][BRANCH[req.sample]]
        return "Answer: 4"
    out, _, model = run(MCTSReasoning(MCTSReasoning.Params(iterations=5, branch=2)), "q", respond)
    grown = expansions(model)
    assert len(grown) == 4  # root (2 samples), then the promising child (2 samples); then success
    assert "count again" not in prompt(grown[0]) and "count again" in prompt(grown[2])
    assert last_step(grown[2]) == "think more"
    assert sum("what went wrong" in prompt(r) for r in model.calls) == 1
    assert extract_text(out) == "4"


# --- PlanGEN ----------------------------------------------------------------------------------

@pytest.mark.parametrize("level,algorithm", [(2, "best_of_n"), (5, "tree_search"), (9, "rebase")])
def test_plangen_selects_algorithm_by_complexity_and_verifies_against_constraints(level, algorithm):
    def respond(req):
        text = prompt(req)
        if "List the constraints" in text:
            return "- the answer is a whole number"
        if "How complex" in text:
            return f"Score: {level}"
        if "Score: <0-100>" in text:
            return "Score: 95"
        return "Answer: 8"
    out, ctx, model = run(PlanGEN(PlanGEN.Params(n=2, depth=2)), "q", respond)
    assert ctx.notes["plangen.algorithm"] == algorithm
    checks = [r for r in model.calls if "Score: <0-100>" in prompt(r)]
    assert checks and all("the answer is a whole number" in prompt(r) for r in checks)
    assert not any("Score: <0-10>" in prompt(r) for r in model.calls)  # its own verifier replaces the judge
    assert extract_text(out) == "8"
