"""The small object a block sees while it answers one example: the model, a code runner, the
task's answer extractor and a trace of every call.

Blocks know nothing else of the system (ARCHITECTURE.md): the evaluator builds a ``Context`` per
example, so every call goes through the same cached, costed and capped model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable

from agentarch.llm.base import Model
from agentarch.llm.types import Request

CodeRunner = Callable[..., Awaitable["CodeResult"]]

# A sampling branch never sends a greedy call: when neither the branch nor its parent names a
# positive temperature, this one is used.
DEFAULT_SAMPLING_TEMPERATURE = 0.7
# Samples drawn inside a branch are numbered from here up, far above the repeated-request counter
# of calls outside any branch, so the two never share a sample index.
BRANCH_SAMPLE_BASE = 1 << 32


@dataclass(slots=True)
class CodeResult:
    """What running a piece of generated code gave back."""

    ok: bool
    stdout: str = ""
    error: str = ""


@dataclass(slots=True)
class TraceEntry:
    block: str
    messages: list[dict]
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    seconds: float
    model: str = ""  # the named model the call went to ("" = the stack's own)


def _identity(text: str) -> str:
    return text.strip()


async def _no_code(code: str, **_: Any) -> CodeResult:
    return CodeResult(ok=False, error="no code runner is available in this context")


async def _no_agent(source: str, question: Any, ctx: "Context") -> Any:
    raise RuntimeError("no sandbox for generated agents is available in this context")


@dataclass
class Context:
    """Per-example state shared by all blocks of one design run.

    ``extract`` turns free text into the task's canonical answer (for votes and comparisons);
    ``run_code`` runs Python in the sandbox; ``trace`` collects every model call in order;
    ``notes`` is where a block leaves results for its caller beyond the answer text (for example
    DyLAN's agent importance scores); ``branch()`` views share it, the trace and the counters.

    Sampling is part of the context, not a habit of blocks: a block that draws k samples runs
    each through ``ctx.branch(i, temperature)``. Every call made through a branch view, however
    deep and whatever temperature its block asks for, is sent at a positive temperature with
    the branch path folded into ``Request.sample``, so k branches always send k distinct
    requests (nested branches too). Calls outside any branch are sent as asked.

    ``model_name`` is the model calls go to: "" for the stack's own, else a model the stack opens
    by name (a design node's ``model``, set through ``using``); branches and children inherit it.

    ``answer_format`` describes what a final answer looks like for the task (for example "a
    whole number in digits"); prompts that ask for the answer line mention it when it is set.
    """

    model: Model
    extract: Callable[[str], str] = _identity
    run_code: CodeRunner = _no_code
    run_agent: Callable[..., Awaitable[Any]] = _no_agent
    sampling_temperature: float = 0.0
    max_tokens: int = 512
    answer_format: str = ""
    branch_path: tuple[int, ...] = ()
    model_name: str = ""
    trace: list[TraceEntry] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    _samples: dict[tuple[tuple[int, ...], str], int] = field(default_factory=dict)  # (branch, request) -> count

    async def chat(
        self,
        messages: list[dict] | str,
        *,
        n: int = 1,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: tuple[str, ...] = (),
        system: str | None = None,
        block: str = "",
    ) -> list[str]:
        """Ask the model ``n`` times and return the n texts.

        Identical requests within one example (and one branch) get successive sample indices,
        so repeated samples differ, are cached separately and are reproducible on a rerun.
        Inside a branch a temperature of 0 or less becomes the branch temperature.
        """
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        if system:
            messages = [{"role": "system", "content": system}, *messages]
        temp = self.sampling_temperature if temperature is None else temperature
        if self.branch_path and temp <= 0:
            temp = self.sampling_temperature
        requests = []
        for _ in range(n):
            req = Request(messages=messages, temperature=temp,
                          max_tokens=max_tokens or self.max_tokens, stop=tuple(stop), model=self.model_name)
            if temp > 0:
                slot = (self.branch_path, req.key("", ""))
                count = self._samples.get(slot, 0)
                self._samples[slot] = count + 1
                req.sample = branch_sample(self.branch_path, count)
            requests.append(req)
        t0 = time.perf_counter()
        outs = await asyncio.gather(*(self.model.complete(r) for r in requests))
        dt = time.perf_counter() - t0
        for out in outs:
            self.trace.append(TraceEntry(block, messages, out.text, out.usage.prompt_tokens,
                                         out.usage.completion_tokens, out.cached, dt, self.model_name))
        return [o.text for o in outs]

    def branch(self, index: int, temperature: float = 0.0) -> "Context":
        """The view for sample ``index`` of a block that draws several: same model, trace, notes and
        counters; every call through it samples at ``temperature`` (or, when that is 0 or less,
        the enclosing branch's temperature, else ``DEFAULT_SAMPLING_TEMPERATURE``) unless the
        calling block asks for a positive one itself."""
        temp = temperature if temperature > 0 else self.sampling_temperature
        if temp <= 0:
            temp = DEFAULT_SAMPLING_TEMPERATURE
        return replace(self, sampling_temperature=temp, branch_path=(*self.branch_path, index))

    def using(self, model: str | None) -> "Context":
        """The view whose calls go to the named ``model`` (same trace, notes and counters); ``None``
        or "" keeps the current one."""
        if not model or model == self.model_name:
            return self
        return replace(self, model_name=model)

    async def samples(self, messages: list[dict] | str, k: int, temperature: float = 0.0,
                      **kw: Any) -> list[str]:
        """``k`` samples of one request, sample ``i`` drawn on ``branch(i, temperature)``: always
        ``k`` distinct requests, even when ``temperature`` is 0 or the request is made again."""
        outs = await asyncio.gather(*(self.branch(i, temperature).chat(messages, **kw) for i in range(k)))
        return [o[0] for o in outs]

    async def ask(self, prompt: str, **kw: Any) -> str:
        """One completion for a single user prompt."""
        return (await self.chat(prompt, **kw))[0]


def branch_sample(path: tuple[int, ...], count: int) -> int:
    """The sample index of the ``count``-th identical request on branch ``path``: ``count`` itself
    outside any branch (as it always was), else a stable number from the path and the count."""
    if not path:
        return count
    digest = hashlib.sha256(json.dumps([list(path), count]).encode()).hexdigest()
    return BRANCH_SAMPLE_BASE + int(digest[:12], 16)
