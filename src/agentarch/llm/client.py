"""Builds the model stack from plain settings: backend, then concurrency limit, usage meter with
the hard budget, retry, and the persistent cache on top (so cache hits are free and uncounted);
one ``CallPath`` runs them all in a single coroutine."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentarch.llm.budget import Budget, MeteredModel
from agentarch.llm.cache import CachedModel
from agentarch.llm.call_path import CallPath
from agentarch.llm.limit import LimitedModel
from agentarch.llm.named_models import NamedModels
from agentarch.llm.retry import RetryingModel
from agentarch.store.db import Store

DEFAULTS = {"local_parallel": 4, "http_concurrency": 16, "retries": 4}


@dataclass
class ModelStack:
    """The top model to call, plus handles on the layers a report reads."""

    model: object
    meter: MeteredModel
    cache: CachedModel | None
    backend: object
    extras: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.backend.backend}:{self.backend.name}"

    async def aclose(self) -> None:
        await self.model.aclose()


def stack(backend, store: Store | None = None, budget: Budget | None = None,
          concurrency: int | None = None, retries: int = DEFAULTS["retries"],
          price: tuple[float, float] | None = None, open_model=None) -> ModelStack:
    """``open_model(name)`` opens another model a design node names (``None``: only ``backend``)."""
    named = NamedModels(backend, open_model)
    limit = LimitedModel(named, concurrency) if concurrency else None
    meter = MeteredModel(limit or named, budget, price)
    retry = RetryingModel(meter, attempts=retries) if retries > 1 else None
    cache = CachedModel(retry or meter, store) if store is not None else None
    path = CallPath(named, limit, meter, retry, cache)  # those five layers in one coroutine
    return ModelStack(path, meter, cache, backend, {"models": named})


_LOCAL: dict[tuple, object] = {}


def local_backend(model: str = "qwen2.5-coder-0.5b", parallel: int = DEFAULTS["local_parallel"], progress=None):
    """The embedded model, loaded once per process and settings."""
    from agentarch.llm.local import LocalModel
    from agentarch.llm.weights import PRESETS, ensure_model

    key = (model, parallel)
    if key not in _LOCAL:
        path = ensure_model(model, progress)
        _LOCAL[key] = LocalModel(path, name=model if model in PRESETS else None, parallel=parallel)
    return _LOCAL[key]


def build(model: str = "qwen2.5-coder-0.5b", base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
          store: Store | None = None, budget: Budget | None = None, concurrency: int | None = None,
          parallel: int = DEFAULTS["local_parallel"], price: tuple[float, float] | None = None,
          progress=None) -> ModelStack:
    """A full model stack for the CLI: a server when ``base_url`` is given, else the embedded model."""
    if base_url:
        from agentarch.llm.openai_compat import OpenAICompatModel

        backend = OpenAICompatModel(base_url, model, api_key_env=api_key_env)
        return stack(backend, store, budget, concurrency or DEFAULTS["http_concurrency"], price=price,
                     open_model=lambda name: OpenAICompatModel(base_url, name, api_key_env=api_key_env))
    backend = local_backend(model, parallel, progress)
    return stack(backend, store, budget, concurrency or parallel * 2, retries=1, price=price,
                 open_model=lambda name: local_backend(name, parallel, progress))
