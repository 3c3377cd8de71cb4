"""A cap on calls in flight at once, so a server (or the embedded model's slots) is not flooded."""

from __future__ import annotations

import asyncio

from agentarch.llm.types import Completion, Request


class LimitedModel:
    def __init__(self, inner, concurrency: int):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)

    async def complete(self, request: Request) -> Completion:
        async with self._sem:
            return await self.inner.complete(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
