"""Latency a request pays for going through ``agentarch serve`` instead of calling the model.

In one run, for each backend delay: (1) the bare scripted backend, called in-process by the same
requests at the same concurrency; (2) a real ``agentarch serve direct`` process on that scripted
backend (default settings: call cache on a fresh file, access log off), asked over loopback HTTP
by a lean aiohttp client. Prints p50/p99 latency of each, the overhead in milliseconds and the
ratios served / bare. Every request asks a different question, so none is a cache hit.
Last, the CPU time the app itself spends per request, driven in-process (httpx's ASGI transport,
no socket, no server), with the cache on and off.

    .venv/bin/python bench/bench_serve.py --requests 200 --concurrency 16 --delays 0,0.05
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from agentarch.cli.scripted import scripted_model
from agentarch.llm.types import Request

RULES = [["number (\\d+)", "Answer: \\1"]]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


async def bounded(n: int, concurrency: int, one) -> list[float]:
    """Latency (s) of each of ``n`` calls of ``one(i)``, ``concurrency`` at a time."""
    sem = asyncio.Semaphore(concurrency)
    out: list[float] = []

    async def timed(i: int) -> None:
        async with sem:
            t0 = time.perf_counter()
            await one(i)
            out.append(time.perf_counter() - t0)

    await asyncio.gather(*(timed(i) for i in range(n)))
    return out


def question(i: int) -> str:
    return f"Report the number {i}."


async def bare(rules: Path, n: int, concurrency: int) -> list[float]:
    model = scripted_model(str(rules))

    async def one(i: int) -> None:
        out = await model.complete(Request(messages=[{"role": "user", "content": question(i)}], max_tokens=64))
        assert out.text == f"Answer: {i}"

    return await bounded(n, concurrency, one)


async def served(url: str, n: int, concurrency: int, offset: int) -> list[float]:
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:
        async def one(i: int) -> None:
            body = {"model": "direct", "messages": [{"role": "user", "content": question(offset + i)}]}
            async with http.post(f"{url}/v1/chat/completions", json=body) as r:
                data = await r.json()
                assert r.status == 200 and data["choices"][0]["message"]["content"] == f"Answer: {offset + i}", data

        await bounded(min(20, n), concurrency, lambda i: one(n + i))  # warm-up, not counted
        return await bounded(n, concurrency, one)


def start_server(rules: Path, db: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "agentarch.cli.main", "serve", "direct", "--port", str(port),
                             "--model", f"scripted:{rules}", "--db", str(db), "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def app_cpu(requests: int, cache: bool, folder: str) -> float:
    """CPU milliseconds per request of the app alone (client included), in-process."""
    import httpx

    from agentarch.llm.client import stack
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.serve import create_app, resolve_designs
    from agentarch.store.db import Store

    store = Store(Path(folder) / f"inproc{int(cache)}.db") if cache else None
    app = create_app(resolve_designs(["direct"]), stack(ScriptedModel("Answer: 1"), store, retries=1))

    async def go() -> float:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
            async def one(i: int) -> None:
                r = await c.post("/v1/chat/completions", json={
                    "model": "direct", "messages": [{"role": "user", "content": question(i)}]})
                assert r.status_code == 200

            for i in range(20):
                await one(-1 - i)
            t0 = time.process_time()
            for i in range(requests):
                await one(i)
            return 1000 * (time.process_time() - t0) / requests

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--delays", default="0,0.05", help="scripted backend delays in seconds, comma-separated")
    args = ap.parse_args()
    print(f"{args.requests} requests, {args.concurrency} concurrent, design 'direct' (one model call per request)")
    print(f"{'delay':>7} {'bare p50':>10} {'bare p99':>10} {'served p50':>11} {'served p99':>11} "
          f"{'overhead p50':>13} {'overhead p99':>13} {'ratio p50':>10} {'ratio p99':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for k, delay in enumerate(float(d) for d in args.delays.split(",")):
            rules = Path(tmp) / f"rules{k}.json"
            rules.write_text(json.dumps({"rules": RULES, "delay": delay}))
            b = asyncio.run(bare(rules, args.requests, args.concurrency))
            proc, url = start_server(rules, Path(tmp) / f"serve{k}.db")
            try:
                s = asyncio.run(served(url, args.requests, args.concurrency, offset=100_000 * (k + 1)))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            ms = [1000 * percentile(x, q) for x in (b, s) for q in (0.5, 0.99)]
            print(f"{delay * 1000:>5.0f}ms {ms[0]:>8.2f}ms {ms[1]:>8.2f}ms {ms[2]:>9.2f}ms {ms[3]:>9.2f}ms "
                  f"{ms[2] - ms[0]:>11.2f}ms {ms[3] - ms[1]:>11.2f}ms {ms[2] / ms[0]:>9.2f}x {ms[3] / ms[1]:>9.2f}x")
        for cache in (True, False):
            print(f"app alone, in-process, cache {'on ' if cache else 'off'}: "
                  f"{app_cpu(args.requests, cache, tmp):.3f} ms CPU per request (client included)")


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "200")
    main()
