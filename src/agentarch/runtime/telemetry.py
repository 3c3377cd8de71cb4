"""OpenTelemetry spans for evaluations, turned on by the standard ``OTEL_*`` environment variables.

One span per example (``agentarch.example``: design, example, score), one per block call
(``block NAME``: the tokens and cache hits of every model call made inside it) and one per model
call (``model.call``: ``gen_ai.usage.input_tokens``/``output_tokens``, ``agentarch.cache_hit``),
nested as they ran. ``OTEL_TRACES_EXPORTER=console`` prints each span as JSON on stderr;
``otlp`` sends them to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (needs ``opentelemetry-exporter-otlp-proto-http``);
unset, ``none`` or ``OTEL_SDK_DISABLED=true`` turns them off, and then OpenTelemetry is not even
imported: the wrappers below return what they are given.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import sys
from typing import Any

from agentarch.errors import ConfigError, require

EXPORTERS = ("console", "otlp", "none")

_state: dict[str, Any] = {}
# The block spans a model call runs inside: each gets the call's tokens and cache hit.
_totals: contextvars.ContextVar[tuple[dict, ...]] = contextvars.ContextVar("agentarch_block_totals", default=())


def tracer():
    """The tracer the ``OTEL_*`` variables ask for, built once; None when tracing is off."""
    if "tracer" in _state:
        return _state["tracer"]
    _state["tracer"] = None
    name = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not name or name == "none" or os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if name not in EXPORTERS:
        raise ConfigError(f"OTEL_TRACES_EXPORTER={name}: agentarch sends spans to {', '.join(EXPORTERS)}")
    require("opentelemetry.sdk.trace", "otel")
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME") or "agentarch"}))
    if name == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        require("opentelemetry.exporter.otlp.proto.http.trace_exporter", "otel")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    atexit.register(provider.shutdown)
    _state["tracer"] = provider.get_tracer("agentarch")
    return _state["tracer"]


class TracedModel:
    """A model whose every call is a ``model.call`` span with its tokens and cache hit."""

    def __init__(self, inner, tracer_):
        self.inner, self.tracer = inner, tracer_

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def complete(self, request):
        with self.tracer.start_as_current_span("model.call") as span:
            out = await self.inner.complete(request)
            usage = out.usage
            span.set_attributes({"gen_ai.usage.input_tokens": usage.prompt_tokens,
                                 "gen_ai.usage.output_tokens": usage.completion_tokens,
                                 "gen_ai.request.temperature": request.temperature,
                                 "gen_ai.request.max_tokens": request.max_tokens,
                                 "agentarch.cache_hit": bool(out.cached), "agentarch.sample": request.sample,
                                 "agentarch.repeat": request.repeat})
            for t in _totals.get():
                t["calls"] += 1
                t["prompt_tokens"] += usage.prompt_tokens
                t["completion_tokens"] += usage.completion_tokens
                t["cache_hits"] += bool(out.cached)
            return out

    async def aclose(self) -> None:
        await self.inner.aclose()


def trace_model(model):
    """``model`` with a span per call when tracing is on, else ``model`` itself."""
    t = tracer()
    return TracedModel(model, t) if t is not None else model


def trace_blocks(block):
    """Give every block of the built tree a span per call when tracing is on (in place); returns it."""
    t = tracer()
    if t is None:
        return block
    todo = [block]
    while todo:
        b = todo.pop()
        todo.extend(b.children)
        b.forward = _traced_forward(b, b.forward, t)
    return block


def _traced_forward(block, forward, tracer_):
    async def traced(question, ctx):
        totals = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cache_hits": 0}
        with tracer_.start_as_current_span(f"block {block.name}", attributes={"agentarch.block": block.name}) as span:
            token = _totals.set((*_totals.get(), totals))
            try:
                return await forward(question, ctx)
            finally:
                _totals.reset(token)
                span.set_attributes({f"agentarch.{k}": v for k, v in totals.items()})

    return traced


async def example(run, design, example_id: str, repeat: int):
    """Await ``run`` (one example's evaluation) inside an ``agentarch.example`` span that gets its
    score, so the block and model-call spans it makes nest under it; just await it when off."""
    t = tracer()
    if t is None:
        return await run
    with t.start_as_current_span("agentarch.example", attributes={
            "agentarch.design": design.id, "agentarch.design_label": design.label(), "agentarch.example": example_id,
            "agentarch.repeat": repeat}) as span:
        result = await run
        span.set_attribute("agentarch.score", float(result.score))
        return result
