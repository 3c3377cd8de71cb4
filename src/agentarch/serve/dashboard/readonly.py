"""Opening the store read-only, so the dashboard can never change what a search recorded.

The store layer's ``connect_readonly`` refuses every write (SQLite ``mode=ro``) and names a missing,
unreadable or foreign file in one line; each query sees the newest committed state, so a search
writing to the same file in WAL mode shows up on the next request.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agentarch.errors import ConfigError
from agentarch.store.access import connect_readonly

TABLES = ("runs", "designs", "results", "run_designs", "events")


def check_store(path: str | Path) -> Path:
    """The absolute path of an existing agentarch store, or a ``ConfigError`` saying what is wrong."""
    p = Path(path).expanduser()
    con = connect_readonly(p)
    try:
        found = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    missing = [t for t in TABLES if t not in found]
    if missing:
        raise ConfigError(f"{path}: not an agentarch store (it has no {', '.join(missing)} table)")
    return p.resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection with rows addressable by column name."""
    con = connect_readonly(path)
    con.row_factory = sqlite3.Row
    return con
