"""Table definitions. Results are keyed by (task, model, design, example) so any run that asks for
an evaluation already made reuses it instead of calling the model again."""

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
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    design_id TEXT NOT NULL,
    example_id TEXT NOT NULL,
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
    created REAL NOT NULL,
    PRIMARY KEY (task, model, design_id, example_id)
);
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
