"""The in-memory index of cached call keys (``store/call_index.py``): a miss skips SQLite, and a
call committed by anyone else (another process, another ``Store`` here, after a ``VACUUM``) is
still found. The clock the index checks the file by is replaced, so no test depends on timing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from agentarch.store import call_index
from agentarch.store.db import Store

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(call_index.time, "monotonic", c)
    monkeypatch.setattr(call_index, "CHECK_SECONDS", 10.0)
    return c


def put(store: Store, key: str, text: str = "t") -> None:
    store.put_call(key, "b", "m", "{}", text, 1, 2, "stop")


def queries(store: Store) -> list[str]:
    seen: list[str] = []
    store.db.set_trace_callback(seen.append)
    return seen


def test_a_miss_asks_sqlite_only_when_the_file_is_due_for_a_check(tmp_path, clock):
    old = Store(tmp_path / "c.db")
    put(old, "k-old", "from before")
    old.close()
    store = Store(tmp_path / "c.db")
    assert tuple(store.get_call("k-old")) == ("from before", 1, 2, "stop")  # loads the index
    sql = queries(store)
    assert store.get_call("k-new") is None
    assert store.get_call("k-other") is None
    assert sql == []
    clock.now += 10.0
    assert store.get_call("k-new") is None
    assert sql == ["PRAGMA data_version"]  # the file did not change: nothing else is read
    store.close()


def test_a_call_another_process_commits_is_found_by_the_next_check(tmp_path, clock):
    store = Store(tmp_path / "c.db")
    assert store.get_call("k1") is None
    writer = textwrap.dedent("""
        import sys
        from agentarch.store.db import Store
        s = Store(sys.argv[1])
        s.put_call("k1", "b", "m", "{}", "from elsewhere", 3, 4, "stop")
        s.close()
    """)
    subprocess.run([sys.executable, "-c", writer, str(tmp_path / "c.db")], check=True,
                   env={**os.environ, "PYTHONPATH": SRC})
    assert store.get_call("k1") is None  # not due yet: it is sent again, as before its commit
    clock.now += 10.0
    assert tuple(store.get_call("k1")) == ("from elsewhere", 3, 4, "stop")
    store.close()


def test_another_store_of_this_process_sees_a_commit_at_once(tmp_path, clock):
    reader, writer = Store(tmp_path / "c.db"), Store(tmp_path / "c.db")
    assert reader.get_call("k1") is None
    put(writer, "k1", "mine")  # no event loop runs: committed at once
    assert tuple(reader.get_call("k1")) == ("mine", 1, 2, "stop")
    reader.close()
    writer.close()


def test_keys_renumbered_by_vacuum_are_read_again(tmp_path, clock):
    store = Store(tmp_path / "c.db")
    for i in range(5):
        put(store, f"k{i}")
    store.flush_calls()
    assert store.get_call("absent") is None  # the index holds k0..k4, rowids up to 5
    other = sqlite3.connect(tmp_path / "c.db")
    other.execute("DELETE FROM calls WHERE key IN ('k3', 'k4')")
    other.commit()
    other.execute("VACUUM")
    other.execute("INSERT INTO calls VALUES ('k-new', 'b', 'm', '{}', 'after vacuum', 1, 1, 'stop', 0)")
    other.commit()
    other.close()
    clock.now += 10.0
    assert tuple(store.get_call("k-new")) == ("after vacuum", 1, 1, "stop")
    assert store.get_call("k4") is None  # still indexed, so SQLite is asked, and it has gone
    store.close()


def test_a_store_too_large_to_index_asks_sqlite_every_time(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(call_index, "MAX_KEYS", 3)
    store = Store(tmp_path / "c.db")
    for i in range(5):
        put(store, f"k{i}", f"text {i}")
    store.flush_calls()
    reopened = Store(tmp_path / "c.db")
    assert tuple(reopened.get_call("k4")) == ("text 4", 1, 2, "stop")
    assert not reopened.index.usable and not reopened.index.keys
    sql = queries(reopened)
    assert reopened.get_call("nope") is None
    assert any("FROM calls WHERE key='nope'" in q for q in sql)
    store.close()
    reopened.close()
