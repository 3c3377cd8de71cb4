"""Table definitions. A result is keyed by a hash of everything that produced it (see
``store/identity.py``), so any run that asks for an evaluation already made reuses it instead of
calling the model again, and a changed example, metric, model or block never reuses a stale one.
The task, model, design, example and repeat columns are kept for queries."""

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    finish_reason TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS designs (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    label TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    design_id TEXT NOT NULL,
    example_id TEXT NOT NULL,
    repeat INTEGER NOT NULL DEFAULT 0,
    answer TEXT NOT NULL,
    extracted TEXT NOT NULL,
    score REAL NOT NULL,
    calls INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    error TEXT,
    trace TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_design ON results(task, model, design_id, example_id);
CREATE TABLE IF NOT EXISTS run_designs (
    run_id TEXT NOT NULL,
    design_id TEXT NOT NULL,
    split TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    summary TEXT,
    PRIMARY KEY (run_id, design_id, split)
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, ts);
"""


def drop_untrusted_results(db: sqlite3.Connection) -> int:
    """Drop a results table written before results had a full identity (keyed only by task name,
    model, design and example id, so it cannot tell an edited file or block from the original).
    Returns how many results were dropped; the model-call cache is kept, so recomputing them sends
    no model call that was already made."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(results)")]
    if not columns or "key" in columns:
        return 0
    dropped = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    db.execute("DROP TABLE results")
    return dropped
