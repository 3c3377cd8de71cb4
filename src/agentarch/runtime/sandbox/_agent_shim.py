"""Runtime shim for a meta-written agent, run inside the sandbox as
``python -s -S _agent_shim.py agent.py <request fd> <response fd>``.

Standalone on purpose (standard library only, never imports agentarch). It loads ``agent.py``,
calls its ``forward(inputs, ctx)`` with the inputs from ``input.json``, and reports the answer or
the error to the parent. ``ctx`` has the same calls as ``agentarch.blocks.context.Context``, but
each one is a JSON line to the parent, which performs it on its real ``Context`` (so its cache,
accounting, budget and call limit apply) and answers with one JSON line:

    child -> parent  {"id": 7, "op": "chat", "messages": ..., "n": 1, ...}
    parent -> child  {"id": 7, "ok": true, "result": ["text"]}   or   {"id": 7, "ok": false, "error": "..."}
    child -> parent  {"op": "done", "answer": "..."}   or   {"op": "error", "error": "<traceback>"}
"""

import asyncio
import concurrent.futures
import inspect
import json
import os
import sys
import threading
import traceback

SHIM = os.path.abspath(__file__)


class ModelCallError(RuntimeError):
    """The parent refused or failed a request (the message says why)."""


class CodeResult:
    """What ``ctx.run_code`` gives back (same fields as agentarch's ``CodeResult``)."""

    def __init__(self, ok, stdout="", error=""):
        self.ok, self.stdout, self.error = ok, stdout, error

    def __repr__(self):
        return f"CodeResult(ok={self.ok!r}, stdout={self.stdout!r}, error={self.error!r})"


class Channel:
    def __init__(self, wfd, rfd):
        self.wfd = wfd
        self.rfile = os.fdopen(rfd, "rb")
        self.lock = threading.Lock()
        self.pending = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.rfile:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            fut = self.pending.pop(msg.get("id"), None)
            if fut is None:
                continue
            if msg.get("ok"):
                fut.set_result(msg.get("result"))
            else:
                fut.set_exception(ModelCallError(msg.get("error") or "request failed"))
        for fut in list(self.pending.values()):
            fut.set_exception(ModelCallError("the parent closed the channel"))

    def _write(self, msg):
        data = (json.dumps(msg, ensure_ascii=False) + "\n").encode()
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.wfd, view):]

    def request(self, op, **args):
        fut = concurrent.futures.Future()
        with self.lock:
            self.next_id += 1
            rid = self.next_id
            self.pending[rid] = fut
        self._write({"id": rid, "op": op, **args})
        return fut

    def send(self, op, **args):
        self._write({"op": op, **args})


class Ctx:
    """The agent's view of the model, the code runner and the task's answer extractor."""

    def __init__(self, channel):
        self._ch = channel

    async def chat(self, messages, *, n=1, temperature=None, max_tokens=None, stop=(),
                   system=None, block="agent"):
        """Ask the model ``n`` times; returns the list of n texts."""
        fut = self._ch.request("chat", messages=messages, n=n, temperature=temperature,
                               max_tokens=max_tokens, stop=list(stop or ()), system=system,
                               block=block)
        return await asyncio.wrap_future(fut)

    async def ask(self, prompt, **kw):
        """One completion for a single user prompt."""
        return (await self.chat(prompt, **kw))[0]

    def extract(self, text):
        """The task's canonical answer in ``text`` (done by the parent's extractor)."""
        return self._ch.request("extract", text=str(text)).result()

    async def run_code(self, code, *, timeout=10.0, memory_mb=512, stdin=""):
        """Run Python in a separate, nested sandbox (started by the parent)."""
        fut = self._ch.request("run_code", code=str(code), timeout=timeout,
                               memory_mb=memory_mb, stdin=str(stdin))
        r = await asyncio.wrap_future(fut)
        return CodeResult(bool(r.get("ok")), r.get("stdout", ""), r.get("error", ""))


def _format(exc):
    """The traceback without the frames of this shim and of asyncio: only the agent's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != SHIM and "/asyncio/" not in f.filename]
    head = "Traceback (most recent call last):\n" if frames else ""
    return (head + "".join(traceback.StackSummary.from_list(frames).format())
            + "".join(traceback.format_exception_only(type(exc), exc)))


async def _await(x):
    return await x


def main():
    agent_file, wfd, rfd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.set_inheritable(wfd, False)  # not for processes the agent itself starts
    os.set_inheritable(rfd, False)
    channel = Channel(wfd, rfd)
    try:
        with open("input.json", encoding="utf-8") as f:
            inputs = json.load(f)["inputs"]
        with open(agent_file, encoding="utf-8") as f:
            source = f.read()
        namespace = {"__name__": "agent", "__file__": agent_file}
        exec(compile(source, os.path.basename(agent_file), "exec"), namespace)
        forward = namespace.get("forward")
        if not callable(forward):
            raise NameError("the agent source must define forward(inputs, ctx)")
        result = forward(inputs, Ctx(channel))
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        elif inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        if inspect.iscoroutine(result):  # e.g. ``return helper(x)`` with ``async def helper``
            result.close()
            raise TypeError("forward returned a coroutine that was never awaited: write "
                            "`return await helper(...)` when helper is an async function")
        answer = None if result is None else (result if isinstance(result, str) else str(result))
        sys.stdout.flush()
        channel.send("done", answer=answer)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001
            pass
        channel.send("error", error=_format(exc))
    os._exit(0)


if __name__ == "__main__":
    main()
