"""Starts the real ``agentarch serve`` command in a subprocess on a free loopback port, on the
scripted backend (``--model scripted:rules.json``), for the serve tests (not a test module)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# number N -> "Answer: N" (so a reply can be matched to its request); DSPy's field format for a
# question about France; a broken backreference (an error inside the backend) for "explode".
RULES = [
    ["explode", "\\9"],
    ["capital of France", "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"],
    ["number (\\d+)", "Answer: \\1"],
    [".", "Answer: nothing"],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    calls_log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def backend_calls(self) -> int:
        """Requests that reached the scripted backend (every one is logged there)."""
        return len(self.calls_log.read_text().splitlines()) if self.calls_log.exists() else 0

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the server did not stop within {timeout}s after SIGTERM:\n" + self.output())


def start(tmp_path: Path, designs: list[str], *args: str, rules=None, delay: float = 0.0,
          env: dict | None = None, wait: float = 60, embedded: bool = False) -> Server:
    """``agentarch serve DESIGNS ARGS`` on the scripted backend (or the embedded model when
    ``embedded``); returns once /health answers."""
    calls_log = tmp_path / f"calls-{time.monotonic_ns()}.jsonl"
    rules_file = tmp_path / f"rules-{time.monotonic_ns()}.json"
    rules_file.write_text(json.dumps({"rules": rules or RULES, "delay": delay, "log": str(calls_log)}))
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    backend = [] if embedded else ["--model", f"scripted:{rules_file}"]
    cmd = [sys.executable, "-m", "agentarch.cli.main", "serve", *designs, "--port", str(port), *backend,
           "--db", str(tmp_path / "serve.db"), *args]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    server = Server(proc, port, log, calls_log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError("the server did not answer /health in time:\n" + server.output())
