"""Run identity and run records: the id of an evaluation run (the same for the command line and the
Python API, so either finds the other's run), and ``aa.load_run`` for any run in a store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from agentarch.errors import ConfigError


def run_fingerprint(task, examples, specs=None) -> str:
    """What the examples, the metric and the blocks' code are (the blocks of ``specs``, or every
    block a search may use), so a run over an edited file or edited blocks is a new run."""
    from agentarch.blocks.fingerprint import block_fingerprint, code_fingerprint
    from agentarch.blocks.registry import all_blocks
    from agentarch.store.identity import digest

    code = ([code_fingerprint(s) for s in specs] if specs is not None
            else [block_fingerprint(cls) for cls in all_blocks().values()])
    return digest(task.metric.fingerprint(), [ex.fingerprint() for ex in examples], code)[:16]


def run_id_of(config: dict) -> str:
    """The first 16 hex digits of the sha256 of the run's config."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def eval_config(task, split: str, limit: Optional[int], seed: int, model_id: str, specs: Iterable,
                examples: list, repeat: int = 1) -> dict:
    """The config an evaluation run is recorded under (its id is ``run_id_of`` it)."""
    specs = list(specs)
    config = {"task": task.name, "split": split, "limit": limit, "seed": seed, "model": model_id,
              "designs": sorted(s.id for s in specs), "identity": run_fingerprint(task, examples, specs)}
    if repeat > 1:
        config["repeat"] = repeat
    return config


@dataclass
class RunRecord:
    """A run as the store keeps it: ``kind`` ("eval", "search", ...), ``status``, ``config``,
    ``summary`` (a search's best design, stop reason and promotion report), one row per design
    and split (``designs``) and the recorded events."""

    id: str
    kind: str
    status: str
    created: float
    config: dict
    summary: Any
    designs: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    @property
    def best(self):
        """The best design by validation (a ``DesignSpec``) of a search run, else None."""
        from agentarch.blocks.spec import DesignSpec

        best = (self.summary or {}).get("best") if isinstance(self.summary, dict) else None
        row = next((d for d in self.designs if best and d["design"] == best.get("design")), None)
        return DesignSpec.model_validate(row["spec"]) if row else None

    @property
    def report(self) -> Optional[dict]:
        """A search run's promotion to the test split (``None`` for other runs)."""
        return (self.summary or {}).get("report") if isinstance(self.summary, dict) else None

    def to_records(self) -> list[dict]:
        """One flat row per design and split: label, role, accuracy with its interval, cost."""
        out = []
        for d in self.designs:
            s = d.get("summary") or {}
            acc = s.get("accuracy") or {}
            out.append({"design": d["design"], "label": d["label"], "split": d["split"], "role": d["role"],
                        "n": s.get("n"), "accuracy": acc.get("mean"), "low": acc.get("low"),
                        "high": acc.get("high"), "tokens": s.get("tokens"), "calls": s.get("calls"),
                        "complete": s.get("complete")})
        return out

    def to_pandas(self):
        """``to_records()`` as a pandas DataFrame (needs pandas)."""
        from agentarch.api.frames import data_frame

        return data_frame(self.to_records())


def load_run(run_id: str, db: Any = None) -> RunRecord:
    """The run ``run_id`` (a prefix is enough) from ``db`` (default: the configured store)."""
    from agentarch.api.settings import db_path
    from agentarch.store.db import Store

    path = db_path(db)
    if not Path(path).exists():
        raise ConfigError(f"{path}: no such store; give db= the file a run wrote (default agentarch.db)")
    store = Store(path)
    try:
        row = store.run(str(run_id))
        if row is None:
            raise ConfigError(f"no run '{run_id}' in {path}; 'agentarch runs --db {path}' lists them")
        designs = [{"design": r["design_id"], "label": r["label"], "split": r["split"], "role": r["role"],
                    "spec": json.loads(r["spec"]), "summary": json.loads(r["summary"]) if r["summary"] else None}
                   for r in store.run_designs(row["id"])]
        events = [{"kind": e["kind"], "ts": e["ts"], "data": json.loads(e["data"])} for e in store.events(row["id"])]
        return RunRecord(row["id"], row["kind"], row["status"], row["created"], json.loads(row["config"]),
                         json.loads(row["summary"]) if row["summary"] else None, designs, events)
    finally:
        store.close()
