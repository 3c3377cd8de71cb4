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
        key, record, found = self.lookup(request)
        if found is not None:
            return found
        if key in self._inflight:
            return await self.join(key)
        self.begin(key)
        try:
            out = await self.inner.complete(request)
        except BaseException as exc:
            self.failed(key, exc)
            raise
        self.sent(key, record, out)
        return out

    # The steps of ``complete``, which ``CallPath`` also runs in its own single coroutine.
    def lookup(self, request: Request) -> tuple[str, str, Completion | None]:
        """(key, the request as stored, the cached answer or ``None``)."""
        key, record = request.cache_entry(self.backend, self.name)
        row = self.store.get_call(key)
        if row is None:
            return key, record, None
        self.hits += 1
        return key, record, Completion(row[0], Usage(row[1], row[2]), row[3], cached=True)

    async def join(self, key: str) -> Completion:
        """The answer of the identical request in flight (``key in self._inflight``)."""
        fut = self._inflight[key]
        if fut is None:
            fut = self._inflight[key] = asyncio.get_running_loop().create_future()
        self.hits += 1
        out = await asyncio.shield(fut)
        return Completion(out.text, out.usage, out.finish_reason, cached=True)

    def begin(self, key: str) -> None:
        """``key`` is being sent; a future only when a second caller comes: most calls have none."""
        self._inflight[key] = None

    def failed(self, key: str, exc: BaseException) -> None:
        fut = self._inflight.pop(key, None)
        if fut is not None:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: waiters re-raise it themselves

    def sent(self, key: str, record: str, out: Completion) -> None:
        """Hand ``out`` to the waiters and cache it."""
        fut = self._inflight.pop(key, None)
        if fut is not None:
            fut.set_result(out)
        self.misses += 1
        self.store.put_call(key, self.backend, self.name, record, out.text, out.usage.prompt_tokens,
                            out.usage.completion_tokens, out.finish_reason)

    async def aclose(self) -> None:
        self.store.flush_calls()
        await self.inner.aclose()
