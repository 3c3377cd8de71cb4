"""Cache, budget, retry and concurrency limit on the scripted model."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.blocks.context import Context
from agentarch.errors import BudgetExceeded, ConfigError, ModelError
from agentarch.llm.budget import Budget, MeteredModel
from agentarch.llm.cache import CachedModel
from agentarch.llm.client import stack
from agentarch.llm.limit import LimitedModel
from agentarch.llm.retry import RetryingModel, TransientError
from agentarch.llm.scripted import ScriptedModel
from agentarch.llm.types import Completion, Request, Usage
from agentarch.store.db import Store


def req(text="hi", temperature=0.0, sample=0, max_tokens=16):
    return Request([{"role": "user", "content": text}], temperature=temperature, max_tokens=max_tokens, sample=sample)


def test_cache_hit_is_not_sent_again_and_survives_a_new_connection(tmp_path):
    inner = ScriptedModel(lambda r: "answer to " + r.messages[-1]["content"])
    path = tmp_path / "c.db"
    cached = CachedModel(inner, Store(path))
    first = asyncio.run(cached.complete(req("q1")))
    second = asyncio.run(cached.complete(req("q1")))
    assert len(inner.calls) == 1
    assert (first.text, first.cached, second.text, second.cached) == ("answer to q1", False, "answer to q1", True)
    again = CachedModel(ScriptedModel("other"), Store(path))
    assert asyncio.run(again.complete(req("q1"))).text == "answer to q1"


def test_samples_at_positive_temperature_are_distinct_cache_entries(store):
    counter = iter(range(100))
    inner = ScriptedModel(lambda r: f"sample-{next(counter)}")
    ctx = Context(model=CachedModel(inner, store))
    texts = asyncio.run(ctx.chat("same question", n=4, temperature=0.7))
    assert len(set(texts)) == 4 and len(inner.calls) == 4
    assert sorted(r.sample for r in inner.calls) == [0, 1, 2, 3]
    # A new example's context replays the same four samples from the cache.
    ctx2 = Context(model=CachedModel(inner, store))
    assert asyncio.run(ctx2.chat("same question", n=4, temperature=0.7)) == texts
    assert len(inner.calls) == 4


def test_temperature_zero_requests_share_one_entry(store):
    inner = ScriptedModel("x")
    ctx = Context(model=CachedModel(inner, store))
    asyncio.run(ctx.chat("q", n=3, temperature=0.0))
    assert len(inner.calls) == 1  # identical greedy requests are sent once


def test_concurrent_identical_misses_are_sent_once(store):
    inner = ScriptedModel("x", delay=0.05)
    cached = CachedModel(inner, store)

    async def go():
        return await asyncio.gather(*(cached.complete(req("same")) for _ in range(10)))

    outs = asyncio.run(go())
    assert len(inner.calls) == 1 and [o.text for o in outs] == ["x"] * 10


@pytest.mark.parametrize("cap", [1, 7, 20])
def test_call_budget_is_never_exceeded_by_32_concurrent_callers(store, cap):
    inner = ScriptedModel(lambda r: "Answer: 1", delay=0.01)
    st = stack(inner, store, Budget(calls=cap), concurrency=None)

    async def one(i):
        ctx = Context(model=st.model)
        try:
            await ctx.chat(f"question {i}", n=3, temperature=0.7)  # three calls each
            return "ok"
        except BudgetExceeded:
            return "capped"

    async def go():
        return await asyncio.gather(*(one(i) for i in range(32)))

    outcomes = asyncio.run(go())
    assert len(inner.calls) <= cap
    assert st.meter.used.calls == len(inner.calls) == cap
    assert "capped" in outcomes


def test_token_budget_reserves_the_worst_case_before_sending():
    inner = ScriptedModel(lambda r: "word " * 10, delay=0.01)
    meter = MeteredModel(inner, Budget(tokens=300))

    async def go():
        return await asyncio.gather(*(meter.complete(req(f"q{i}", max_tokens=50)) for i in range(32)),
                                    return_exceptions=True)

    outs = asyncio.run(go())
    sent = [o for o in outs if isinstance(o, Completion)]
    assert any(isinstance(o, BudgetExceeded) for o in outs)
    worst = sum(req(f"q{i}", max_tokens=50).prompt_bound() + 50 for i in range(len(sent)))
    assert meter.used.tokens <= 300 and worst <= 300


def test_dollar_budget_needs_a_known_price():
    class Hosted(ScriptedModel):
        backend = "openai"

    with pytest.raises(ConfigError, match="no price is known"):
        MeteredModel(Hosted("x", name="my-private-model"), Budget(dollars=1.0))
    meter = MeteredModel(Hosted("word " * 10, name="gpt-4o-mini"), Budget(dollars=1.0))
    asyncio.run(meter.complete(req("q")))
    assert meter.used.dollars > 0


def test_seconds_budget_stops_a_slow_call():
    meter = MeteredModel(ScriptedModel("x", delay=5.0), Budget(seconds=0.2))
    with pytest.raises(BudgetExceeded, match="time budget"):
        asyncio.run(meter.complete(req()))


class Flaky:
    backend, name = "test", "flaky"

    def __init__(self, failures, exc=TransientError("HTTP 503")):
        self.failures, self.exc, self.calls = failures, exc, 0

    async def complete(self, request):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc
        return Completion("ok", Usage(1, 1))

    async def aclose(self):
        pass


def test_retry_recovers_from_transient_errors():
    flaky = Flaky(2)
    model = RetryingModel(flaky, attempts=4, base_delay=0.001)
    assert asyncio.run(model.complete(req())).text == "ok"
    assert flaky.calls == 3 and model.retries == 2


def test_retry_gives_up_and_does_not_retry_permanent_errors():
    flaky = Flaky(10)
    with pytest.raises(TransientError):
        asyncio.run(RetryingModel(flaky, attempts=3, base_delay=0.001).complete(req()))
    assert flaky.calls == 3
    bad_key = Flaky(10, ModelError("refused the API key"))
    with pytest.raises(ModelError):
        asyncio.run(RetryingModel(bad_key, attempts=3, base_delay=0.001).complete(req()))
    assert bad_key.calls == 1


def test_concurrency_limit_caps_calls_in_flight():
    state = {"now": 0, "peak": 0}

    class Probe(ScriptedModel):
        async def complete(self, request):
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            await asyncio.sleep(0.01)
            state["now"] -= 1
            return Completion("x")

    limited = LimitedModel(Probe(), 3)

    async def go():
        await asyncio.gather(*(limited.complete(req(str(i))) for i in range(20)))

    asyncio.run(go())
    assert state["peak"] == 3
