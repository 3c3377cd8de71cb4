"""Model-call cache writes taken off the hot path: buffered in memory, committed in one transaction.

Committing each cached call on its own was the largest client-side cost of a model call (a SQLite
transaction per call, on the event loop). Instead a returned call is kept here, visible at once to
lookups, and committed with the others in one transaction.

The guarantee (what a kill -9 can lose):

- every call returned before an example result is stored is committed in the same transaction as
  that result (``Store.put_result``), so a stored result never depends on a call the store lacks,
  and a resumed run sends no call for a finished example;
- every other store write (runs, events, designs, links, summaries) first commits the calls
  returned before it: what the store records never lacks a call that came before it;
- while an event loop runs, a returned call is committed at most ``FLUSH_SECONDS`` later, and at
  the latest when that loop shuts down (the end of ``asyncio.run``);
- without a running loop (plain synchronous use) a call is committed at once;
- ``Store.close()``, the model stack's ``aclose()`` and interpreter exit commit what is left.

So a kill -9 loses at most the calls returned in the last ``FLUSH_SECONDS`` by examples that had
not finished; a resumed run sends those again, as it does the calls in flight at the kill.
(Committed means it survives the process's death; in WAL with ``synchronous=NORMAL`` an OS crash or
power loss can still drop the last commits, as it always could.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref

from agentarch.errors import StoreFull

FLUSH_SECONDS = 0.05

INSERT = "INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?)"


class PendingCalls:
    """Rows of the ``calls`` table not committed yet, by key."""

    def __init__(self, db: sqlite3.Connection, flush_seconds: float | None = None, on_commit=None):
        """``on_commit()`` is told when pending rows were committed (``CallIndex.committed``)."""
        self.db = db
        self.on_commit = on_commit
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self.rows: dict[str, tuple] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._guards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop -> its guard
        self._finalizer = weakref.finalize(self, _try_write_and_commit, db, self.rows)

    def get(self, key: str) -> tuple | None:
        """(text, prompt_tokens, completion_tokens, finish_reason) of a pending call, if any."""
        row = self.rows.get(key)
        return None if row is None else row[4:8]

    def add(self, row: tuple) -> None:
        """Buffer one ``calls`` row; commit it at once when no event loop runs."""
        self.rows[row[0]] = row
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._timer is not None and self._timer_loop is loop:
            return
        self._timer, self._timer_loop = loop.call_later(self.flush_seconds, self._on_timer), loop
        if loop not in self._guards:
            # Held here: a guard nothing refers to would be finalized (and flush) at once, not at shutdown.
            guard = self._guards[loop] = self._flush_at_loop_shutdown()
            loop.create_task(_first_step(guard))

    async def _flush_at_loop_shutdown(self):
        """An async generator the loop finalizes when it shuts down (``loop.shutdown_asyncgens``,
        which ``asyncio.run`` calls): the timer of a loop that ends never fires, this does."""
        try:
            yield
        finally:
            self._on_timer()

    def _on_timer(self) -> None:
        self._timer = None
        _try_write_and_commit(self.db, self.rows)
        if not self.rows:
            self.committed()

    def write(self) -> None:
        """Insert the pending rows inside the caller's open transaction (they count as committed
        once the caller commits: see ``Store.put_result``)."""
        if self.rows:
            self.db.executemany(INSERT, list(self.rows.values()))

    def committed(self) -> None:
        """The caller's transaction that ``write`` joined has committed."""
        if self.on_commit is not None:
            self.on_commit()
        self.rows.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Commit every pending row in one transaction."""
        if not self.rows:
            return
        _write_and_commit(self.db, self.rows)
        self.committed()

    def close(self) -> None:
        self.flush()
        self._finalizer.detach()


async def _first_step(agen) -> None:
    await agen.__anext__()  # from its first step on, the loop knows the generator


def _try_write_and_commit(db: sqlite3.Connection, rows: dict[str, tuple]) -> None:
    """From a timer or at exit, where nobody could handle an error: on failure the rows stay
    pending, and the next write that needs them (a result, ``close``) raises it."""
    try:
        _write_and_commit(db, rows)
    except (sqlite3.Error, StoreFull):
        pass


def _write_and_commit(db: sqlite3.Connection, rows: dict[str, tuple]) -> None:
    if not rows:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(INSERT, list(rows.values()))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    rows.clear()
