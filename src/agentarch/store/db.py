"""``Store``: a thin, synchronous wrapper over one sqlite3 connection in WAL mode.

Used from the event loop's thread only. Every write is committed at once, except the model-call
cache's, which are batched (``store/pending_calls.py`` states what a kill -9 can lose: no call a
stored result depends on).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

from agentarch.errors import ConfigError, StoreFull
from agentarch.store.access import check_writable, connect_readonly, explain_open_error
from agentarch.store.call_index import CallIndex
from agentarch.store.pending_calls import PendingCalls
from agentarch.store.schema import SCHEMA, drop_untrusted_results


def _is_full(exc: sqlite3.Error) -> bool:
    return "database or disk is full" in str(exc) or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"


class _Connection(sqlite3.Connection):
    """A connection that turns SQLite's "database or disk is full" into ``StoreFull`` naming the
    file, wherever the write happens (cache, results, runs)."""

    store_path = "agentarch.db"

    def _guarded(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if _is_full(exc):
                raise StoreFull(f"{self.store_path}: database or disk is full; what is stored is intact. "
                                "Free some space and rerun the same command to resume") from None
            raise

    def execute(self, *args, **kwargs):
        return self._guarded(super().execute, *args, **kwargs)

    def executemany(self, *args, **kwargs):
        return self._guarded(super().executemany, *args, **kwargs)

    def executescript(self, *args, **kwargs):
        return self._guarded(super().executescript, *args, **kwargs)


def _calls_first(write):
    """A store write that commits the model calls cached before it first (``pending_calls.py``):
    whatever the store records, the calls returned before it are stored too."""
    @functools.wraps(write)
    def wrapper(self, *args, **kwargs):
        self.flush_calls()
        return write(self, *args, **kwargs)
    return wrapper


class Store:
    def __init__(self, path: str | Path = "agentarch.db", readonly: bool = False):
        """Open (or create) the store at ``path``. ``readonly`` opens an existing store for commands
        that only read it: never created, never written (``store/access.py``)."""
        self.path = Path(path)
        self.dropped_results = 0
        self.pending: PendingCalls | None = None
        self.index: CallIndex | None = None  # the keys held, so a miss skips SQLite (writable stores)
        if readonly:
            self.db = connect_readonly(self.path)
            self.db.row_factory = sqlite3.Row
            self._call_lookup = self.db.cursor()
            return
        check_writable(self.path)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                                      factory=_Connection)
            self.db.store_path = str(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=10000")
            self.dropped_results = drop_untrusted_results(self.db)  # from an older agentarch
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise explain_open_error(self.path, exc) from None
        self.db.row_factory = sqlite3.Row
        self.index = CallIndex(self.db, str(self.path.resolve()))
        self.pending = PendingCalls(self.db, on_commit=self.index.committed)
        self._call_lookup = self.db.cursor()  # reused: the cache's lookup is on every call's path

    def close(self) -> None:
        if self.pending is not None:
            self.pending.close()
        self.db.close()

    # -- model-call cache -------------------------------------------------------------------
    def get_call(self, key: str) -> sqlite3.Row | tuple | None:
        """(text, prompt_tokens, completion_tokens, finish_reason) of a cached call, or None."""
        if self.pending is not None:
            row = self.pending.get(key)
            if row is not None:
                return row
            if not self.index.might_have(key):
                return None
        return self._call_lookup.execute(
            "SELECT text, prompt_tokens, completion_tokens, finish_reason FROM calls WHERE key=?", (key,)
        ).fetchone()

    def put_call(self, key: str, backend: str, model: str, request: str, text: str,
                 prompt_tokens: int, completion_tokens: int, finish_reason: str) -> None:
        """Cache one call: visible to ``get_call`` at once, committed in a batch (``pending_calls``)."""
        self.index.add(key)
        self.pending.add((key, backend, model, request, text, prompt_tokens, completion_tokens, finish_reason,
                          time.time()))

    def flush_calls(self) -> None:
        """Commit the cached calls not committed yet."""
        if self.pending is not None:
            self.pending.flush()

    def count_calls(self) -> int:
        self.flush_calls()
        return self.db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    # -- runs -------------------------------------------------------------------------------
    @_calls_first
    def start_run(self, run_id: str, kind: str, config: dict) -> bool:
        """Create the run, or mark an existing one as resumed. Returns True when it already existed."""
        now = time.time()
        row = self.db.execute("SELECT id FROM runs WHERE id=?", (run_id,)).fetchone()
        if row:
            self.db.execute("UPDATE runs SET status='running', updated=? WHERE id=?", (now, run_id))
            self.event(run_id, "resumed", {})
            return True
        self.db.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,NULL)",
                        (run_id, kind, now, now, "running", json.dumps(config, sort_keys=True)))
        self.event(run_id, "started", {})
        return False

    @_calls_first
    def finish_run(self, run_id: str, status: str = "done", summary: Any = None) -> None:
        self.db.execute("UPDATE runs SET status=?, updated=?, summary=? WHERE id=?",
                        (status, time.time(), json.dumps(summary) if summary is not None else None, run_id))
        self.event(run_id, status, {})

    @_calls_first
    def end_run(self, run_id: str, status: str, reason: str) -> None:
        """Mark a run that did not finish (``failed``, ``interrupted``) and record why (an event);
        its summary so far is kept, and rerunning the same command resumes it. On a full disk the
        status alone is written when the reason does not fit."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            cur = self.db.execute("UPDATE runs SET status=?, updated=? WHERE id=?", (status, time.time(), run_id))
            if cur.rowcount:
                self.event(run_id, status, {"reason": reason})
            self.db.execute("COMMIT")
        except StoreFull:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.execute("UPDATE runs SET status=?, updated=? WHERE id=?", (status, time.time(), run_id))

    @_calls_first
    def set_summary(self, run_id: str, summary: Any) -> None:
        """Replace a running run's summary (e.g. a search's best-so-far) without changing its status."""
        self.db.execute("UPDATE runs SET updated=?, summary=? WHERE id=?",
                        (time.time(), json.dumps(summary), run_id))

    def runs(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM runs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()

    def run(self, run_id: str) -> sqlite3.Row | None:
        rows = self.db.execute("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY created DESC",
                               (like_prefix(run_id),)).fetchall()
        if len(rows) > 1:
            raise ConfigError(f"run id '{run_id}' is ambiguous: {', '.join(r['id'] for r in rows[:5])}")
        return rows[0] if rows else None

    @_calls_first
    def event(self, run_id: str, kind: str, data: dict) -> None:
        self.db.execute("INSERT INTO events VALUES (?,?,?,?)", (run_id, time.time(), kind, json.dumps(data)))

    def events(self, run_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM events WHERE run_id=? ORDER BY ts", (run_id,)).fetchall()

    # -- designs and results ----------------------------------------------------------------
    @_calls_first
    def put_design(self, design_id: str, spec_json: str, label: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO designs VALUES (?,?,?,?)", (design_id, spec_json, label, time.time()))

    def design(self, design_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM designs WHERE id LIKE ? ESCAPE '\\'",
                               (like_prefix(design_id),)).fetchone()

    @_calls_first
    def link(self, run_id: str, design_id: str, split: str, role: str = "", summary: Any = None) -> None:
        self.db.execute(
            "INSERT INTO run_designs VALUES (?,?,?,?,?) ON CONFLICT(run_id, design_id, split) "
            "DO UPDATE SET role=excluded.role, summary=COALESCE(excluded.summary, run_designs.summary)",
            (run_id, design_id, split, role, json.dumps(summary) if summary is not None else None))

    def run_designs(self, run_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT rd.*, d.label, d.spec FROM run_designs rd JOIN designs d ON d.id = rd.design_id "
            "WHERE rd.run_id=? ORDER BY rd.rowid", (run_id,)).fetchall()

    def put_result(self, key: str, task: str, model: str, design_id: str, example_id: str, r: dict,
                   repeat: int = 0) -> None:
        """Store one result under its identity ``key`` (``store.identity.result_key``), in one
        transaction with every model call cached so far: a stored result never lacks its calls."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.pending.write()
            self._insert_result(key, task, model, design_id, example_id, r, repeat)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.pending.committed()

    def _insert_result(self, key: str, task: str, model: str, design_id: str, example_id: str, r: dict,
                       repeat: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO results (key, task, model, design_id, example_id, repeat, answer, extracted, "
            "score, calls, prompt_tokens, completion_tokens, seconds, error, trace, notes, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, task, model, design_id, example_id, int(repeat), r["answer"], r["extracted"], r["score"],
             r["calls"], r["prompt_tokens"], r["completion_tokens"], r["seconds"], r.get("error"),
             json.dumps(r.get("trace", [])), json.dumps(r.get("notes") or {}), time.time()))

    def results_by_key(self, keys: Iterable[str]) -> dict[str, sqlite3.Row]:
        """The stored results with these identity keys, by key (missing keys are left out)."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, sqlite3.Row] = {}
        for i in range(0, len(keys), 500):  # stay under SQLite's limit on bound parameters
            chunk = keys[i:i + 500]
            rows = self.db.execute(f"SELECT * FROM results WHERE key IN ({','.join('?' * len(chunk))})",
                                   chunk).fetchall()
            out.update((r["key"], r) for r in rows)
        return out

    def results(self, task: str, model: str, design_id: str, example_ids: Iterable[str] | None = None) -> dict[str, sqlite3.Row]:
        """The newest result per example of a design, for reports and queries; repeated measurements
        (noise) are left out. Results of an older version of the examples or blocks may be among
        them: to reuse a result, look it up by key."""
        rows = self.db.execute(
            "SELECT * FROM results WHERE task=? AND model=? AND design_id=? AND repeat=0 ORDER BY created",
            (task, model, design_id)).fetchall()
        wanted = set(example_ids) if example_ids is not None else None
        return {r["example_id"]: r for r in rows if wanted is None or r["example_id"] in wanted}

    def count_results(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching ids that start with ``prefix`` taken literally (``%`` and ``_`` in
    it are not wildcards); use with ``ESCAPE '\\'``."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
