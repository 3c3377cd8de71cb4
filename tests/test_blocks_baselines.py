"""The baseline blocks' control flow on a scripted model: which calls they make, in what order,
what each call is shown, and how the final answer is chosen."""

import asyncio

from agentarch.blocks.context import CodeResult, Context, branch_sample
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_number


def run(spec: dict, respond, **kw):
    model = ScriptedModel(respond)
    ctx = Context(model=model, extract=extract_number, **kw)
    out = asyncio.run(DesignSpec.model_validate(spec).build()("How many?", ctx))
    return out, ctx, model


def user(req) -> str:
    return req.messages[-1]["content"]


def test_direct_asks_once_greedy_without_reasoning():
    out, ctx, model = run({"block": "direct"}, "Answer: 3")
    assert out == "Answer: 3" and len(model.calls) == 1
    assert model.calls[0].temperature == 0.0 and "no explanation" in user(model.calls[0])


def test_cot_puts_the_question_first_and_the_answer_format_last():
    _, _, model = run({"block": "cot"}, "work\nAnswer: 3")
    prompt = user(model.calls[0])
    assert prompt.startswith("Question: How many?") and "Answer: <final answer>" in prompt.rstrip().splitlines()[-1]


def test_self_consistency_samples_n_distinct_times_and_returns_the_majority():
    replies = iter(["Answer: 5", "Answer: 7", "Answer: 7", "Answer: 5", "Answer: 7"])
    out, _, model = run({"block": "self_consistency", "params": {"n": 5}}, lambda req: next(replies))
    assert extract_number(out) == "7" and len(model.calls) == 5
    assert all(r.temperature == 0.7 for r in model.calls)
    assert sorted(r.sample for r in model.calls) == sorted(branch_sample((i,), 0) for i in range(5))


def test_refine_stops_when_the_critic_approves():
    def respond(req):
        text = user(req)
        if "Check the solution" in text:
            return "CORRECT" if "Answer: 8" in text else "The sum is wrong."
        if "Feedback:" in text:
            return "fixed\nAnswer: 8"
        return "first try\nAnswer: 6"
    out, ctx, _ = run({"block": "refine", "params": {"rounds": 3}}, respond)
    assert out == "fixed\nAnswer: 8"
    assert [t.block for t in ctx.trace] == ["cot", "refine.critic", "refine.revise", "refine.critic"]


def test_debate_shows_each_agent_the_others_and_votes():
    def respond(req):
        text = user(req)
        if "Another agent's solution" in text:
            assert text.count("Another agent's solution") == 2  # each agent sees the other two
            return "Answer: 9"
        return f"Answer: {req.sample + 1}"
    out, ctx, model = run({"block": "debate", "params": {"agents": 3, "rounds": 2}}, respond)
    assert len(model.calls) == 6 and extract_number(out) == "9"
    assert [t.block for t in ctx.trace].count("debate.round1") == 3


def test_step_back_feeds_the_principles_into_the_solution():
    def respond(req):
        return "Multiply rate by time." if "Do not solve it yet" in user(req) else "Answer: 12"
    out, ctx, model = run({"block": "step_back"}, respond)
    assert out == "Answer: 12" and [t.block for t in ctx.trace] == ["step_back.abstract", "step_back.solve"]
    assert "Multiply rate by time." in user(model.calls[1])


def test_quality_diversity_shows_earlier_attempts_and_keeps_the_judged_one():
    def respond(req):
        text = user(req)
        if "Which candidate is correct" in text:
            return "Candidate 2"
        return f"attempt\nAnswer: {text.count('Attempt ') + 1}"
    out, ctx, model = run({"block": "quality_diversity", "params": {"attempts": 3}}, respond)
    assert [extract_number(t.text) for t in ctx.trace[:3]] == ["1", "2", "3"]  # each saw the earlier ones
    assert out == "attempt\nAnswer: 2" and ctx.trace[-1].block == "quality_diversity.judge"


def test_roles_answers_in_the_role_the_router_picked():
    def respond(req):
        return "2" if "Which expert" in user(req) else "Answer: 4"
    out, _, model = run({"block": "roles", "params": {"roles": ["Chemist", "Accountant", "Poet"]}}, respond)
    assert out == "Answer: 4" and model.calls[1].messages[0] == {"role": "system", "content": "You are a Accountant."}


def test_program_of_thought_retries_with_the_error_then_reports_the_printed_answer():
    runs = []

    async def runner(code, timeout=None):
        runs.append(code)
        return CodeResult(ok=False, error="NameError: x") if len(runs) == 1 else CodeResult(ok=True, stdout="41\n42\n")
    out, _, model = run({"block": "program_of_thought", "params": {"retries": 1}},
                        "```python\nprint(42)\n```", run_code=runner)
    assert out == "Answer: 42" and len(model.calls) == 2 and runs == ["print(42)", "print(42)"]
    assert "failed with: NameError: x" in user(model.calls[1])
