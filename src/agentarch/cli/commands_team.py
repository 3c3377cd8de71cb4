"""``agentarch team-optimize``: DyLAN's agent team optimisation (Liu et al., 2024). Runs the DyLAN
block with every candidate role on training examples, averages each role's Agent Importance
Score, and keeps the top k roles as the team for the task."""

from __future__ import annotations

import asyncio
import json
from typing import Optional

import typer
from rich.table import Table

from agentarch.cli.common import BaseUrlOpt, DbOpt, KeyEnvOpt, ModelOpt, ParallelOpt, console, err, model_stack


def register(app: typer.Typer) -> None:
    app.command("team-optimize")(team_optimize)


def team_optimize(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name or a .jsonl/.csv file."),
    roles: str = typer.Option("Mathematician,Programmer,Careful Checker,Teacher", help="Candidate roles, comma separated."),
    k: int = typer.Option(2, "--top-k", "-k", min=1, help="How many roles to keep."),
    rounds: int = typer.Option(2, min=1, help="DyLAN rounds while scoring the roles."),
    limit: int = typer.Option(6, "--limit", "-n", min=1, help="Training examples to score the roles on."),
    seed: int = typer.Option(0, min=0, help="Seed of the train/val/test split."),
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, db: str = DbOpt,
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write the optimised team's design JSON here."),
) -> None:
    """Pick the top-k DyLAN agents for a task from their importance scores on the training split.

    Example:  agentarch team-optimize --task word_problems --roles "Mathematician,Programmer,Teacher" -k 2 -n 6
    """
    from agentarch.blocks.dylan import select_team, team_importance
    from agentarch.blocks.spec import DesignSpec
    from agentarch.errors import ConfigError
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.store.db import Store
    from agentarch.tasks.registry import load_task
    from agentarch.tasks.task import limit as take

    role_list = tuple(r.strip() for r in roles.split(",") if r.strip())
    if not 0 < k <= len(role_list):
        raise ConfigError(f"--top-k must be between 1 and the number of roles ({len(role_list)}), not {k}")
    the_task = load_task(task)
    examples = take(the_task.split(seed=seed).train, limit)
    store = Store(db)
    stack = model_stack(model, base_url, api_key_env, store, None, parallel)
    spec = DesignSpec(block="dylan", params={"roles": list(role_list), "rounds": rounds, "top_k": len(role_list)})
    evaluator = Evaluator(the_task, stack, store)

    from agentarch.cli.commands_eval import run_fingerprint
    from agentarch.cli.lifecycle import config_run_id, run_lifecycle

    config = {"task": the_task.name, "design": spec.id, "model": stack.id, "top_k": k,
              "identity": run_fingerprint(the_task, examples, [spec])}
    run_id = config_run_id(config)

    async def go():
        try:
            return await evaluator.evaluate(spec, examples, split="train", run_id=run_id)
        finally:
            await stack.aclose()

    with run_lifecycle(store, run_id):
        store.start_run(run_id, "team", config)
        err.print(f"run {run_id}: scoring {len(role_list)} roles with DyLAN on {len(examples)} training examples "
                  f"of '{the_task.name}'")
        summary = asyncio.run(go())
        store.finish_run(run_id, "done" if summary.complete else "stopped",
                         {k: v for k, v in summary.to_dict().items() if k != "scores"})
    rows = evaluator.stored_results(spec, examples)
    per_example = [json.loads(r["notes"]).get("dylan.importance", {}) for r in rows.values()]
    per_example = [p for p in per_example if p]
    if not per_example:
        raise ConfigError("DyLAN left no importance scores (did every example fail?)")
    mean = team_importance(per_example)
    team = select_team(per_example, k)
    table = Table("role", "mean importance", "kept", title=f"Agent Importance Scores ({len(per_example)} examples, "
                                                               f"train accuracy {summary.accuracy.mean:.2f})")
    for role, score in sorted(mean.items(), key=lambda kv: -kv[1]):
        table.add_row(role, f"{score:.3f}", "yes" if role in team else "")
    console.print(table)
    best = DesignSpec(block="dylan", params={"roles": list(team), "top_k": min(k, 2)})
    console.print(f"optimised team design: {best.to_json()}")
    if out:
        with open(out, "w") as f:
            f.write(best.to_json() + "\n")
