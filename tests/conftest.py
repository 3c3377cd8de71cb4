"""Shared fixtures: the real embedded model (loaded once per test session) and a store on a real
SQLite file. Tests that need the embedded model are marked ``model``."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.store.db import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "test.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def local_model():
    from agentarch.llm.client import local_backend

    return local_backend("qwen2.5-coder-0.5b", parallel=4)


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def keyed_server():
    """A real llama.cpp server on 127.0.0.1 that accepts only the API key "right-key"."""
    import xllamacpp

    from agentarch.llm.weights import ensure_model

    p = xllamacpp.CommonParams()
    p.model.path = str(ensure_model("qwen2.5-coder-0.5b"))
    p.n_ctx, p.n_parallel, p.verbosity = 512, 1, -1
    p.api_keys = ["right-key"]
    return xllamacpp.Server(p)
