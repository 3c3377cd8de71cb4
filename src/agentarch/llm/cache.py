"""Persistent call cache in the store. A hit costs nothing: it is neither sent nor counted against
the budget. Identical requests in flight at once are sent only once. Writes are batched off the hot
path (``store/pending_calls.py`` states what a kill -9 can lose); closing the model commits them."""

from __future__ import annotations

import asyncio

from agentarch.llm.types import Completion, Request, Usage
from agentarch.store.db import Store


class CachedModel:
    def __init__(self, inner, store: Store):
        self.inner = inner
        self.store = store
        self.backend = inner.backend
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self._inflight: dict[str, asyncio.Future | None] = {}  # key -> what its waiters await (None: no waiter yet)

    async def complete(self, request: Request) -> Completion:
        key, record = request.cache_entry(self.backend, self.name)
        row = self.store.get_call(key)
        if row is not None:
            self.hits += 1
            return Completion(row[0], Usage(row[1], row[2]), row[3], cached=True)
        inflight = self._inflight
        if key in inflight:  # the same request is being sent: wait for its answer
            fut = inflight[key]
            if fut is None:
                fut = inflight[key] = asyncio.get_running_loop().create_future()
            self.hits += 1
            out = await asyncio.shield(fut)
            return Completion(out.text, out.usage, out.finish_reason, cached=True)
        inflight[key] = None  # a future only when a second caller comes: most calls have none
        try:
            out = await self.inner.complete(request)
        except BaseException as exc:
            fut = inflight.pop(key, None)
            if fut is not None:
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        fut = inflight.pop(key, None)
        if fut is not None:
            fut.set_result(out)
        self.misses += 1
        self.store.put_call(key, self.backend, self.name, record, out.text, out.usage.prompt_tokens,
                            out.usage.completion_tokens, out.finish_reason)
        return out

    async def aclose(self) -> None:
        self.store.flush_calls()
        await self.inner.aclose()
