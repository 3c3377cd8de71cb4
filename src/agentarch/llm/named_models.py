"""Routes each request to the model it names: the stack's own model, or another one a design node
asked for (``{"block": "cot", "model": "qwen2.5-coder-1.5b"}``), opened on first use through
``open_model`` and kept for the process. It sits under the stack's meter and cache, so every
named model shares one cache, one budget and one meter (which counts usage per model)."""

from __future__ import annotations

from typing import Callable

from agentarch.errors import ConfigError
from agentarch.llm.types import Completion, Request


class NamedModels:
    def __init__(self, default, open_model: Callable[[str], object] | None = None):
        self.default = default
        self.backend = default.backend
        self.name = default.name
        self.open_model = open_model
        self.opened: dict[str, object] = {}

    def get(self, name: str):
        """The backend for ``name`` ("" or the stack's own name: the default one)."""
        if not name or name in (self.name, f"{self.backend}:{self.name}"):
            return self.default
        if name not in self.opened:
            if self.open_model is None:
                raise ConfigError(f"model '{name}': this model stack serves only '{self.name}'")
            self.opened[name] = self.open_model(name)
        return self.opened[name]

    async def complete(self, request: Request) -> Completion:
        if not request.model:  # the stack's own model: most calls
            return await self.default.complete(request)
        return await self.get(request.model).complete(request)

    async def aclose(self) -> None:
        await self.default.aclose()
        for m in self.opened.values():
            await m.aclose()
