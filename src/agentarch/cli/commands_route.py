"""``agentarch fit-router`` and ``agentarch fit-policy``: learn which design to use for which question
from evaluation history (by kind of question, or by estimated difficulty), and write the result as a
design file that ``eval``, ``search`` and ``export`` accept."""

from __future__ import annotations

import asyncio
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from agentarch.cli.common import (BaseUrlOpt, ConcurrencyOpt, DbOpt, KeyEnvOpt, ModelOpt, ParallelOpt, console, err,
                                  model_stack)


def register(app: typer.Typer) -> None:
    app.command("fit-router")(fit_router_cmd)
    app.command("fit-policy")(fit_policy_cmd)


def _route_specs(routes: List[str]) -> dict:
    from agentarch.blocks.presets import BASELINES, parse_baselines
    from agentarch.blocks.spec import parse_design

    out = {}
    for r in routes:
        for part in ([r] if r.strip().startswith("{") else r.split(",")):
            part = part.strip()
            if not part:
                continue
            spec = parse_baselines(part)[part] if part in BASELINES else parse_design(part)
            out[part if not part.startswith("{") else spec.label()] = spec
    return out


def _learn(what: str, candidates: dict, task: str, seed: int, limit: int, model: str, base_url, api_key_env: str,
           parallel: int, concurrency: int, db: str, learn):
    """Evaluate on the first ``limit`` training examples through ``learn(evaluator, examples)``;
    returns (fit, number of examples, model stack)."""
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.store.db import Store
    from agentarch.tasks.registry import load_task
    from agentarch.tasks.task import limit as take

    the_task = load_task(task)
    examples = take(the_task.split(seed=seed).train, limit)
    store = Store(db)
    stack = model_stack(model, base_url, api_key_env, store, None, parallel)
    evaluator = Evaluator(the_task, stack, store, concurrency=concurrency)

    from agentarch.cli.commands_eval import run_fingerprint
    from agentarch.cli.lifecycle import config_run_id, run_lifecycle

    config = {"task": the_task.name, "learn": what, "candidates": sorted(c.id for c in candidates.values()),
              "model": stack.id, "seed": seed, "limit": limit,
              "identity": run_fingerprint(the_task, examples, candidates.values())}
    run_id = config_run_id(config)

    async def go():
        try:
            return await learn(evaluator, examples)
        finally:
            await stack.aclose()

    with run_lifecycle(store, run_id):
        store.start_run(run_id, "route", config)
        err.print(f"run {run_id}: learning {what} over {len(candidates)} candidates from {len(examples)} training "
                  f"examples of '{the_task.name}'")
        fit = asyncio.run(go())
        store.finish_run(run_id, "done", {"design": fit.design.to_dict()})
    return fit, len(examples), stack


def _report(stack, design, task: str, out: Optional[str]) -> None:
    console.print(f"model calls sent: {stack.meter.used.calls} (cache hits: {stack.cache.hits if stack.cache else 0})")
    if out:
        with open(out, "w") as f:
            f.write(design.to_json() + "\n")
        console.print(f"wrote {out}; measure it on held-out data with: agentarch eval --task {task} --design {out}")
    else:
        console.print(design.to_json(), highlight=False, soft_wrap=True)


def fit_router_cmd(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name or a .jsonl/.csv file."),
    route: List[str] = typer.Option(["direct,cot,program_of_thought"], "--route", "-r",
                                    help="Candidate routes: baseline or block names (comma list) or JSON specs. "
                                         "Repeatable."),
    features: str = typer.Option("text", help="What questions are compared by: 'text' (length, numbers, keywords) "
                                               "or 'embedding' (all-MiniLM-L6-v2 sentence embeddings, fetched once)."),
    limit: int = typer.Option(12, "--limit", "-n", min=1, help="Training examples to learn the routes from."),
    seed: int = typer.Option(0, min=0, help="Seed of the train/val/test split."),
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, concurrency: int = ConcurrencyOpt, db: str = DbOpt,
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write the learned router design JSON here."),
) -> None:
    """Learn a router: evaluate each route on training examples (results already in --db are reused,
    not recomputed) and send each kind of question to the route that did best on questions like it.

    Examples:

      agentarch fit-router --task word_problems --route direct,cot,program_of_thought -n 12 -o router.json

      agentarch eval --task word_problems --design router.json

      agentarch fit-router --task mixed.jsonl --route direct,cot --features embedding -o router.json
    """
    from agentarch.blocks.router import FEATURES
    from agentarch.errors import ConfigError
    from agentarch.search.routing import learn_router

    if features not in FEATURES:
        raise ConfigError(f"--features must be one of {', '.join(FEATURES)}, not '{features}'")
    routes = _route_specs(route)
    fit, n, stack = _learn("a router", routes, task, seed, limit, model, base_url, api_key_env, parallel, concurrency,
                           db, lambda ev, examples: learn_router(ev, routes, examples, features=features))
    table = Table("route", "train accuracy", "questions routed here", title=f"router on {n} training examples (in-sample)")
    for label, acc in fit.route_accuracy.items():
        table.add_row(escape(label), f"{acc:.3f}", str(fit.chosen.get(label, 0)))
    console.print(table)
    console.print(f"routed accuracy {fit.routed_accuracy:.3f} (in-sample); best single route "
                  f"{max(fit.route_accuracy.values()):.3f}; oracle (best route per question) {fit.oracle_accuracy:.3f}")
    _report(stack, fit.design, task, out)


def fit_policy_cmd(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name or a .jsonl/.csv file."),
    strategy: List[str] = typer.Option(["cot,refine,cot_sc"], "--strategy", "-s",
                                       help="Candidate strategies: baseline or block names (comma list) or JSON "
                                            "specs. Repeatable."),
    probes: int = typer.Option(3, min=1, help="Cheap samples whose agreement estimates a question's difficulty."),
    limit: int = typer.Option(12, "--limit", "-n", min=1, help="Training examples to learn the policy from."),
    seed: int = typer.Option(0, min=0, help="Seed of the train/val/test split."),
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, concurrency: int = ConcurrencyOpt, db: str = DbOpt,
    out: Optional[str] = typer.Option(None, "-o", "--out", help="Write the learned compute_optimal design JSON here."),
) -> None:
    """Learn a compute-optimal policy (Snell et al., 2024): bin training questions by how much a few
    cheap samples agree, and give each difficulty bin the strategy that scored best on it. Results
    already in --db are reused, not recomputed.

    Examples:

      agentarch fit-policy --task word_problems --strategy cot,refine,cot_sc -n 12 -o policy.json

      agentarch eval --task word_problems --design policy.json
    """
    from agentarch.search.routing import PROBE_MAJORITY, learn_compute_policy

    strategies = _route_specs(strategy)
    fit, _, stack = _learn("a compute-optimal policy", strategies, task, seed, limit, model, base_url, api_key_env,
                           parallel, concurrency, db,
                           lambda ev, examples: learn_compute_policy(ev, strategies, examples, probes=probes))
    names = [PROBE_MAJORITY, *strategies]
    table = Table("difficulty", "questions", *names, "chosen", title="training accuracy per difficulty bin")
    policy = fit.design.params["policy"]
    for b, count in fit.bins.items():
        chosen = next((k for k, v in strategies.items() if policy.get(b) == v.to_dict()), PROBE_MAJORITY)
        table.add_row(b, str(count), *(f"{fit.accuracy[b].get(n, 0.0):.2f}" for n in names), chosen)
    console.print(table)
    _report(stack, fit.design, task, out)
