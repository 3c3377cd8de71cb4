"""Client-side cost of agentarch's model stack, against a bare aiohttp client and the openai SDK.

One run starts two fake OpenAI-compatible servers on loopback (subprocesses of this script): one
answers /v1/chat/completions at once, one after a fixed delay. Four clients ask them the same
distinct questions (so the call cache never hits): agentarch's full stack (cache on a fresh
SQLite file, then cache off), a bare aiohttp session, and the openai SDK. For each it measures

- client CPU per call (``time.process_time``, this process only) against the instant server,
  including the cache writes the calls left pending (committed before the clock stops);
- calls per second at ``--concurrency`` in flight against the delayed server.

Arms are interleaved (each round runs their CPU measurements back to back, then their rate
measurements, in a rotated order) and repeated; the table shows medians, and the ratios are medians
of per-round ratios against the aiohttp floor measured in the same round.

    PYTHONPATH=src .venv/bin/python bench/bench_overhead.py --calls 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWER = json.dumps({
    "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Answer: 42"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24},
}).encode()


# -- the fake server ------------------------------------------------------------------------------
def serve(port: int, delay: float) -> None:
    """A fake chat server: every request gets the same answer, after ``delay`` seconds."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        if delay:
            await asyncio.sleep(delay)
        return web.Response(body=ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(delay: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--delay", str(delay)])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the fake server on port {port} did not start")


# -- the clients: each returns ``complete(i) -> text`` and ``close()`` ----------------------------
def messages(i: int) -> list[dict]:
    return [{"role": "user", "content": f"What is question number {i}?"}]


async def agentarch_client(url: str, concurrency: int, cache: bool, tmp: Path):
    from agentarch.llm.client import stack
    from agentarch.llm.openai_compat import OpenAICompatModel
    from agentarch.llm.types import Request
    from agentarch.store.db import Store

    store = Store(tmp / f"cache-{time.monotonic_ns()}.db") if cache else None
    top = stack(OpenAICompatModel(url, "fake", api_key_env=""), store, concurrency=concurrency)

    async def complete(i: int) -> str:
        return (await top.model.complete(Request(messages=messages(i), max_tokens=64))).text

    async def close() -> None:
        await top.aclose()
        if store is not None:
            store.close()

    complete.settle = store.flush_calls if store is not None else None  # the cache writes still deferred
    return complete, close


async def aiohttp_client(url: str, concurrency: int):
    import aiohttp

    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

    async def complete(i: int) -> str:
        body = {"model": "fake", "messages": messages(i), "max_tokens": 64}
        async with http.post(f"{url}/chat/completions", json=body) as r:
            return json.loads(await r.read())["choices"][0]["message"]["content"]

    return complete, http.close


async def openai_client(url: str, concurrency: int):
    import httpx
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=url, api_key="none", max_retries=0, http_client=httpx.AsyncClient(
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)))

    async def complete(i: int) -> str:
        out = await client.chat.completions.create(model="fake", messages=messages(i), max_tokens=64)
        return out.choices[0].message.content

    return complete, client.close


ARMS = ["agentarch cache on", "agentarch cache off", "aiohttp", "openai SDK"]


async def make(arm: str, url: str, concurrency: int, tmp: Path):
    if arm == "agentarch cache on":
        return await agentarch_client(url, concurrency, True, tmp)
    if arm == "agentarch cache off":
        return await agentarch_client(url, concurrency, False, tmp)
    if arm == "aiohttp":
        return await aiohttp_client(url, concurrency)
    return await openai_client(url, concurrency)


async def drive(arm: str, url: str, calls: int, concurrency: int, start: int, tmp: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for ``calls`` calls, ``concurrency`` in flight; a warm-up first."""
    complete, close = await make(arm, url, concurrency, tmp)
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            text = await complete(i)
            assert text == "Answer: 42", text

    try:
        await asyncio.gather(*(one(start - 1 - i) for i in range(min(100, calls))))  # warm-up
        settle = getattr(complete, "settle", None)
        if settle:
            settle()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(start + i) for i in range(calls)))
        if settle:
            settle()  # work the calls deferred (the cache's batched writes) is counted with them
        return time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="calls per arm and round (CPU measurement)")
    ap.add_argument("--rate-calls", type=int, default=800, help="calls per arm and round (rate measurement)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--delay", type=float, default=0.05, help="the slow server's delay in seconds")
    ap.add_argument("--arms", default=",".join(ARMS), help="comma-separated subset of: " + ", ".join(ARMS))
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        return serve(a.serve, a.delay)
    arms = [x.strip() for x in a.arms.split(",")]
    if "aiohttp" not in arms or any(x not in ARMS for x in arms):
        raise SystemExit(f"--arms: give a subset of {ARMS} that includes 'aiohttp' (the floor)")

    fast, fast_url = start_server(0.0)
    slow, slow_url = start_server(a.delay)
    cpu: dict[str, list[float]] = {x: [] for x in arms}
    rate: dict[str, list[float]] = {x: [] for x in arms}
    start = 1_000_000
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(a.rounds):
                order = arms[r % len(arms):] + arms[:r % len(arms)]
                for arm in order:  # the CPU runs of a round back to back: their ratios share the machine's state
                    start += 10_000_000
                    c, _ = asyncio.run(drive(arm, fast_url, a.calls, a.concurrency, start, Path(tmp)))
                    cpu[arm].append(c / a.calls * 1000)
                for arm in order:
                    start += 10_000_000
                    _, w = asyncio.run(drive(arm, slow_url, a.rate_calls, a.concurrency, start, Path(tmp)))
                    rate[arm].append(a.rate_calls / w)
                print(f"round {r + 1}/{a.rounds}: " + ", ".join(
                    f"{x} {cpu[x][-1]:.3f} ms {rate[x][-1]:.0f}/s" for x in arms), file=sys.stderr, flush=True)
    finally:
        for p in (fast, slow):
            p.terminate()
            p.wait()

    def ratio(d: dict[str, list[float]], arm: str) -> float:
        return statistics.median(v / f for v, f in zip(d[arm], d["aiohttp"]))

    ideal = a.concurrency / a.delay
    print(f"\n{a.rounds} rounds; CPU: {a.calls} calls at 0 ms delay; rate: {a.rate_calls} calls at "
          f"{a.delay * 1000:.0f} ms x {a.concurrency} (ideal {ideal:.0f}/s); medians; ratios vs aiohttp per round")
    print(f"| client | CPU ms/call | CPU vs aiohttp | calls/s | rate vs aiohttp |")
    print(f"|---|---:|---:|---:|---:|")
    for arm in arms:
        print(f"| {arm} | {statistics.median(cpu[arm]):.3f} | {ratio(cpu, arm):.2f}x | "
              f"{statistics.median(rate[arm]):.0f} | {ratio(rate, arm):.3f} |")


if __name__ == "__main__":
    main()
