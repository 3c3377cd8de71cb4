"""The ``Model`` protocol every backend and wrapper implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from agentarch.llm.types import Completion, Request


@runtime_checkable
class Model(Protocol):
    """Anything that completes a chat ``Request``.

    ``backend`` and ``name`` identify the model in cache keys and price look-ups. Wrappers
    (cache, budget, retry, limit) hold an inner model and present the same protocol.
    """

    backend: str
    name: str

    async def complete(self, request: Request) -> Completion: ...

    async def aclose(self) -> None: ...
