"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1 (xllamacpp's own
HTTP server), the embedded backend, and what a user sees when the server is down, the key is
wrong or the model file is corrupt."""

from __future__ import annotations

import asyncio
import hashlib
import socket

import pytest

from agentarch.errors import ModelError
from agentarch.llm.client import stack
from agentarch.llm.openai_compat import OpenAICompatModel
from agentarch.llm.retry import RetryingModel, TransientError
from agentarch.llm.types import Request
from agentarch.llm.weights import PRESETS, ModelPreset, cache_dir, verify

pytestmark = pytest.mark.model

Q = Request([{"role": "user", "content": "What is 2 + 3? Reply with the number only."}], max_tokens=8)


def test_embedded_model_answers(local_model):
    out = asyncio.run(local_model.complete(Q))
    assert "5" in out.text
    assert out.usage.prompt_tokens > 5 and 0 < out.usage.completion_tokens <= 8


def test_openai_backend_against_the_real_llama_cpp_server(local_model, store):
    assert local_model.url.startswith("http://127.0.0.1:")
    backend = OpenAICompatModel(local_model.url, "qwen", api_key_env="")
    st = stack(backend, store)

    async def go():
        try:
            first = await st.model.complete(Q)
            again = await st.model.complete(Q)
            many = await asyncio.gather(*(st.model.complete(
                Request([{"role": "user", "content": f"Say the number {i}."}], max_tokens=6)) for i in range(6)))
            return first, again, many
        finally:
            await st.aclose()

    first, again, many = asyncio.run(go())
    assert "5" in first.text and not first.cached
    assert again.cached and again.text == first.text
    assert st.meter.used.calls == 7 and all(m.text for m in many)
    assert st.meter.used.prompt_tokens > 0


def test_sampling_with_a_seed_is_reproducible_over_http(local_model):
    backend = OpenAICompatModel(local_model.url, "qwen", api_key_env="")
    r = Request([{"role": "user", "content": "Name a colour."}], temperature=1.0, max_tokens=6, sample=3)

    async def go():
        try:
            return [(await backend.complete(r)).text for _ in range(2)]
        finally:
            await backend.aclose()

    a, b = asyncio.run(go())
    assert a == b


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_is_retried_then_reported_clearly():
    backend = OpenAICompatModel(f"http://127.0.0.1:{_free_port()}/v1", "m", api_key_env="")
    model = RetryingModel(backend, attempts=2, base_delay=0.01)

    async def go():
        try:
            await model.complete(Q)
        finally:
            await backend.aclose()

    with pytest.raises(TransientError, match="cannot reach http://127.0.0.1:.*is the server running"):
        asyncio.run(go())


def test_wrong_api_key_is_a_clear_permanent_error(monkeypatch, keyed_server):
    server = keyed_server
    monkeypatch.setenv("TEST_KEY", "wrong-key")
    backend = OpenAICompatModel(server.listening_address, "m", api_key_env="TEST_KEY")

    async def go(b):
        try:
            return await b.complete(Q)
        finally:
            await b.aclose()

    with pytest.raises(ModelError, match=r"refused the API key \(HTTP 401\): set TEST_KEY") as info:
        asyncio.run(go(backend))
    assert "wrong-key" not in str(info.value)  # the key is never printed
    monkeypatch.setenv("TEST_KEY", "right-key")
    assert "5" in asyncio.run(go(OpenAICompatModel(server.listening_address, "m", api_key_env="TEST_KEY"))).text


def test_the_cached_model_file_passes_its_sha256_check():
    path = cache_dir() / PRESETS["qwen2.5-coder-0.5b"].filename
    verify(path, PRESETS["qwen2.5-coder-0.5b"])


def test_a_corrupted_model_file_is_refused(tmp_path, monkeypatch):
    good = b"GGUF" + bytes(1000)
    preset = ModelPreset("tiny", "tiny.gguf", len(good), hashlib.sha256(good).hexdigest(), (), "test")
    path = tmp_path / "tiny.gguf"
    path.write_bytes(good)
    verify(path, preset)  # passes and leaves a stamp
    data = bytearray(good)
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 check failed"):
        verify(path, preset)
