"""Opening the store read-only, so the dashboard can never change what a search recorded.

SQLite's ``mode=ro`` refuses every write on the connection; each query sees the newest committed
state, so a search writing to the same file in WAL mode shows up on the next request.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agentarch.errors import ConfigError

TABLES = ("runs", "designs", "results", "run_designs", "events")


def check_store(path: str | Path) -> Path:
    """The absolute path of an existing agentarch store, or a ``ConfigError`` saying what is wrong."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"{path}: no such store; give the --db file a search or eval wrote")
    con = connect(p)
    try:
        found = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path}: not an agentarch database ({exc})") from None
    finally:
        con.close()
    missing = [t for t in TABLES if t not in found]
    if missing:
        raise ConfigError(f"{path}: not an agentarch database (no table {', '.join(missing)})")
    return p.resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection with rows addressable by column name."""
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con
