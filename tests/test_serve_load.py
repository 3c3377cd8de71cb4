"""A bounded load test: 200 requests, 16 at a time, through the async openai client to a real
server on the scripted backend; none is lost, mixed up or failed. (Latency: bench/bench_serve.py.)"""

from __future__ import annotations

import asyncio

import httpx
import openai

import serve_server

REQUESTS, CONCURRENCY = 200, 16


def test_200_requests_16_at_a_time_lose_none(tmp_path):
    server = serve_server.start(tmp_path, ["direct"], "--no-access-log", delay=0.005)

    async def go():
        sem = asyncio.Semaphore(CONCURRENCY)
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0, timeout=60) as c:
            async def one(i: int) -> str:
                async with sem:
                    out = await c.chat.completions.create(
                        model="direct", messages=[{"role": "user", "content": f"Report the number {i}."}],
                        stream=i % 4 == 0)
                    if i % 4 == 0:
                        return "".join([ch.choices[0].delta.content or "" async for ch in out if ch.choices])
                    return out.choices[0].message.content

            return await asyncio.gather(*(one(i) for i in range(REQUESTS)))

    try:
        answers = asyncio.run(go())
        assert answers == [f"Answer: {i}" for i in range(REQUESTS)]
        health = httpx.get(f"{server.url}/health").json()
        assert (health["served"], health["failed"], health["in_flight"]) == (REQUESTS, 0, 0)
        assert server.backend_calls() == REQUESTS
    finally:
        assert server.stop() == 0
