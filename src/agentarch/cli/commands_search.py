"""``agentarch search`` (find designs that beat the baselines on held-out data) and
``agentarch export`` (write a found design as a standalone Python module)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from pathlib import Path
from typing import Optional

import typer

from agentarch.cli.common import (BaseUrlOpt, ConcurrencyOpt, DbOpt, InputFieldOpt, KeyEnvOpt, MetricOpt, ModelOpt,
                                  ParallelOpt, TargetFieldOpt, budget, console, err, model_stack, sandbox_tools)

DEFAULT_BASELINES = "direct,cot,cot_sc"
TYPED = ("evolve", "tpe", "random")  # optimizers over the typed space (demos and instructions apply)
DEFAULT_DEMOS = 8  # --bootstrap-demos for a typed-space search
DEFAULT_INSTRUCTIONS = 3  # --propose-instructions for a typed-space search


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("export")(export_cmd)


def _model_id(model: str, base_url: Optional[str]) -> str:
    if model.startswith("scripted:"):
        return "scripted:scripted"
    return f"{'openai' if base_url else 'local'}:{model}"


def search_cmd(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name (see 'agentarch tasks') or a .jsonl/.csv file."),
    optimizer: str = typer.Option("evolve", "--optimizer", "-o", help="evolve, tpe, random, meta (ADAS) or mcts (AFlow)."),
    budget_calls: Optional[int] = typer.Option(None, "--budget-calls", help="Hard cap on model calls the search sends (validation)."),
    budget_tokens: Optional[int] = typer.Option(None, "--budget-tokens", help="Hard cap on tokens the search spends."),
    budget_seconds: Optional[float] = typer.Option(None, "--budget-seconds", help="Hard cap on wall-clock seconds of model time."),
    test_budget_calls: Optional[int] = typer.Option(None, "--test-budget-calls", help="Separate cap for the final test evaluation (default: none)."),
    rounds: int = typer.Option(20, "--rounds", "-r", help="Proposal rounds at most."),
    patience: int = typer.Option(6, help="Stop after this many rounds without a better design."),
    objective: str = typer.Option("accuracy", help="accuracy, pareto (accuracy vs tokens) or cost-aware."),
    lam: float = typer.Option(0.05, "--lambda", help="cost-aware: score - lambda * tokens/1000."),
    baselines: str = typer.Option(DEFAULT_BASELINES, "--baselines", "-b",
                                  help="Baselines evaluated first: a comma list or 'all' "
                                       "(direct,cot,cot_sc,refine,debate,step_back,quality_diversity,roles,program_of_thought)."),
    blocks: Optional[str] = typer.Option(None, "--blocks", help="Restrict the typed space to these blocks (comma list)."),
    batch: int = typer.Option(2, help="Designs proposed per round (evolve/tpe/random)."),
    population: int = typer.Option(8, help="evolve: designs alive in the population."),
    top_k: int = typer.Option(3, "--top-k", help="Found designs promoted to the test split."),
    val_limit: Optional[int] = typer.Option(None, "--val-limit", help="Use only the first N validation examples."),
    test_limit: Optional[int] = typer.Option(None, "--test-limit", help="Use only the first N test examples."),
    seed: int = typer.Option(0, help="Seed of the split and of the optimizer."),
    meta_model: Optional[str] = typer.Option(None, "--meta-model", help="meta/mcts: the model that writes designs; evolve/tpe/random: the model that proposes instructions (default: --model)."),
    meta_base_url: Optional[str] = typer.Option(None, "--meta-base-url", help="Server of --meta-model."),
    bootstrap_demos: Optional[int] = typer.Option(
        None, "--bootstrap-demos",
        help=f"evolve/tpe/random: few-shot demos bootstrapped from the model's own correct chain-of-thought on "
             f"training examples, before the search (default {DEFAULT_DEMOS}; 0: labeled training pairs instead)."),
    propose_instructions: Optional[int] = typer.Option(
        None, "--propose-instructions",
        help=f"evolve/tpe/random: instructions the meta model proposes from training questions answered wrongly, "
             f"searched as values of cot's and direct's instruction (default {DEFAULT_INSTRUCTIONS}; 0: none)."),
    input_field: Optional[str] = InputFieldOpt, target_field: Optional[str] = TargetFieldOpt,
    metric: Optional[str] = MetricOpt,
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, concurrency: int = ConcurrencyOpt,
    db: str = DbOpt,
    out: str = typer.Option("runs", "--out", help="Folder for runs/<run_id>/report.json and anytime.png."),
) -> None:
    """Search for a design that beats the baselines, then measure the best ones on the test split.

    Examples:

      agentarch search --task word_problems --optimizer evolve --budget-calls 600 --val-limit 20 --test-limit 40

      agentarch search --task word_problems --optimizer tpe --objective cost-aware --lambda 0.1 --budget-calls 400

      agentarch search --task data.jsonl --optimizer meta --meta-model gpt-4o-mini --meta-base-url https://api.openai.com/v1

      agentarch search --task word_problems --bootstrap-demos 8 --propose-instructions 3 --budget-calls 200

    Before a typed-space search (evolve, tpe, random) the model's own correct chain-of-thought on
    training examples becomes few-shot demos, and instructions proposed from its wrong answers become
    values of the instruction parameters; both are paid from --budget-calls once per run.

    Validation selects, test (never seen by the search) reports. Rerunning the same command resumes:
    evaluations come from --db, proposals replay from the seed.
    """
    from agentarch.blocks.presets import parse_baselines
    from agentarch.cli.commands_eval import load_task, reuse_line, run_fingerprint
    from agentarch.errors import ConfigError
    from agentarch.search.pareto import check_objective
    from agentarch.search.registry import OPTIMIZERS, optimizer_class
    from agentarch.store.db import Store
    from agentarch.tasks.task import limit as take

    check_objective(objective)
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer '{optimizer}'; choose one of {', '.join(OPTIMIZERS)}")
    base_specs = parse_baselines(baselines)
    names = list(base_specs)
    the_task = load_task(task, input_field, target_field, metric)
    parts = the_task.split(seed=seed)
    val, test = take(parts.val, val_limit), take(parts.test, test_limit)
    if not val:
        raise ConfigError(f"the validation split of '{the_task.name}' is empty")
    only = [b.strip() for b in blocks.split(",")] if blocks else None
    n_demos, n_instructions = _proposal_counts(optimizer, bootstrap_demos, propose_instructions)

    config = {"task": the_task.name, "metric": the_task.metric.name, "optimizer": optimizer, "seed": seed, "model": _model_id(model, base_url),
              "meta_model": meta_model, "budget_calls": budget_calls, "budget_tokens": budget_tokens,
              "budget_seconds": budget_seconds, "rounds": rounds, "patience": patience, "objective": objective,
              "lambda": lam, "baselines": names, "blocks": only, "batch": batch, "population": population,
              "val": [e.id for e in val][:3] + [len(val)], "test": len(test), "top_k": top_k,
              "bootstrap_demos": n_demos, "propose_instructions": n_instructions,
              "identity": run_fingerprint(the_task, [*val, *test])}
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    store = Store(db)
    resumed = store.run(run_id) is not None
    cls = optimizer_class(optimizer)  # fails early for a missing optimizer module or extra
    stack = model_stack(model, base_url, api_key_env, store, budget(budget_calls, budget_tokens, None, budget_seconds),
                        parallel)
    test_stack = model_stack(model, base_url, api_key_env, store, budget(test_budget_calls, None, None, None), parallel)

    from agentarch.blocks.context import Context
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.search.base import SearchEnv
    from agentarch.search.space import Space

    evaluator = Evaluator(the_task, stack, store, concurrency=concurrency)
    test_evaluator = Evaluator(the_task, test_stack, store, concurrency=concurrency)
    meta_stack = None
    env = SearchEnv(rng=random.Random(seed), train=parts.train, task_description=the_task.description,
                    options={"objective": objective, "lambda": lam, "batch": batch, "population": population})
    before_search = None
    if optimizer in TYPED:
        env.options["space"] = Space.from_registry(train=parts.train, only=only)
        if n_demos or n_instructions:
            if n_instructions and (meta_model or meta_base_url):
                meta_stack = model_stack(meta_model or model, meta_base_url, api_key_env, store, None, parallel)
            before_search = _proposer(env.options["space"], evaluator, store, run_id, parts.train, the_task,
                                      n_demos, n_instructions, meta_stack or stack, budget_calls)
    if optimizer in ("meta", "mcts"):
        if meta_model or meta_base_url:
            meta_stack = model_stack(meta_model or model, meta_base_url, api_key_env, store, None, parallel)
        else:
            meta_stack = model_stack(model, base_url, api_key_env, store, None, parallel)
        env.meta = Context(model=meta_stack.model, max_tokens=1024)
        # Meta Agent Search smoke-runs each proposal once, in the sandbox, on the design model.
        env.options["smoke_context"] = lambda: Context(model=stack.model, extract=the_task.metric.extract,
                                                       **sandbox_tools())
    opt = cls(env)
    err.print(f"run {run_id}{' (resuming)' if resumed else ''}: {optimizer} on '{the_task.name}' "
              f"(val {len(val)}, test {len(test)}, train {len(parts.train)}) with {stack.id}"
              + (f", budget {budget_calls} calls" if budget_calls else ""))


    result = asyncio.run(_run(the_task, opt, evaluator, test_evaluator, store, run_id, val, test, base_specs,
                              objective, lam, rounds, patience, top_k, config, budget_calls, meta_stack,
                              before_search))
    from agentarch.search.report import write_run_folder

    Path(out).mkdir(parents=True, exist_ok=True)
    stats = dict(getattr(opt, "stats", {}) or {})
    folder = write_run_folder(out, result, config, objective, lam, optimizer_stats=stats)
    console.print(result_table(result, the_task.name, len(test)))
    used = stack.meter.used
    console.print(f"stopped: {result.stop_reason}; search spent {result.spent['calls']} model calls "
                  f"({used.calls} in this process), {result.spent['tokens']} tokens; "
                  f"test evaluation sent {test_stack.meter.used.calls} calls")
    if stats:
        console.print(f"{optimizer} proposals: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    console.print(reuse_line(evaluator.reused + test_evaluator.reused,
                             evaluator.computed + test_evaluator.computed, store))
    console.print(f"report: {folder}/report.json, plot: {folder}/anytime.png")
    if result.report and result.report.get("winner"):
        console.print(f"export the winner:  agentarch export {run_id} -o my_agent.py --db {db}")
    if result.report and not result.report.get("complete", True):
        err.print("[yellow]The test budget ran out before every promoted design was measured.[/]")


def _proposal_counts(optimizer: str, demos: Optional[int], instructions: Optional[int]) -> tuple[int, int]:
    """The demos and instructions to propose before the search: the defaults for a typed-space
    optimizer, none for meta/mcts (a non-zero count given for those is an error)."""
    from agentarch.errors import ConfigError
    from agentarch.search.proposals import MAX_DEMOS, MAX_INSTRUCTIONS

    for flag, value, most in (("--bootstrap-demos", demos, MAX_DEMOS),
                              ("--propose-instructions", instructions, MAX_INSTRUCTIONS)):
        if value is not None and not 0 <= value <= most:
            raise ConfigError(f"{flag} must be a whole number from 0 to {most} (0 turns it off), got {value}")
    if optimizer in TYPED:
        return (DEFAULT_DEMOS if demos is None else demos,
                DEFAULT_INSTRUCTIONS if instructions is None else instructions)
    for flag, value in (("--bootstrap-demos", demos), ("--propose-instructions", instructions)):
        if value:
            raise ConfigError(f"{flag} applies to the typed-space optimizers ({', '.join(TYPED)}), "
                              f"not to '{optimizer}'; leave it out or give 0")
    return 0, 0


def _proposer(space, evaluator, store, run_id, train, the_task, n_demos, n_instructions, meta_stack, budget_calls):
    """The coroutine function the search awaits before its first proposal: bootstrapped demos and
    proposed instructions put into ``space`` (``search/proposals.py``), with a line saying what was kept."""
    from agentarch.blocks.context import Context
    from agentarch.search.proposals import prepare_space, tries_for

    meta = Context(model=meta_stack.model, max_tokens=256)

    def show(kind: str, data: dict) -> None:
        tag = " (replayed)" if data.get("replayed") else ""
        dropped = ", ".join(f"{n} {why}" for why, n in sorted(data.get("dropped", {}).items()))
        rejected = len(data.get("rejected", []))
        err.print(f"  proposals{tag}: {len(data['demos'])} demos kept from {data.get('correct', 0)} correct of "
                  f"{data.get('tried', 0)} training examples{f' (dropped: {dropped})' if dropped else ''}; "
                  f"{len(data['instructions'])} instructions kept"
                  f"{f', {rejected} rejected' if rejected else ''}; {data.get('calls_sent', 0)} calls sent",
                  highlight=False)

    async def before_search():
        return await prepare_space(space, evaluator, store, run_id, train, demos=n_demos, instructions=n_instructions,
                                   meta=meta, meta_meter=meta_stack.meter, task_description=the_task.description,
                                   max_tries=tries_for(n_demos, n_instructions, budget_calls), on_event=show)

    return before_search


async def _run(task, opt, evaluator, test_evaluator, store, run_id, val, test, base_specs, objective, lam,
               rounds, patience, top_k, config, budget_calls, meta_stack, before_search=None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentarch.search.loop import run_search

    total = budget_calls or None
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=False) as progress:
            bar = progress.add_task("starting", total=total)

            def on_event(kind: str, data: dict) -> None:
                if kind == "evaluated":
                    best = data.get("best") or {}
                    tag = "(replayed) " if data.get("replayed") else ""
                    score = "partial" if not data.get("complete") else f"{data['score']:.3f}"
                    progress.console.print(
                        f"  r{data.get('round', 0):<2} {tag}{data['label'][:60]:<60} val {score}  "
                        f"tok/ex {data['tokens']:.0f}", highlight=False)
                    progress.update(bar, completed=data.get("spent_calls", 0),
                                    description=f"best {best.get('score', 0):.3f} {best.get('label', '')[:40]}")
                elif kind == "stopped":
                    progress.console.print(f"  search stopped: {data['reason']}")
                elif kind == "promotion":
                    progress.console.print(f"  measuring the chosen designs on {data['test']} test examples ...")
                elif kind == "promoted":
                    t = data["test"]
                    progress.console.print(f"    test {t['score']:.3f} [{t['low']:.3f}, {t['high']:.3f}]  "
                                           f"{data['label'][:60]}", highlight=False)

            return await run_search(task, opt, evaluator, store, run_id, val=val, test=test, baselines=base_specs,
                                    objective=objective, lam=lam, max_rounds=rounds, patience=patience,
                                    on_event=on_event, test_evaluator=test_evaluator, top_k=top_k, config=config,
                                    before_search=before_search)
    finally:
        await evaluator.stack.aclose()
        if test_evaluator.stack is not evaluator.stack:
            await test_evaluator.stack.aclose()
        if meta_stack is not None:
            await meta_stack.aclose()


def result_table(result, task_name: str, n_test: int):
    """Baselines and found designs: validation, test accuracy [95% CI], tokens/ex, delta vs the best
    baseline (by validation) on test, with significance; the caption gives the noise floor."""
    from rich.table import Table

    table = Table(title=f"{task_name}: designs re-measured on {n_test} held-out test examples "
                        f"(baseline for delta: best by validation)", caption=noise_line(result.noise))
    for col, j in [("design", "left"), ("kind", "left"), ("val", "right"), ("test acc [95% CI]", "right"),
                   ("tokens/ex", "right"), ("delta vs best baseline [95% CI]", "right"), ("", "left")]:
        table.add_column(col, justify=j)
    rep = result.report or {"designs": []}
    names = {v: k for k, v in result.baselines.items()}
    shown = set()
    for r in rep["designs"]:
        shown.add(r["design"])
        t, d = r["test"], r.get("delta")
        kind = f"baseline {r['name']}" if r["baseline"] else r["origin"]
        acc = f"{t['score']:.3f} [{t['low']:.3f}, {t['high']:.3f}]" + ("" if t["complete"] else " (partial)")
        if d is None:
            delta, sig = ("reference" if r["design"] == rep.get("reference") else "-"), ""
        else:
            delta = f"{d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
            sig = {"better": "[green]better[/]", "worse": "[red]worse[/]",
                   "within noise": "[yellow]within noise[/]"}.get(d["label"], d["label"])
        table.add_row(r["label"][:70], kind, f"{r['val']['score']:.3f}", acc, f"{t['tokens']:.0f}", delta, sig)
    for s in result.history:  # the other baselines: validation only
        if s.id in names and s.id not in shown:
            table.add_row(s.candidate.spec.label()[:70], f"baseline {names[s.id]}", f"{s.score:.3f}",
                          "not promoted", f"{s.tokens:.0f} (val)", "-", "")
    return table


def noise_line(noise: dict | None) -> str:
    """One line saying what the noise floor is, or that it was not measured and why."""
    if not noise or not noise.get("measured"):
        why = (noise or {}).get("reason", "no promotion to test was run")
        return f"noise floor not measured ({why}): better/worse rest on the interval alone"
    sent = f", {noise['calls_sent']} fresh calls" if noise.get("calls_sent") is not None else ""
    return (f"noise floor {noise['floor']:.3f}: {noise['label'][:40]} measured twice on {noise['n']} validation "
            f"examples ({noise['accuracies'][0]:.3f} then {noise['accuracies'][1]:.3f}, {noise['flips']} changed"
            f"{sent}); 'better' needs an interval above 0 and a gain above the floor")


def export_cmd(
    run_id: str = typer.Argument(..., help="A search run (a prefix is enough)."),
    design: Optional[str] = typer.Argument(None, help="A design id from the run (default: the winner)."),
    output: str = typer.Option("my_agent.py", "--output", "-o", help="The Python file to write."),
    db: str = DbOpt,
) -> None:
    """Write a design found by a search as a standalone Python module that imports only
    agentarch's model layer.

    Example:  agentarch export 3f2a -o my_agent.py && python my_agent.py "What is 17 * 3?"
    """
    from agentarch.search.export import export_run
    from agentarch.store.db import Store

    path, info = export_run(Store(db), run_id, design, output)
    console.print(f"wrote {path}: {info['label']} ({info['how']})")
