"""bench/stores.py saves a consistent copy of a store that a run is still writing (WAL mode, rows
not yet checkpointed) with the reports beside it, and restores them only where nothing is, never
over a newer store."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("bench_stores", ROOT / "bench" / "stores.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("select k, v from calls order by k").fetchall()
    finally:
        con.close()


def test_save_copies_an_open_wal_store_and_restore_fills_only_empty_places(tmp_path):
    stores = _module()
    out, saved = tmp_path / "out", tmp_path / "stores"
    db = out / "suite" / "operators" / "suite.db"
    db.parent.mkdir(parents=True)
    writer = sqlite3.connect(db)
    writer.execute("pragma journal_mode=wal")
    writer.execute("create table calls (k text primary key, v text)")
    writer.executemany("insert into calls values (?, ?)", [("a", "1"), ("b", "2")])
    writer.commit()  # still open: the rows sit in the -wal file, not yet in suite.db
    (db.parent / "report.json").write_text('{"run_id": "r1"}')

    written = stores.save(out, saved)
    writer.close()
    assert written == [saved / "suite" / "operators" / "suite.db.gz", saved / "suite" / "operators" / "report.json"]

    fresh = tmp_path / "fresh"
    assert stores.restore(fresh, saved) == [fresh / "suite" / "operators" / "suite.db",
                                            fresh / "suite" / "operators" / "report.json"]
    assert _rows(fresh / "suite" / "operators" / "suite.db") == [("a", "1"), ("b", "2")]
    assert (fresh / "suite" / "operators" / "report.json").read_text() == '{"run_id": "r1"}'

    # A store already in place is newer than the saved copy: restore leaves it alone.
    con = sqlite3.connect(fresh / "suite" / "operators" / "suite.db")
    con.execute("insert into calls values ('c', '3')")
    con.commit()
    con.close()
    assert stores.restore(fresh, saved) == []
    assert len(_rows(fresh / "suite" / "operators" / "suite.db")) == 3


def test_the_command_line_says_when_there_is_nothing_to_do(tmp_path, capsys):
    stores = _module()
    assert stores.main(["restore", "--out", str(tmp_path / "o"), "--stores", str(tmp_path / "s")]) == 0
    assert "nothing to restore" in capsys.readouterr().out


def test_imported_tasks_are_kept_so_a_later_machine_needs_no_index(tmp_path):
    stores = _module()
    out, saved = tmp_path / "out", tmp_path / "stores"
    data = out / "tasks" / "bigbench" / "operators.jsonl"
    data.parent.mkdir(parents=True)
    data.write_text('{"id": "operators-0001", "input": "2 op 3", "target": "5"}\n')
    data.with_name("operators.task.json").write_text('{"name": "bigbench:operators"}\n')
    assert sorted(stores.save(out, saved)) == [saved / "tasks" / "bigbench" / "operators.jsonl",
                                               saved / "tasks" / "bigbench" / "operators.task.json"]
    fresh = tmp_path / "fresh"
    stores.restore(fresh, saved)
    assert (fresh / "tasks" / "bigbench" / "operators.jsonl").read_text() == data.read_text()
