"""Retry with exponential backoff and jitter on transient failures (429, 5xx, timeouts, dropped
connections). Anything else, and the last failure, goes up unchanged."""

from __future__ import annotations

import asyncio
import random

from agentarch.errors import ModelError
from agentarch.llm.types import Completion, Request


class TransientError(ModelError):
    """A failure worth retrying. ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RetryingModel:
    def __init__(self, inner, attempts: int = 4, base_delay: float = 0.5, max_delay: float = 20.0):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.retries = 0

    async def complete(self, request: Request) -> Completion:
        for attempt in range(self.attempts):
            try:
                return await self.inner.complete(request)
            except TransientError as exc:
                if attempt == self.attempts - 1:
                    raise
                await self.backoff(attempt, exc)
        raise AssertionError("unreachable")

    async def backoff(self, attempt: int, exc: TransientError) -> None:
        """Wait before retrying after failed ``attempt`` (0-based): the server's hint, else
        exponential backoff, with jitter."""
        delay = exc.retry_after or min(self.max_delay, self.base_delay * 2 ** attempt)
        self.retries += 1
        await asyncio.sleep(delay * (0.5 + random.random() / 2))

    async def aclose(self) -> None:
        await self.inner.aclose()
