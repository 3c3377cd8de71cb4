"""AgentCoder with a scripted model and an in-process fake sandbox: the programmer revises until
the test designer's asserts pass."""

import asyncio

from agentarch.blocks.agentcoder import AgentCoder, assert_lines, entry_point
from agentarch.blocks.context import CodeResult, Context
from agentarch.llm.scripted import ScriptedModel

QUESTION = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(1, 2)\n    3\n    """\n'
TESTS = "```python\nassert add(1, 2) == 3\nassert add(-1, 1) == 0\nprint('not a test')\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"


def coder(rounds, answers):
    ran: list[str] = []

    async def runner(code, timeout=None):
        ran.append(code)
        try:
            exec(code, {})
            return CodeResult(ok=True)
        except Exception as exc:  # noqa: BLE001 - the fake sandbox reports every failure
            return CodeResult(ok=False, error=f"{type(exc).__name__}: {exc}")

    def respond(req):
        text = req.messages[-1]["content"]
        if "test designer" in text:
            return TESTS
        return answers[1] if "Your previous code" in text else answers[0]
    model = ScriptedModel(respond)
    out = asyncio.run(AgentCoder(AgentCoder.Params(rounds=rounds))(QUESTION, Context(model=model, run_code=runner)))
    return out, model, ran


def test_agentcoder_loops_until_tests_pass():
    out, model, ran = coder(3, (WRONG, RIGHT))
    programmer = [r for r in model.calls if "You are a programmer" in r.messages[-1]["content"]]
    assert len(programmer) == 2 and len(ran) == 2
    assert "AssertionError" in programmer[1].messages[-1]["content"]
    assert all("assert add(-1, 1) == 0" in code for code in ran)
    assert out.startswith("```python\n") and "return a + b" in out


def test_agentcoder_stops_after_rounds():
    out, model, ran = coder(2, (WRONG, WRONG))
    assert len(ran) == 2 and len(model.calls) == 1 + 2 and "a - b" in out


def test_helpers():
    assert entry_point("from x import y\ndef helper():\n    pass\ndef main(n):\n    ...") == "main"
    assert assert_lines(TESTS, 1) == "assert add(1, 2) == 3"
