"""A view of a model whose every request carries one ``repeat`` index.

The evaluator hands it to the blocks when a design is re-measured (``Evaluator.evaluate(...,
repeat=r)``): the same prompts, the same seeds, but new cache keys, so the calls are sent again
once and then cached for a resumed run. Closing the view does not close the model beneath it.
"""

from __future__ import annotations

from dataclasses import replace

from agentarch.llm.types import Completion, Request


class RepeatModel:
    def __init__(self, inner, repeat: int):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.repeat = repeat

    async def complete(self, request: Request) -> Completion:
        return await self.inner.complete(replace(request, repeat=self.repeat))

    async def aclose(self) -> None:
        return None


def with_repeat(model, repeat: int):
    """``model`` itself for repeat 0, else a view stamping ``repeat`` on every request."""
    return model if repeat <= 0 else RepeatModel(model, repeat)
