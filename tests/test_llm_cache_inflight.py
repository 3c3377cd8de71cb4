"""Identical requests in flight at once are sent once (``llm/cache.py``): the others wait for its
answer, share its failure, and a lone request makes no waiting machinery at all."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.errors import ModelError
from agentarch.llm.cache import CachedModel
from agentarch.llm.scripted import ScriptedModel
from agentarch.llm.types import Request
from agentarch.store.db import Store


def req(text: str) -> Request:
    return Request([{"role": "user", "content": text}])


class Failing(ScriptedModel):
    async def complete(self, request):
        self.calls.append(request)
        await asyncio.sleep(0.01)
        raise ModelError("the server said no")


def test_waiters_share_the_failure_of_the_call_they_wait_for(tmp_path):
    store = Store(tmp_path / "c.db")
    inner = Failing("x")
    cached = CachedModel(inner, store)

    async def go():
        return await asyncio.gather(*(cached.complete(req("same")) for _ in range(4)), return_exceptions=True)

    outs = asyncio.run(go())
    assert len(inner.calls) == 1
    assert [str(o) for o in outs] == ["the server said no"] * 4
    assert cached._inflight == {} and store.get_call(req("same").key(inner.backend, inner.name)) is None
    store.close()


def test_waiters_get_the_answer_marked_cached_and_nothing_is_left_in_flight(tmp_path):
    store = Store(tmp_path / "c.db")
    inner = ScriptedModel(lambda r: "reply " + r.messages[0]["content"], delay=0.01)
    cached = CachedModel(inner, store)

    async def go():
        return await asyncio.gather(cached.complete(req("a")), cached.complete(req("a")), cached.complete(req("b")))

    a1, a2, b = asyncio.run(go())
    assert (a1.text, a1.cached, a2.text, a2.cached, b.text, b.cached) == ("reply a", False, "reply a", True, "reply b", False)
    assert len(inner.calls) == 2 and cached._inflight == {}
    assert (cached.hits, cached.misses) == (1, 2)
    store.close()
