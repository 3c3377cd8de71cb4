"""Opening a store file, with one-line errors that name the file and say what is wrong.

A command that writes (eval, search, run, ...) needs the file and its folder writable: SQLite in
WAL mode keeps ``<store>-wal`` and ``<store>-shm`` next to the file. A command that only reads
(``runs``, ``export``) opens the file read-only, never creates it, and works on a store it may not
write (a read-only file, or a folder it cannot create files in).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from agentarch.errors import ConfigError

__all__ = ["check_writable", "connect_readonly", "explain_open_error"]


def check_writable(path: Path) -> None:
    """Raise ``ConfigError`` unless a command can write the store at ``path`` (or create it)."""
    folder = path.parent
    if not folder.exists():
        raise ConfigError(f"{path}: folder '{folder}' does not exist")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a store file; give --db a file name")
    if path.exists():
        if not os.access(path, os.R_OK):
            raise ConfigError(f"{path}: cannot read the store (permission denied)")
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{path}: the store is read-only (no write permission); this command "
                              f"saves results there: make it writable or give another --db")
    side = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    if not os.access(folder, os.W_OK | os.X_OK):
        if not path.exists():
            raise ConfigError(f"{path}: cannot create the store: folder '{folder}' is not writable")
        if not all(p.exists() and os.access(p, os.W_OK) for p in side):
            raise ConfigError(f"{path}: folder '{folder}' is not writable, and SQLite keeps its journal "
                              f"({path.name}-wal) next to the store: make the folder writable or copy "
                              f"the store elsewhere")
    for p in side:
        if p.exists() and not os.access(p, os.W_OK):
            raise ConfigError(f"{path}: journal file {p} is read-only (left by another user?): make it "
                              f"writable or remove it while no agentarch command is running")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to an existing store; ``ConfigError`` if it is missing or unreadable."""
    if not path.exists():
        raise ConfigError(f"{path}: no such store (nothing has been run with --db {path}); "
                          f"check the name, or run 'agentarch eval' or 'agentarch search' first")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a store file")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{path}: cannot read the store (permission denied)")
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        db = _probe(sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False))
    except sqlite3.OperationalError:
        # A WAL store read where we may not create its -shm file (read-only folder). With no -wal
        # file there is no writer, so the file itself is the whole store: read it as immutable.
        if Path(f"{path}-wal").exists():
            raise ConfigError(f"{path}: cannot read the store: it is being written (a {path.name}-wal "
                              f"file exists) and its folder is not writable by you") from None
        try:
            db = _probe(sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                        check_same_thread=False))
        except sqlite3.DatabaseError as exc:
            raise explain_open_error(path, exc) from None
    except sqlite3.DatabaseError as exc:
        raise explain_open_error(path, exc) from None
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'").fetchone() is None:
        db.close()
        raise ConfigError(f"{path}: not an agentarch store (it has no runs table)")
    return db


def _probe(db: sqlite3.Connection) -> sqlite3.Connection:
    """Read the schema once, so an unreadable file fails here rather than at the first query."""
    try:
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def explain_open_error(path: Path, exc: sqlite3.DatabaseError) -> ConfigError:
    """The one-line error for a store SQLite could not open or set up."""
    msg = str(exc)
    if "readonly" in msg or "read-only" in msg:
        return ConfigError(f"{path}: the store cannot be written ({msg}): make the file and its folder "
                           f"writable or give another --db")
    if "not a database" in msg or "encrypted" in msg or "malformed" in msg:
        return ConfigError(f"{path}: not an agentarch database ({msg})")
    return ConfigError(f"{path}: cannot open the store ({msg})")
