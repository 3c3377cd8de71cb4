"""run_agent: a meta-written agent runs in the sandbox, its model calls go to the parent Context."""

from __future__ import annotations

import asyncio
import time

import pytest

from agentarch.blocks.context import Context
from agentarch.errors import BudgetExceeded
from agentarch.llm.budget import Budget, MeteredModel
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.sandbox import AgentResult, SandboxUnavailable, run_agent, run_agent_sync


def run(source: str, question="What is 2+3?", model=None, **kw) -> AgentResult:
    model = model or ScriptedModel("ok")
    return asyncio.run(run_agent(source, question, model, **kw))


@pytest.fixture(scope="module", autouse=True)
def _isolation_available():
    try:
        run("def forward(q, ctx):\n    return q")
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


TWO_CALLS = '''
async def forward(inputs, ctx):
    plan = await ctx.ask("Plan: " + inputs)
    answer = await ctx.ask("Solve using the plan: " + plan, temperature=0.0)
    print("debug:", plan)
    return plan + " | " + answer
'''


def test_two_model_calls_go_through_the_parent_context():
    model = ScriptedModel([("Solve using", "5"), ("Plan:", "add them")])  # first match wins
    ctx = Context(model)
    r = run(TWO_CALLS, "What is 2+3?", ctx)
    assert r.ok and r.error == ""
    assert r.answer == "add them | 5"
    assert r.calls == 2
    assert r.stdout == "debug: add them\n"
    assert [e.messages[-1]["content"] for e in ctx.trace] == [
        "Plan: What is 2+3?", "Solve using the plan: add them"]
    assert [e.text for e in ctx.trace] == ["add them", "5"]
    assert all(e.block == "agent" for e in ctx.trace)
    assert len(model.calls) == 2


def test_a_coroutine_returned_unawaited_is_an_error_not_an_answer():
    src = ("async def forward(q, ctx):\n"
           "    async def extract(text):\n"
           "        return text.strip()\n"
           "    reply = await ctx.ask(q)\n"
           "    return extract(reply)\n")
    r = run(src)
    assert not r.ok and r.answer is None
    assert "never awaited" in r.error and "return await" in r.error


def test_chat_arguments_are_forwarded():
    model = ScriptedModel(lambda req: f"{req.messages[0]['content']}/{req.temperature}/{req.sample}")
    ctx = Context(model)
    src = ('async def forward(q, ctx):\n'
           '    outs = await ctx.chat(q, n=3, temperature=0.7, system="SYS", max_tokens=20,\n'
           '                          block="vote")\n'
           '    return ",".join(outs)\n')
    r = run(src, "Q", ctx)
    assert r.ok, r.error
    assert r.answer == "SYS/0.7/0,SYS/0.7/1,SYS/0.7/2"  # distinct samples, as in-process
    assert r.calls == 3 and [e.block for e in ctx.trace] == ["vote"] * 3
    assert all(req.max_tokens == 20 for req in model.calls)


def test_extract_uses_the_parents_extractor():
    src = 'def forward(q, ctx):\n    return ctx.extract("The answer is 5.")\n'
    r = run(src, extract=lambda t: t.rsplit(" ", 1)[-1].strip("."))
    assert r.ok and r.answer == "5"


def test_run_code_from_an_agent_runs_in_a_nested_sandbox():
    src = ('async def forward(q, ctx):\n'
           '    r = await ctx.run_code("import os; print(6 * 7, os.getuid() != 0)")\n'
           '    bad = await ctx.run_code("while True: pass", timeout=1)\n'
           '    return r.stdout.strip() + " " + bad.error\n')
    r = run(src)  # a bare model: run_agent builds a Context whose code runner is the sandbox
    assert r.ok, r.error
    assert r.answer == "42 True timeout after 1s"


def test_syntax_error_is_reported():
    r = run("async def forward(inputs, ctx)\n    return 1\n")
    assert not r.ok and r.answer is None
    assert "SyntaxError" in r.error and 'File "agent.py", line 1' in r.error


def test_exception_in_forward_is_reported_with_its_message():
    src = ("async def forward(inputs, ctx):\n"
           "    x = await ctx.ask('hi')\n"
           "    raise ValueError('could not parse ' + repr(x))\n")
    r = run(src)
    assert not r.ok and r.calls == 1
    assert r.error.splitlines()[-1] == "ValueError: could not parse 'ok'"
    assert 'File "agent.py", line 3, in forward' in r.error
    assert "_agent_shim" not in r.error and "asyncio" not in r.error


def test_missing_forward_is_reported():
    r = run("def backward(q, ctx):\n    return 1\n")
    assert not r.ok and "must define forward(inputs, ctx)" in r.error


def test_infinite_loop_times_out():
    t0 = time.monotonic()
    r = run("async def forward(q, ctx):\n    while True:\n        pass\n", timeout=1)
    assert not r.ok and r.error == "timeout after 1s"
    assert time.monotonic() - t0 < 3


def test_hanging_on_a_slow_model_times_out():
    r = run("async def forward(q, ctx):\n    return await ctx.ask(q)\n",
            model=ScriptedModel("late", delay=30), timeout=1)
    assert not r.ok and r.error == "timeout after 1s"


def test_memory_error_is_reported():
    r = run("def forward(q, ctx):\n    return len(bytearray(10 * 2**30))\n", memory_mb=256)
    assert not r.ok and r.error.startswith("memory limit exceeded (256 MB)")


def test_budget_exceeded_stops_the_agent_and_cannot_be_swallowed():
    metered = MeteredModel(ScriptedModel("x"), Budget(calls=2))
    ctx = Context(metered)
    src = ("async def forward(q, ctx):\n"
           "    for i in range(10):\n"
           "        try:\n"
           "            await ctx.ask(str(i))\n"
           "        except Exception:\n"
           "            return 'swallowed'\n"
           "    return 'done'\n")
    r = run(src, model=ctx)
    assert not r.ok and r.answer is None
    assert r.error.startswith("BudgetExceeded: call budget of 2 spent")
    assert isinstance(r.exception, BudgetExceeded)
    assert len(ctx.trace) == 2 and metered.used.calls == 2


def test_call_limit_stops_the_agent():
    model = ScriptedModel("x")
    r = run("async def forward(q, ctx):\n    while True:\n        await ctx.ask(q)\n",
            model=model, max_calls=5)
    assert not r.ok and r.error == "call limit exceeded (5 model calls)"
    assert r.calls == 5 and len(model.calls) == 5


def test_bad_request_arguments_raise_inside_the_agent():
    src = ("async def forward(q, ctx):\n"
           "    try:\n"
           "        await ctx.chat(q, n=0)\n"
           "    except Exception as exc:\n"
           "        return type(exc).__name__ + ': ' + str(exc)\n")
    r = run(src)
    assert r.ok and r.answer == "ModelCallError: ValueError: n must be at least 1"


def test_agent_is_sandboxed_too(monkeypatch):
    monkeypatch.setenv("SECRET_API_KEY", "xyz")
    src = ("import os, socket\n"
           "def forward(q, ctx):\n"
           "    out = [str(os.getuid() != 0), str(os.environ.get('SECRET_API_KEY'))]\n"
           "    try:\n"
           "        import agentarch\n"
           "        out.append('imported')\n"
           "    except ImportError:\n"
           "        out.append('no-agentarch')\n"
           "    try:\n"
           "        socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
           "    except OSError as exc:\n"
           "        out.append(exc.strerror)\n"
           "    return ' '.join(out)\n")
    r = run(src)
    assert r.ok, r.error
    assert r.answer == "True None no-agentarch Network is unreachable"


def test_non_string_inputs_and_answers():
    r = run("def forward(inputs, ctx):\n    return inputs['a'] + inputs['b']\n", {"a": 2, "b": 3})
    assert r.ok and r.answer == "5"
    r = run("def forward(inputs, ctx):\n    return None\n")
    assert r.ok and r.answer is None


def test_sync_wrapper():
    r = run_agent_sync("async def forward(q, ctx):\n    return await ctx.ask(q)\n", "hi",
                       ScriptedModel("hello"))
    assert r.ok and r.answer == "hello"
