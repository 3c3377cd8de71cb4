"""Answers one chat request with one design: flatten the chat into a question, run the design on a
fresh ``Context`` over the shared model stack (cache, retry, concurrency limit, global budget), cap
its calls per request, and add up the usage of every model call it made."""

from __future__ import annotations

from dataclasses import dataclass

from agentarch.blocks.context import Context
from agentarch.errors import BudgetExceeded, ModelError
from agentarch.llm.types import Completion, Request
from agentarch.serve.conversation import apply_stop, question_from
from agentarch.serve.designs import ServedDesign
from agentarch.serve.errors import APIError
from agentarch.serve.options import ServeOptions
from agentarch.serve.schema import ChatRequest


class RequestCallLimit(BudgetExceeded):
    """One request's design asked for more model calls than ``--max-calls-per-request`` allows."""


class CallCap:
    """Counts the calls of one request's design and refuses the one past ``limit``; cache hits
    count too (the cap bounds the work a request may ask for)."""

    def __init__(self, inner, limit: int | None):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.limit = limit
        self.calls = 0

    async def complete(self, request: Request) -> Completion:
        if self.limit is not None and self.calls >= self.limit:
            raise RequestCallLimit(f"this design needed more than {self.limit} model calls for one request "
                                   f"(the server's --max-calls-per-request)")
        self.calls += 1
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        return None


@dataclass
class Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    calls: int
    cached_calls: int
    design_id: str

    def usage(self) -> dict:
        from agentarch.serve.schema import usage

        return usage(self.prompt_tokens, self.completion_tokens)

    def extra(self) -> dict:
        """Beyond OpenAI's fields: how many model calls the design made and which design it was."""
        return {"design_id": self.design_id, "model_calls": self.calls, "cached_calls": self.cached_calls}


def check_budget(stack) -> None:
    """A 429 before any work when the global budget is already spent."""
    meter = getattr(stack, "meter", None)
    if meter is None:
        return
    b, used = meter.budget, meter.used
    if (b.calls is not None and used.calls >= b.calls) or (b.tokens is not None and used.tokens >= b.tokens):
        raise APIError(429, "the server's model budget is spent (--budget-calls / --budget-tokens); "
                            "no more requests are answered", "budget_exhausted")


async def answer(design: ServedDesign, req: ChatRequest, stack, options: ServeOptions,
                 tools: dict | None = None) -> Answer:
    """Run ``design`` on ``req``; model and budget failures become ``APIError``s."""
    question = question_from(req.plain_messages())
    cap = CallCap(stack.model, options.max_calls_per_request)
    max_tokens = min(options.max_tokens, req.max_completion_tokens or req.max_tokens or options.max_tokens)
    ctx = Context(model=cap, extract=design.extract, answer_format=design.answer_format, max_tokens=max_tokens,
                  sampling_temperature=req.temperature or 0.0, **(tools or {}))
    try:
        text = await design.block(question, ctx)
    except RequestCallLimit as exc:
        raise APIError(429, str(exc), "request_call_limit") from None
    except BudgetExceeded as exc:
        raise APIError(429, f"the server's model budget is spent: {exc}", "budget_exhausted") from None
    except ModelError as exc:
        raise APIError(502, f"the underlying model failed: {exc}", "model_error") from None
    text = apply_stop(text if isinstance(text, str) else str(text), req.stops())
    return Answer(text, sum(t.prompt_tokens for t in ctx.trace), sum(t.completion_tokens for t in ctx.trace),
                  len(ctx.trace), sum(1 for t in ctx.trace if t.cached), design.spec.id)
