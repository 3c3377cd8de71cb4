"""What the OpenAI-compatible backend sends: a JSON body written by orjson, or by ``json`` for what
orjson refuses, with the JSON content type; checked on a real loopback server."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer as LoopbackServer

from agentarch.llm.openai_compat import OpenAICompatModel
from agentarch.llm.types import Request

ANSWER = {"choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1}}


def send(requests: list[Request]) -> list[tuple[str, dict]]:
    """(content type, parsed body) of each request as the server received it."""
    received: list[tuple[str, dict]] = []

    async def chat(request: web.Request) -> web.Response:
        received.append((request.content_type, json.loads(await request.read())))
        return web.json_response(ANSWER)

    async def go():
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        async with LoopbackServer(app, host="127.0.0.1") as server:
            model = OpenAICompatModel(str(server.make_url("/v1")), "m", api_key_env="")
            try:
                for r in requests:
                    assert (await model.complete(r)).text == "ok"
            finally:
                await model.aclose()

    asyncio.run(go())
    return received


def test_the_body_carries_the_request_as_json():
    text = "Ünïcode ✓ \"quoted\"\n\t\x01 \U0001F600"
    r = Request([{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}],
                temperature=0.7, max_tokens=9, stop=("\n\n",), sample=2)
    [(ctype, body)] = send([r])
    assert ctype == "application/json"
    assert body == {"model": "m", "messages": r.messages, "temperature": 0.7, "max_tokens": 9, "stop": ["\n\n"],
                    "seed": r.seed("openai", "m")}


def test_what_orjson_refuses_is_written_by_json():
    r = Request([{"role": "user", "content": "x", 7: "an int key", "big": 10**30}], max_tokens=5)
    [(ctype, body)] = send([r])
    assert ctype == "application/json"
    assert body["messages"] == [{"role": "user", "content": "x", "7": "an int key", "big": 10**30}]


def test_answers_orjson_refuses_are_read_by_json():
    from agentarch.llm.openai_compat import _parse

    plain = b'{"choices": [{"message": {"content": "hi \\u00e9"}}], "usage": {"prompt_tokens": 3}}'
    assert _parse(plain) == json.loads(plain)
    odd = b'{"choices": [{"message": {"content": "x"}, "logprob": NaN}], "id": 123456789012345678901234567890}'
    assert _parse(odd)["id"] == 123456789012345678901234567890
    with pytest.raises(json.JSONDecodeError):  # what json.loads raised before
        _parse(b'{"choices": [')
