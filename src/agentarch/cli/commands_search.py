"""``agentarch search`` (find designs that beat the baselines on held-out data) and
``agentarch export`` (write a found design as a standalone Python module)."""

from __future__ import annotations

import asyncio
from typing import List, Optional

import typer
from rich.markup import escape

from agentarch.cli.common import (BaseUrlOpt, ConcurrencyOpt, DbOpt, InputFieldOpt, KeyEnvOpt, MetricOpt, ModelOpt,
                                  ParallelOpt, TargetFieldOpt, budget, console, err)

from agentarch.search.race import OPENING_SHARE, RUNGS

DEFAULT_BASELINES = "direct,cot,cot_sc"


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("export")(export_cmd)


def search_cmd(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name (see 'agentarch tasks'), bigbench:NAME or a .jsonl/.csv file."),
    optimizer: str = typer.Option("evolve", "--optimizer", "-o", help="evolve, tpe, random, meta (ADAS) or mcts (AFlow)."),
    budget_calls: Optional[int] = typer.Option(None, "--budget-calls", min=1, help="Hard cap on model calls the search sends (validation)."),
    budget_tokens: Optional[int] = typer.Option(None, "--budget-tokens", min=1, help="Hard cap on tokens the search spends."),
    budget_seconds: Optional[float] = typer.Option(None, "--budget-seconds", min=0, help="Hard cap on wall-clock seconds of model time."),
    test_budget_calls: Optional[int] = typer.Option(None, "--test-budget-calls", min=1, help="Separate cap for the final test evaluation (default: none)."),
    rounds: int = typer.Option(20, "--rounds", "-r", min=0, help="Proposal rounds at most."),
    patience: int = typer.Option(6, min=1, help="Stop after this many rounds without a better design."),
    objective: str = typer.Option("accuracy", help="accuracy, pareto (accuracy vs tokens) or cost-aware."),
    lam: float = typer.Option(0.05, "--lambda", min=0, help="cost-aware: score - lambda * tokens/1000."),
    baselines: str = typer.Option(DEFAULT_BASELINES, "--baselines", "-b",
                                  help="Baselines evaluated first: a comma list or 'all' "
                                       "(direct,cot,cot_sc,refine,debate,step_back,quality_diversity,roles,program_of_thought)."),
    blocks: Optional[str] = typer.Option(None, "--blocks", help="Restrict the typed space to these blocks (comma list)."),
    batch: int = typer.Option(2, min=1, help="Designs proposed per round (evolve/tpe/random)."),
    population: int = typer.Option(8, min=1, help="evolve: designs alive in the population."),
    top_k: int = typer.Option(3, "--top-k", min=0, help="Found designs promoted to the test split."),
    val_limit: Optional[int] = typer.Option(None, "--val-limit", min=1, help="Use only the first N validation examples."),
    test_limit: Optional[int] = typer.Option(None, "--test-limit", min=0, help="Use only the first N test examples."),
    seed: int = typer.Option(0, min=0, help="Seed of the split and of the optimizer."),
    race: bool = typer.Option(True, "--race/--no-race", help="Race designs on growing validation batches "
                              "(drop the clearly worse early); --no-race measures each on all of validation."),
    rungs: str = typer.Option(",".join(map(str, RUNGS)), "--rungs",
                              help="Racing: validation examples at each screening rung, growing (e.g. 8,20)."),
    opening_share: float = typer.Option(
        OPENING_SHARE, "--opening-share", min=0.01, max=1.0,
        help="Racing: the share of the call budget the opening batch (baselines and one design per block family) "
             "may spend; survivors past it are held after the first rung, and the rest is left for the optimizer's "
             "proposals (1 = no limit)."),
    models: Optional[str] = typer.Option(
        None, "--models",
        help="evolve/tpe/random: models a design may use, a comma list (e.g. qwen2.5-coder-0.5b,qwen2.5-coder-1.5b): "
             "each node of a design may name one; cost-aware and pareto weigh each model's tokens by its relative price."),
    meta_model: Optional[str] = typer.Option(None, "--meta-model", help="meta/mcts: the model that writes designs; evolve/tpe/random: the model that proposes instructions (default: --model)."),
    meta_base_url: Optional[str] = typer.Option(None, "--meta-base-url", help="Server of --meta-model."),
    bootstrap_demos: Optional[int] = typer.Option(
        None, "--bootstrap-demos",
        help="evolve/tpe/random: few-shot demos bootstrapped from the model's own correct chain-of-thought on "
             "training examples, before the search (default 8; 0: labeled training pairs instead)."),
    propose_instructions: Optional[int] = typer.Option(
        None, "--propose-instructions",
        help="evolve/tpe/random: instructions the meta model proposes from training questions answered wrongly, "
             "searched as values of cot's and direct's instruction (default 3; 0: none)."),
    option: List[str] = typer.Option([], "--option", help="An optimizer option KEY=VALUE (repeatable), e.g. "
                                     "--option top_k=4 for mcts; values are read as JSON when they can be. "
                                     "Unknown keys list the known ones."),
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

      agentarch search --task word_problems --optimizer mcts --option top_k=4 --option lam=0.3 --blocks cot,self_consistency,refine

      agentarch search --task data.jsonl --optimizer meta --meta-model gpt-4o-mini --meta-base-url https://api.openai.com/v1

      agentarch search --task word_problems --bootstrap-demos 8 --propose-instructions 3 --budget-calls 200

      agentarch search --task word_problems --models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b --objective cost-aware

    Before a typed-space search (evolve, tpe, random) the model's own correct chain-of-thought on
    training examples becomes few-shot demos, and instructions proposed from its wrong answers become
    values of the instruction parameters; both are paid from --budget-calls once per run.

    Validation selects, test (never seen by the search) reports. Rerunning the same command resumes:
    evaluations come from --db, proposals replay from the seed.
    """
    from agentarch.api.search import plan_search
    from agentarch.search.race import RaceConfig, parse_rungs
    from agentarch.cli.commands_eval import load_task, reuse_line
    from agentarch.cli.common import cli_model, parse_options
    from agentarch.search.registry import optimizer_class

    race_cfg = RaceConfig(rungs=parse_rungs(rungs), opening_share=None if opening_share >= 1 else opening_share) \
        if race else None
    fields = optimizer_class(optimizer).Options.model_fields
    options = {k: v for k, v in (("batch", batch), ("population", population)) if k in fields}
    options.update(parse_options(option))
    meta = (cli_model(meta_model or model, meta_base_url, api_key_env, parallel)
            if meta_model or meta_base_url else None)
    the_task = load_task(task, input_field, target_field, metric)  # with a download bar for bigbench:NAME
    plan = plan_search(the_task, optimizer, budget(budget_calls, budget_tokens, None, budget_seconds),
                       model=cli_model(model, base_url, api_key_env, parallel, models or ""), db=db, baselines=baselines,
                       blocks=blocks, rounds=rounds, patience=patience, objective=objective, lam=lam, top_k=top_k,
                       val_limit=val_limit, test_limit=test_limit, seed=seed, optimizer_options=options,
                       meta_model=meta, test_budget=budget(test_budget_calls, None, None, None),
                       concurrency=concurrency, race=race_cfg, bootstrap_demos=bootstrap_demos,
                       propose_instructions=propose_instructions, models=models)
    stack, test_stack = plan.evaluator.stack, plan.test_evaluator.stack
    err.print(f"run {plan.run_id}{' (resuming)' if plan.resumed else ''}: {optimizer} on '{plan.task.name}' "
              f"(val {len(plan.val)}, test {len(plan.test)}, train {len(plan.train)}) with {stack.id}"
              + (f", budget {budget_calls} calls" if budget_calls else ""))

    from agentarch.cli.lifecycle import run_lifecycle

    with run_lifecycle(plan.store, plan.run_id):
        run = asyncio.run(_run(plan, budget_calls, out))
    result, stats = run.result, run.stats
    console.print(result_table(result, plan.task.name, len(plan.test)))
    if result.race and result.race.get("enabled"):
        from agentarch.cli.race_table import race_table

        console.print(race_table(result.race))
    used = stack.meter.used
    console.print(f"stopped: {result.stop_reason}; search spent {result.spent['calls']} model calls "
                  f"({used.calls} in this process), {result.spent['tokens']} tokens; "
                  f"test evaluation sent {test_stack.meter.used.calls} calls")
    if stats:
        console.print(f"{optimizer} proposals: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    console.print(reuse_line(plan.evaluator.reused + plan.test_evaluator.reused,
                             plan.evaluator.computed + plan.test_evaluator.computed, plan.store))
    console.print(f"report: {run.folder}/report.json, plot: {run.folder}/anytime.png")
    if result.report and result.report.get("winner"):
        console.print(f"export the winner:  agentarch export {plan.run_id} -o my_agent.py --db {db}")
    if result.report and not result.report.get("complete", True):
        err.print("[yellow]The test budget ran out before every promoted design was measured.[/]")


def proposals_line(data: dict) -> str:
    """What was found before the search: demos kept (and why others were dropped), instructions
    kept, calls sent (``search/proposals.py``)."""
    tag = " (replayed)" if data.get("replayed") else ""
    dropped = ", ".join(f"{n} {why}" for why, n in sorted(data.get("dropped", {}).items()))
    rejected = len(data.get("rejected", []))
    return (f"  proposals{tag}: {len(data['demos'])} demos kept from {data.get('correct', 0)} correct of "
            f"{data.get('tried', 0)} training examples{f' (dropped: {dropped})' if dropped else ''}; "
            f"{len(data['instructions'])} instructions kept{f', {rejected} rejected' if rejected else ''}; "
            f"{data.get('calls_sent', 0)} calls sent")


async def _run(plan, budget_calls, out):
    """``plan.run`` with a progress bar and one line per evaluated design."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = budget_calls or None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        bar = progress.add_task("starting", total=total)

        def on_event(kind: str, data: dict) -> None:
            if kind == "evaluated":
                best = data.get("best") or {}
                tag = "(replayed) " if data.get("replayed") else ""
                score = ("partial" if not data.get("complete") else
                         "-" if data.get("score") is None else f"{data['score']:.3f}")
                if data.get("complete") and data.get("full") is False:
                    rc = data.get("race") or {}
                    score += f" ({rc.get('outcome', 'stopped')} at {data.get('n')}/{rc.get('of', '?')})"
                progress.console.print(
                    f"  r{data.get('round', 0):<2} {tag}{escape(data['label'][:60]):<60} val {score}  "
                    f"tok/ex {data['tokens']:.0f}", highlight=False)
                progress.update(bar, completed=data.get("spent_calls", 0),
                                description=f"best {best.get('score', 0):.3f} {escape(best.get('label', '')[:40])}")
            elif kind == "unaffordable":
                tag = "(replayed) " if data.get("replayed") else ""
                progress.console.print(f"  r{data.get('round', 0):<2} {tag}{escape(data['label'][:60]):<60} not raced: "
                                       f"{escape(data.get('reason', ''))}", highlight=False)
            elif kind == "proposals":
                progress.console.print(proposals_line(data), highlight=False)
            elif kind == "stopped":
                progress.console.print(f"  search stopped: {data['reason']}")
            elif kind == "promotion":
                progress.console.print(f"  measuring the chosen designs on {data['test']} test examples ...")
            elif kind == "promoted":
                t = data["test"]
                progress.console.print(f"    test {t['score']:.3f} [{t['low']:.3f}, {t['high']:.3f}]  "
                                       f"{escape(data['label'][:60])}", highlight=False)

        return await plan.run(on_event, out)


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
        table.add_row(escape(r["label"][:70]), kind, f"{r['val']['score']:.3f}", acc, f"{t['tokens']:.0f}", delta, sig)
    for s in result.history:  # the other baselines: validation only
        if s.id in names and s.id not in shown:
            table.add_row(escape(s.candidate.spec.label()[:70]), f"baseline {names[s.id]}", f"{s.score:.3f}",
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

    path, info = export_run(Store(db, readonly=True), run_id, design, output)
    console.print(f"wrote {path}: {escape(info['label'])} ({info['how']})", highlight=False)
