"""SIGTERM: in-flight requests finish, new connections are refused, the process exits 0; past the
shutdown timeout the requests are cut and the process still exits, leaving nothing running."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

import serve_server


def _ask(server, results, content="Report the number 8.", stream=False):
    try:
        r = httpx.post(f"{server.base_url}/chat/completions", timeout=60, json={
            "model": "direct", "stream": stream, "messages": [{"role": "user", "content": content}]})
        results.append((r.status_code, r.text))
    except httpx.HTTPError as exc:
        results.append((None, repr(exc)))


def _wait_in_flight(server, n: int) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/health").json()["in_flight"] < n:
        assert time.monotonic() < deadline, "the requests never started"
        time.sleep(0.05)


def test_sigterm_lets_in_flight_requests_finish(tmp_path):
    server = serve_server.start(tmp_path, ["direct"], delay=1.5)
    results: list = []
    threads = [threading.Thread(target=_ask, args=(server, results, f"Report the number {i}.", i == 1))
               for i in range(3)]
    for t in threads:
        t.start()
    _wait_in_flight(server, 3)
    assert server.stop() == 0
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200, 200, 200], results
    assert any("data: [DONE]" in text for _, text in results)  # the streamed one finished too
    assert "Finished server process" in server.output()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health", timeout=2)


def test_past_the_shutdown_timeout_requests_are_cut_and_the_process_exits(tmp_path):
    server = serve_server.start(tmp_path, ["direct"], "--shutdown-timeout", "0.5", delay=60)
    results: list = []
    thread = threading.Thread(target=_ask, args=(server, results))
    thread.start()
    _wait_in_flight(server, 1)
    assert server.stop(timeout=40) == 0  # raises if it waited for the backend's 60 s
    thread.join(timeout=40)
    assert results and results[0][0] != 200
    assert "timeout graceful shutdown exceeded" in server.output()
