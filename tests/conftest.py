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
