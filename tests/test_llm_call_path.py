"""``CallPath`` (``llm/call_path.py``) runs cache, retry, meter, concurrency cap and named-model
routing in one coroutine: every scenario here runs through it and through the same layers nested as
wrappers, and what each reports (answers, errors, cache hits, calls and tokens counted per model,
retries, slots and reservations given back) must be the same."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.errors import BudgetExceeded, ConfigError, ModelError
from agentarch.llm.budget import Budget, MeteredModel
from agentarch.llm.cache import CachedModel
from agentarch.llm.call_path import CallPath
from agentarch.llm.client import stack
from agentarch.llm.limit import LimitedModel
from agentarch.llm.named_models import NamedModels
from agentarch.llm.retry import RetryingModel, TransientError
from agentarch.llm.types import Completion, Request, Usage
from agentarch.store.db import Store


class Backend:
    """Answers by the prompt: "flaky N" fails N times with a transient error first, "bad" fails for
    good, "slow" takes a while; records the peak of calls in flight."""

    backend = "test"

    def __init__(self, name: str = "main"):
        self.name = name
        self.failures: dict[str, int] = {}
        self.in_flight = self.peak = 0
        self.sent: list[str] = []

    async def complete(self, request: Request) -> Completion:
        text = request.messages[0]["content"]
        self.sent.append(f"{self.name}:{text}")
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.05 if text == "slow" else 0.001)
            if text.startswith("flaky"):
                seen = self.failures.get(text, 0)
                if seen < int(text.split()[1]):
                    self.failures[text] = seen + 1
                    raise TransientError("HTTP 503", retry_after=0.001)
            if text == "bad":
                raise ModelError("refused")
            return Completion(f"{self.name} says {text}", Usage(len(text), 2))
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None


def build(fused: bool, budget: Budget | None = None, concurrency: int | None = 2, retries: int = 3,
          store: Store | None = None):
    """(top model, meter, retry, limit, cache, backends by name) of a stack, fused or nested."""
    backends = {"main": Backend("main")}

    def open_model(name):
        if name != "other":
            raise ConfigError(f"model '{name}' is not served here")
        return backends.setdefault(name, Backend(name))

    if fused:
        st = stack(backends["main"], store, budget, concurrency=concurrency, retries=retries, open_model=open_model)
        assert isinstance(st.model, CallPath)
        return st.model, st.meter, st.model.retry, st.model.limit, st.cache, backends
    named = NamedModels(backends["main"], open_model)
    limit = LimitedModel(named, concurrency) if concurrency else None
    meter = MeteredModel(limit or named, budget)
    retry = RetryingModel(meter, attempts=retries) if retries > 1 else None
    cache = CachedModel(retry or meter, store) if store is not None else None
    return cache or retry or meter, meter, retry, limit, cache, backends


def run(fused: bool, prompts: list[tuple[str, str]], folder=None, **settings) -> dict:
    """Send ``(model, prompt)`` pairs at once, then once more (with a cache in ``folder``: a
    store there); everything observable afterwards."""
    store = Store(folder / ("fused.db" if fused else "nested.db")) if folder is not None else None
    model, meter, retry, limit, cache, backends = build(fused, store=store, **settings)

    async def one(name, text):
        try:
            out = await model.complete(Request([{"role": "user", "content": text}], model=name))
            return out.text + (" (cached)" if out.cached else "")
        except Exception as exc:  # noqa: BLE001 - the error is the outcome under test
            return f"{type(exc).__name__}: {exc}"

    async def go():
        first = await asyncio.gather(*(one(n, t) for n, t in prompts))
        return first + await asyncio.gather(*(one(n, t) for n, t in prompts))

    outcomes = asyncio.run(go())
    if store is not None:
        store.close()
    return {
        "outcomes": outcomes,
        "cache": (cache.hits, cache.misses, cache._inflight) if cache else None,
        "used": meter.used,
        "by_model": dict(meter.by_model),
        "retries": retry.retries if retry else 0,
        "sent": {name: sorted(b.sent) for name, b in backends.items()},  # sorted: retries sleep
        "peak": {name: b.peak for name, b in backends.items()},
        "reserved": (meter._reserved_calls, meter._reserved_tokens, meter._reserved_dollars),
        "free slots": limit._free if limit else None,
    }


MIXED = [("", "a"), ("", "flaky 2"), ("", "bad"), ("other", "b"), ("", "flaky 9"), ("nope", "c"), ("", "d"),
         ("main", "e"), ("", "slow"), ("", "a"), ("", "bad")]  # the last two: the same as one in flight


@pytest.mark.parametrize("settings", [
    {},
    {"retries": 1},
    {"concurrency": None},
    {"budget": Budget(calls=6)},
    {"budget": Budget(tokens=20)},
    {"budget": Budget(calls=50, seconds=600)},  # a time budget: the fused path hands over to the layers
], ids=["default", "no retry", "no cap", "call cap", "token cap", "time budget"])
@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "cache"])
def test_the_fused_path_reports_what_the_nested_layers_report(settings, cached, tmp_path):
    folder = tmp_path if cached else None
    fused, nested = run(True, MIXED, folder, **settings), run(False, MIXED, folder, **settings)
    assert fused == nested
    assert fused["reserved"] == (0, 0, 0.0) and fused["free slots"] in (None, 2)
    if cached:
        assert fused["cache"][2] == {}  # nothing left in flight
        if "main says a" in fused["outcomes"]:  # not under the token cap, which refuses every call
            assert "main says a (cached)" in fused["outcomes"]


def test_what_the_fused_path_counts_and_retries():
    got = run(True, MIXED[:9])
    first = ["main says a", "main says flaky 2", "ModelError: refused", "other says b", "TransientError: HTTP 503",
             "ConfigError: model 'nope' is not served here", "main says d", "main says e", "main says slow"]
    assert got["outcomes"] == first + first[:4] + ["TransientError: HTTP 503"] + first[5:]  # sent again, no cache
    # "flaky 2" fails twice, then works (also the second time); "flaky 9" fails its three attempts each time
    assert got["retries"] == (2 + 2) + 2
    assert got["used"].calls == 13 + 11  # every attempt sent counts, the refused model name too
    assert got["by_model"]["other"].calls == 2 and got["by_model"]["nope"].calls == 2
    assert got["peak"]["main"] <= 2


def test_a_call_cancelled_in_flight_gives_back_its_slot_and_reservation():
    model, meter, _, limit, _, _ = build(True, budget=Budget(calls=10, tokens=10_000))

    async def go():
        task = asyncio.create_task(model.complete(Request([{"role": "user", "content": "slow"}])))
        waiting = asyncio.create_task(model.complete(Request([{"role": "user", "content": "slow"}])))
        third = asyncio.create_task(model.complete(Request([{"role": "user", "content": "slow"}])))
        await asyncio.sleep(0.01)
        assert limit._free == 0 and meter._reserved_calls == 3
        task.cancel()
        third.cancel()  # waiting for a slot
        await asyncio.gather(task, third, return_exceptions=True)
        return (await waiting).text

    assert asyncio.run(go()) == "main says slow"
    assert (meter._reserved_calls, meter._reserved_tokens, limit._free) == (0, 0, 2)
    assert meter.used.calls == 3  # the layers count a cancelled call as sent, the waiting one too


def test_the_call_budget_is_never_crossed_by_concurrent_callers():
    got = run(True, [("", f"q{i}") for i in range(20)], budget=Budget(calls=7), concurrency=None)
    assert got["used"].calls == 7 == len(got["sent"]["main"])
    assert got["outcomes"].count("BudgetExceeded: call budget of 7 spent") == 13 + 20
