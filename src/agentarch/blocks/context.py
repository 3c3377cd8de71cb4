"""The small object a block sees while it answers one example: the model, a code runner, the
task's answer extractor and a trace of every call.

Blocks know nothing else of the system (ARCHITECTURE.md): the evaluator builds a ``Context`` per
example, so every call goes through the same cached, costed and capped model.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable

from agentarch.llm.base import Model
from agentarch.llm.types import Request

CodeRunner = Callable[..., Awaitable["CodeResult"]]


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
    DyLAN's agent importance scores); ``sampling()`` views share it.
    """

    model: Model
    extract: Callable[[str], str] = _identity
    run_code: CodeRunner = _no_code
    run_agent: Callable[..., Awaitable[Any]] = _no_agent
    sampling_temperature: float = 0.0
    max_tokens: int = 512
    trace: list[TraceEntry] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    _samples: dict[str, int] = field(default_factory=dict)

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

        Identical requests within one example get successive sample indices, so repeated
        samples differ, are cached separately and are reproducible on a rerun.
        """
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        if system:
            messages = [{"role": "system", "content": system}, *messages]
        temp = self.sampling_temperature if temperature is None else temperature
        requests = []
        for _ in range(n):
            req = Request(messages=messages, temperature=temp,
                          max_tokens=max_tokens or self.max_tokens, stop=tuple(stop))
            if temp > 0:
                k = req.key("", "")
                req.sample = self._samples.get(k, 0)
                self._samples[k] = req.sample + 1
            requests.append(req)
        t0 = time.perf_counter()
        outs = await asyncio.gather(*(self.model.complete(r) for r in requests))
        dt = time.perf_counter() - t0
        for out in outs:
            self.trace.append(TraceEntry(block, messages, out.text, out.usage.prompt_tokens,
                                         out.usage.completion_tokens, out.cached, dt))
        return [o.text for o in outs]

    def sampling(self, temperature: float) -> "Context":
        """A view of this context whose calls default to ``temperature`` (same model, trace, counters)."""
        return replace(self, sampling_temperature=temperature)

    async def ask(self, prompt: str, **kw: Any) -> str:
        """One completion for a single user prompt."""
        return (await self.chat(prompt, **kw))[0]
