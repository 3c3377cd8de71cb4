"""The task's answer format reaches every prompt that asks for the final answer, and prompts stay
as they were when the task has none."""

import asyncio

import pytest

from agentarch.blocks.common import ANSWER_FORMAT, answer_line, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.scripted import ScriptedModel
from test_blocks_sampling import reply, run_agent, run_code, spec_for

HINT = "a whole number in digits"
# Blocks that never ask the model for a final answer: code is their answer, or the agent's own code words it.
NO_ANSWER_REQUEST = {"agentcoder", "code_agent"}


# Designs that reach the prompts a default run does not: a revision after criticism, a judge, a
# partial solution to complete.
MORE_SPECS = [
    {"block": "refine", "children": [{"block": "direct"}]},
    {"block": "debate", "params": {"final": "judge"}},
    {"block": "tree_search", "params": {"depth": 1, "budget": 1}},
]


def disagreeing_reply(req) -> str:
    """Critics object, first steps are not final, and different prompts get different answers (so
    agents disagree and discussions run their later rounds)."""
    text = "\n".join(m["content"] or "" for m in req.messages)
    if "single word CORRECT" in text:
        return "The count is wrong."
    if "Do not give the final answer yet" in text:
        return "Count the apples."
    return reply(req).replace("Answer: 3", f"Answer: {len(text) % 7}")


def prompts_with_hint(spec: dict, hint: str) -> list[str]:
    model = ScriptedModel(disagreeing_reply)
    ctx = Context(model=model, run_code=run_code, run_agent=run_agent, answer_format=hint)
    asyncio.run(DesignSpec.model_validate(spec).build()("How many apples are left?", ctx))
    return ["\n".join(m["content"] for m in r.messages) for r in model.calls]


ASKING = [spec_for(name) for name in sorted(set(all_blocks()) - NO_ANSWER_REQUEST)] + MORE_SPECS


def test_answer_line_names_the_format_only_when_there_is_one():
    assert answer_line() == ANSWER_FORMAT == 'Finish with a line "Answer: <final answer>".'
    assert answer_line(HINT) == f'Finish with a line "Answer: <final answer>" where the final answer is {HINT}.'


def test_solve_prompt_ends_with_the_hinted_answer_line():
    assert solve_prompt("q", "Think.") == (
        'Question: q\n\nThink.\nShow your work, then finish with a line "Answer: <final answer>".')
    assert solve_prompt("q", "Think.", HINT).splitlines()[-1] == (
        f'Show your work, then finish with a line "Answer: <final answer>" where the final answer is {HINT}.')


@pytest.mark.parametrize("spec", ASKING, ids=[s["block"] for s in ASKING])
def test_every_block_that_asks_for_the_answer_says_what_it_looks_like(spec):
    sent = prompts_with_hint(spec, HINT)
    assert any(HINT in p for p in sent), f"{spec} never mentions the answer format"
    for p in sent:
        # every answer line requested (the spp demonstration keeps its plain one, shown before the question)
        asks = p.count('"Answer: <final answer>"') - p.count('"Answer: <final answer>".\n')
        assert p.count(f'"Answer: <final answer>" where the final answer is {HINT}') == asks, p


@pytest.mark.parametrize("spec", ASKING, ids=[s["block"] for s in ASKING])
def test_no_hint_means_no_format_sentence(spec):
    assert not any("where the final answer is" in p for p in prompts_with_hint(spec, ""))
