"""Which model-call keys the store holds, kept in memory, so a cache miss (the common case while a
search explores) costs a set look-up instead of a SQLite query. A query per call, even one that
finds nothing, was a third of the cache's client CPU (each read in WAL mode takes a lock).

The index may answer "maybe" for a key the store lacks (a hash collision, a row deleted by hand):
``Store.get_call`` then asks SQLite, so a "maybe" costs only the query it always cost. It must not
answer "no" for a key the store holds, so it stays current:

- loaded once, on the first look-up, from the table's key index;
- this process's own cached calls are added as they are cached (before they are committed);
- commits by other connections (another process sharing the file, another ``Store`` here) are
  picked up through ``PRAGMA data_version``, checked on a "no" at most every ``CHECK_SECONDS``,
  and at once after another ``Store`` of this process on the same file committed calls: the new
  rows (rowid above the highest seen) are read, or every key again when the highest rowid went
  down (``VACUUM``, deleted rows). So a call another process committed is a hit at most
  ``CHECK_SECONDS`` later (that process commits its calls up to ``FLUSH_SECONDS`` after they
  return, see ``pending_calls.py``); until then it is sent again, as it was before its commit.

A store with more than ``MAX_KEYS`` calls is not indexed (about 70 bytes of memory a key): every
look-up asks SQLite, as before. Keys are kept as ``hash(key)``: equal keys, equal hashes.
"""

from __future__ import annotations

import sqlite3
import time
import weakref

CHECK_SECONDS = 0.02  # a check costs a WAL read transaction (tens of µs on a busy machine)
MAX_KEYS = 1_000_000

_PEERS: dict[str, weakref.WeakSet] = {}  # a store file's path -> the indexes of it in this process


class CallIndex:
    def __init__(self, db: sqlite3.Connection, path: str):
        self.db = db
        self.keys: set[int] = set()
        self.loaded = False
        self.usable = True  # False: too many keys to hold; ``might_have`` always says yes
        self._version = None
        self._top_rowid = 0
        self._next_check = 0.0
        self._peers = _PEERS.setdefault(path, weakref.WeakSet())
        self._peers.add(self)

    def might_have(self, key: str) -> bool:
        """False only when no committed or cached row has ``key``."""
        if hash(key) in self.keys or not self.usable:
            return True
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + CHECK_SECONDS
        self._catch_up()
        return hash(key) in self.keys or not self.usable

    def add(self, key: str) -> None:
        """A call this process cached (committed or not)."""
        if self.usable:
            self.keys.add(hash(key))

    def committed(self) -> None:
        """This process committed calls through this index's store: the other stores of the same
        file here check the file on their next miss instead of waiting for their next check."""
        for peer in self._peers:
            if peer is not self:
                peer._next_check = 0.0

    def _catch_up(self) -> None:
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self.loaded and version == self._version:
            return
        self._version = version
        if not self.loaded:
            self._read("SELECT rowid, key FROM calls", ())
            self.loaded = True
            return
        top = self.db.execute("SELECT max(rowid) FROM calls").fetchone()[0] or 0
        if top < self._top_rowid:  # rows were renumbered or removed: read every key again
            self._top_rowid = 0
        self._read("SELECT rowid, key FROM calls WHERE rowid > ?", (self._top_rowid,))

    def _read(self, sql: str, args: tuple) -> None:
        keys, top = self.keys, self._top_rowid
        for rowid, key in self.db.execute(sql, args):
            keys.add(hash(key))
            if rowid > top:
                top = rowid
            if len(keys) > MAX_KEYS:
                self.usable = False
                keys.clear()
                return
        self._top_rowid = top
