"""Helpers for the dashboard tests (not a test module): a store filled by a real scripted
``agentarch search`` process, and a real ``agentarch ui`` process (uvicorn) on a free loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import search_toy as toy

SRC = str(Path(__file__).resolve().parents[1] / "src")
AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]
SEARCH = ["search", "--task", "toy.jsonl", "--metric", "numeric", "--model", "scripted:rules.json",
          "--optimizer", "evolve", "--rounds", "3", "--patience", "100", "--test-limit", "4",
          "--db", "t.db", "--out", "runs"]


def cli_env(extra: dict | None = None) -> dict:
    """The environment for an ``agentarch`` subprocess: this tree's sources first, no OTEL_* variables
    unless ``extra`` sets them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | (extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    return env


def write_inputs(folder: Path, delay: float = 0.0) -> None:
    with open(folder / "toy.jsonl", "w") as f:
        for ex in toy.task().examples:
            f.write(json.dumps({"question": ex.input, "answer": ex.target}) + "\n")
    (folder / "rules.json").write_text(json.dumps({"rules": toy.RULES, "delay": delay}))


def start_search(folder: Path, delay: float = 0.0) -> subprocess.Popen:
    """A real search process on the scripted toy model writing ``folder/t.db``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_inputs(folder, delay)
    return subprocess.Popen([*AGENTARCH, *SEARCH], cwd=folder, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def filled_store(folder: Path) -> tuple[Path, str]:
    """Run a scripted search to the end; returns the store and the run id."""
    proc = start_search(folder)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    run_id = re.search(r"run ([0-9a-f]{16})", out).group(1)
    return folder / "t.db", run_id


@contextlib.contextmanager
def running_ui(db: Path, *args: str):
    """``agentarch ui --db DB --port 0`` as a real process; yields its base URL, stops it after."""
    proc = subprocess.Popen([*AGENTARCH, "ui", "--db", str(db), "--port", "0", *args], env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            m = re.search(r"http://\S+:\d+/", line)
            if m and not found:
                found.append(m.group(0))
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        ready.wait(60)
        assert found, f"agentarch ui did not start (exit code {proc.poll()})"
        yield found[0].rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
