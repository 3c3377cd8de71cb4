"""Any OpenAI-compatible chat server: vLLM, llama.cpp, Ollama, hosted APIs.

Uses one pooled aiohttp session (the lean client: a fraction of a millisecond per call) that writes
request bodies with orjson. The API key is read from an environment variable and is never logged
or stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import aiohttp
import orjson

from agentarch.errors import ModelError, PromptTooLong
from agentarch.llm.retry import TransientError
from agentarch.llm.types import Completion, Request, completion_from_openai

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def _json_bytes(body) -> bytes:
    """A request body as JSON: orjson (a tenth of ``json.dumps``' cost), or ``json.dumps`` for what
    orjson refuses (non-string keys, integers beyond 64 bits)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body).encode()


class OpenAICompatModel:
    backend = "openai"

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY",
                 timeout: float = 300.0, max_connections: int = 64):
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.name = model
        self._key = os.environ.get(api_key_env, "") if api_key_env else ""
        self._key_env = api_key_env
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._url = f"{self.base_url}/chat/completions"

    def _session_get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {}  # aiohttp sets Content-Type for a JSON body; fewer defaults to merge per call
            if self._key:
                headers["Authorization"] = f"Bearer {self._key}"
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300),
                json_serialize_bytes=_json_bytes)
        return self._session

    def _body(self, request: Request) -> dict:
        body = {"model": self.name, "messages": request.messages, "temperature": request.temperature,
                "max_tokens": request.max_tokens}
        if request.stop:
            body["stop"] = list(request.stop)
        body["seed"] = request.seed(self.backend, self.name)
        return body

    async def complete(self, request: Request) -> Completion:
        t0 = time.perf_counter()
        try:
            async with self._session_get().post(self._url, json=self._body(request)) as resp:
                raw = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("Retry-After") if status != 200 else None
        except (aiohttp.ClientConnectorError, ConnectionRefusedError) as exc:
            raise TransientError(f"cannot reach {self.base_url} ({exc.__class__.__name__}); "
                                 "is the server running and is --base-url right?") from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, asyncio.TimeoutError) as exc:
            raise TransientError(f"{self.base_url}: {exc.__class__.__name__} while waiting for an answer") from None
        if status != 200:
            detail = raw[:300].decode(errors="replace")
            if status in (401, 403):
                hint = (f"set {self._key_env} to a valid key" if self._key else
                        f"no key was given: set {self._key_env}")
                raise ModelError(f"{self.base_url} refused the API key (HTTP {status}): {hint}")
            if status in RETRY_STATUS:
                ra = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
                raise TransientError(f"{self.base_url} answered HTTP {status}: {detail}", ra)
            too_long = _context_error(raw) if status == 400 else None
            if too_long:
                raise too_long
            if status == 404:
                raise ModelError(f"{self._url} answered 404: is '{self.name}' served there? ({detail})")
            raise ModelError(f"{self.base_url} answered HTTP {status}: {detail}")
        return completion_from_openai(_parse(raw), time.perf_counter() - t0)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _parse(raw: bytes):
    """An answer's JSON: orjson (a fifth of ``json.loads``' cost), or ``json.loads`` for what orjson
    refuses (NaN, integers beyond 64 bits), which also raises the usual error on a broken body."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _context_error(raw: bytes) -> PromptTooLong | None:
    """llama.cpp-style servers answer a prompt longer than the context with HTTP 400 and
    ``exceed_context_size_error``: that is one example's error, not the server's."""
    try:
        error = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict) or error.get("type") != "exceed_context_size_error":
        return None
    return PromptTooLong(error.get("n_prompt_tokens"), error.get("n_ctx"))
