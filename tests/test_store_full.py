"""A store that cannot grow (SQLite's own page limit, ``PRAGMA max_page_count``, which fails a write
with "database or disk is full" as a full disk does): the write raises ``StoreFull`` naming the file,
what was stored stays intact, and the run lifecycle still marks the run failed. The same through the
real CLI on a full filesystem is in test_cli_failures.py (where mounting a tmpfs is allowed)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from agentarch.cli.lifecycle import run_lifecycle
from agentarch.errors import StoreFull
from agentarch.store.db import Store


def fill(store: Store) -> None:
    """Write results until the store refuses one."""
    big = {"answer": "x" * 3000, "extracted": "1", "score": 1.0, "calls": 1, "prompt_tokens": 1,
           "completion_tokens": 1, "seconds": 0.1}
    for i in range(10_000):
        store.put_result(f"key{i}", "t", "m", "d", f"ex{i}", big)
    raise AssertionError("the page limit never stopped a write")


def test_a_full_store_names_its_file_and_keeps_what_it_holds(tmp_path):
    path = tmp_path / "limited.db"
    store = Store(path)
    store.start_run("r1", "eval", {})
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages + 20}")
    with pytest.raises(StoreFull) as info:
        with run_lifecycle(store, "r1"):
            fill(store)
    assert str(path) in str(info.value) and "database or disk is full" in str(info.value)
    assert "rerun the same command" in str(info.value)
    assert store.run("r1")["status"] == "failed"
    store.close()

    con = sqlite3.connect(str(path))  # a fresh connection (no page limit): the file is sound
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM results").fetchone()[0] > 0
    con.close()


def test_other_errors_mark_the_run_failed_with_the_reason_and_ctrl_c_interrupted(tmp_path, capsys):
    store = Store(tmp_path / "s.db")
    store.start_run("a", "eval", {})
    store.start_run("b", "eval", {})
    with pytest.raises(ValueError):
        with run_lifecycle(store, "a"):
            raise ValueError("bad thing")
    with pytest.raises(KeyboardInterrupt):
        with run_lifecycle(store, "b"):
            raise KeyboardInterrupt
    assert store.run("a")["status"] == "failed" and store.run("b")["status"] == "interrupted"
    reasons = {r["run_id"]: (r["kind"], json.loads(r["data"])) for r in store.db.execute(
        "SELECT run_id, kind, data FROM events WHERE kind IN ('failed', 'interrupted')")}
    assert reasons["a"] == ("failed", {"reason": "ValueError: bad thing"})
    assert reasons["b"][0] == "interrupted"
    assert "Resume with the same command:" in capsys.readouterr().err
