"""Helpers for tests of the real command line: run ``agentarch`` in a subprocess, read its one-line
error, and snapshot a store's content to show an error left it intact."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]
SRC = str(Path(__file__).resolve().parents[1] / "src")


def cli(*args, env=None, cwd=None, input=None, command=None, **kw) -> subprocess.CompletedProcess:
    """``agentarch *args`` in a subprocess (``command`` replaces the interpreter part)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, full_env.get("PYTHONPATH")) if p)
    return subprocess.run([*(command or AGENTARCH), *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=300, input=input, **kw)


def one_line_error(proc) -> str:
    """The single ``error:`` line of a failed command; fails the test on a traceback, a zero exit
    code or more than two lines of error output."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert len(lines) <= 2, proc.stderr
    return errors[0]


def snapshot(db: str | Path) -> dict:
    """Every row of every table of a store, read without writing (to compare before and after)."""
    con = sqlite3.connect(f"file:{Path(db).absolute()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: sorted(json.dumps(list(r), default=str) for r in con.execute(f"SELECT * FROM {t}"))
                for t in tables}
    finally:
        con.close()


def settle(db: str | Path) -> None:
    """Fold a store's WAL journal into the file, so no ``-wal``/``-shm`` file is left beside it."""
    con = sqlite3.connect(str(db))
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def write_rules(path: Path, rules: list, **extra) -> str:
    """A rules file for the test-only scripted backend (``--model scripted:<file>``)."""
    path.write_text(json.dumps({"rules": rules, **extra}))
    return f"scripted:{path}"
