"""A cap on calls in flight at once, so a server (or the embedded model's slots) is not flooded.

A counter with a queue rather than ``asyncio.Semaphore``: a call that finds a free slot takes it
without awaiting anything, where ``async with`` on a semaphore runs four coroutines and a generator
per call (measured: a tenth of the whole model stack's client CPU against a fast server). When no
slot is free, calls wait in arrival order, and a finishing call hands its slot to the first one.
"""

from __future__ import annotations

import asyncio
from collections import deque

from agentarch.llm.types import Completion, Request


class LimitedModel:
    def __init__(self, inner, concurrency: int):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.concurrency = concurrency
        self._free = concurrency
        self._waiting: deque[asyncio.Future] = deque()

    async def complete(self, request: Request) -> Completion:
        if not self.take():
            await self.wait()
        try:
            return await self.inner.complete(request)
        finally:
            self.release()

    def take(self) -> bool:
        """Take a free slot if there is one and nobody waits for it; else ``wait()``."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return True
        return False

    async def wait(self) -> None:
        """Wait for a slot, in arrival order; it is held when this returns."""
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            elif turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiting call, if any."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot goes straight to the first waiting call
                return
        self._free += 1

    async def aclose(self) -> None:
        await self.inner.aclose()
