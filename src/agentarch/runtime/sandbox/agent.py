"""``run_agent``: run an agent written by a meta model (ADAS style) in the sandbox.

The source defines ``async def forward(inputs, ctx)`` (a plain ``def`` works too); ``inputs`` is
the ``question`` given to ``run_agent`` (a string, or any JSON value). Inside the sandbox,
``_agent_shim.py`` gives it a ``ctx`` with ``await ctx.chat(...)``, ``await ctx.ask(...)``
(same signatures as ``Context.chat``/``Context.ask``), ``ctx.extract(text)`` and
``await ctx.run_code(code)``. Each call is one JSON line over a pipe to this process, which
performs it on the caller's real ``Context``: the model calls go through its cache, accounting and
budget and show up in its ``trace``; ``run_code`` uses the Context's code runner (a fresh, nested
sandbox when we built the Context); ``extract`` uses its extractor.

A budget or model failure in the parent (any ``AgentArchError``), or more than ``max_calls`` model
calls, stops the agent at once: it is killed and the error is returned, so the agent cannot catch
and hide it. Other request errors (bad arguments) are raised inside the agent as
``ModelCallError``.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from agentarch.blocks.context import Context
from agentarch.errors import AgentArchError
from agentarch.runtime.sandbox.code import run_code
from agentarch.runtime.sandbox.process import (Limits, describe_failure, explain, run_process,
                                               traceback_tail)

SHIM = Path(__file__).resolve().parent / "_agent_shim.py"
_MAX_REQUEST = 16 * 1024 * 1024


@dataclass(slots=True)
class AgentResult:
    """What running an agent gave back.

    ``error`` is a short readable reason (the traceback's last lines, "timeout after 120s", ...)
    suitable for feeding back to the meta model. ``exception`` is set when a parent-side error
    stopped the agent (``BudgetExceeded``, ``ModelError``) so a caller can re-raise it.
    """

    answer: str | None
    ok: bool
    error: str = ""
    calls: int = 0
    stdout: str = ""
    exception: BaseException | None = None


class _State:
    def __init__(self) -> None:
        self.calls = 0
        self.done = False
        self.answer: str | None = None
        self.agent_error = ""
        self.fatal = ""
        self.exception: BaseException | None = None


async def _serve(req_fd: int, resp_fd: int, ctx: Context, st: _State, abort: asyncio.Event,
                 max_calls: int) -> None:
    """Answer the agent's requests until it closes its end of the pipe."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_MAX_REQUEST)
    rtrans, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                             os.fdopen(req_fd, "rb", 0))
    wtrans, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(resp_fd, "wb", 0))
    tasks: set[asyncio.Task] = set()

    def reply(rid: Any, **msg: Any) -> None:
        if not wtrans.is_closing():
            wtrans.write((json.dumps({"id": rid, **msg}, ensure_ascii=False) + "\n").encode())

    def stop(reason: str, exc: BaseException | None = None) -> None:
        if not st.fatal:
            st.fatal, st.exception = reason, exc
        abort.set()

    async def handle(msg: dict) -> None:
        rid, op = msg.get("id"), msg.get("op")
        try:
            if op == "chat":
                n = int(msg.get("n", 1))
                if n < 1:
                    raise ValueError("n must be at least 1")
                if st.calls + n > max_calls:
                    stop(f"call limit exceeded ({max_calls} model calls)")
                    return
                st.calls += n
                texts = await ctx.chat(
                    msg.get("messages"), n=n, temperature=msg.get("temperature"),
                    max_tokens=msg.get("max_tokens"), stop=tuple(msg.get("stop") or ()),
                    system=msg.get("system"), block=str(msg.get("block") or "agent"))
                reply(rid, ok=True, result=texts)
            elif op == "extract":
                reply(rid, ok=True, result=ctx.extract(str(msg.get("text", ""))))
            elif op == "run_code":
                r = await ctx.run_code(str(msg.get("code", "")),
                                       timeout=float(msg.get("timeout") or 10.0),
                                       memory_mb=int(msg.get("memory_mb") or 512),
                                       stdin=str(msg.get("stdin") or ""))
                reply(rid, ok=True, result={"ok": r.ok, "stdout": r.stdout, "error": r.error})
            else:
                reply(rid, ok=False, error=f"unknown request {op!r}")
        except AgentArchError as exc:  # budget, model failure: the agent must not swallow these
            stop(f"{type(exc).__name__}: {exc}", exc)
        except Exception as exc:  # noqa: BLE001 - a bad request is the agent's error
            reply(rid, ok=False, error=f"{type(exc).__name__}: {exc}")

    try:
        while True:
            try:
                line = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                stop(f"the agent sent a request larger than {_MAX_REQUEST // 2**20} MB")
                break
            if not line:
                break
            try:
                msg = json.loads(line)
                if not isinstance(msg, dict):
                    raise ValueError
            except ValueError:
                stop("the agent sent a malformed request")
                break
            op = msg.get("op")
            if op == "done":
                st.done, st.answer = True, msg.get("answer")
                if st.answer is not None:
                    st.answer = str(st.answer)
            elif op == "error":
                st.done, st.agent_error = True, str(msg.get("error") or "unknown error")
            else:
                task = asyncio.ensure_future(handle(msg))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
    finally:
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        rtrans.close()
        wtrans.close()


def _agent_tail(text: str, most: int = 10) -> str:
    """From the agent's last own frame (``agent.py``) to the exception, else the last lines."""
    tail = traceback_tail(text, lines=200).splitlines()
    own = [i for i, r in enumerate(tail) if r.lstrip().startswith('File "agent.py"')]
    if own and len(tail) - own[-1] <= most:
        return "\n".join(tail[own[-1]:])
    return "\n".join(tail[-6:])


async def run_agent(
    source: str,
    question: Any,
    model: Any,
    *,
    timeout: float = 120.0,
    memory_mb: int = 1024,
    extract: Callable[[str], str] | None = None,
    max_calls: int = 200,
    limits: Limits | None = None,
    allow_unisolated: bool = False,
    hide: tuple[str, ...] = (),
) -> AgentResult:
    """Run the agent ``source`` on ``question`` in the sandbox; model calls go to ``model``.

    ``model`` is a ``Context`` (preferred: its cache, budget, trace and extractor apply) or a bare
    ``Model``, which is wrapped in a fresh ``Context`` whose ``run_code`` is the sandbox.
    ``extract`` overrides the Context's extractor.
    """
    ctx = model if isinstance(model, Context) else Context(model=model, run_code=run_code)
    if extract is not None:
        ctx = replace(ctx, extract=extract)  # same trace list and counters
    lim = limits or Limits(timeout=timeout, memory_mb=memory_mb)
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    st = _State()
    abort = asyncio.Event()
    serve = asyncio.ensure_future(_serve(req_r, resp_w, ctx, st, abort, max_calls))
    try:
        out = await run_process(
            {"agent.py": source, "_agent_shim.py": SHIM.read_bytes(),
             "input.json": json.dumps({"inputs": question}, ensure_ascii=False)},
            ["_agent_shim.py", "agent.py", str(req_w), str(resp_r)], lim,
            pass_fds=(req_w, resp_r), abort=abort, allow_unisolated=allow_unisolated,
            hide=hide)
    finally:
        os.close(req_w)  # the child is gone: the server now reads to EOF and stops
        os.close(resp_r)
        try:
            await asyncio.wait_for(serve, 5.0)
        except asyncio.TimeoutError:
            pass
    if st.fatal:
        return AgentResult(None, False, st.fatal, st.calls, out.stdout, st.exception)
    if st.agent_error:
        return AgentResult(None, False, explain(_agent_tail(st.agent_error), lim), st.calls,
                           out.stdout)
    failure = describe_failure(out, lim)
    if failure:
        return AgentResult(None, False, failure, st.calls, out.stdout)
    if not st.done:
        return AgentResult(None, False, "the agent exited without an answer", st.calls,
                           out.stdout)
    return AgentResult(st.answer, True, "", st.calls, out.stdout)


def run_agent_sync(source: str, question: Any, model: Any, **kw: Any) -> AgentResult:
    """``run_agent`` for synchronous callers (not from inside a running event loop)."""
    return asyncio.run(run_agent(source, question, model, **kw))
