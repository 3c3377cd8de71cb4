"""``agentarch eval`` (designs over a task split, with a results table) and ``agentarch run``
(one design on one question, with its trace)."""

from __future__ import annotations

import asyncio
import json
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agentarch.api.runs import eval_config, run_fingerprint, run_id_of  # noqa: F401  (run_fingerprint: re-export)
from agentarch.cli.common import (BaseUrlOpt, ConcurrencyOpt, DbOpt, InputFieldOpt, KeyEnvOpt, MetricOpt, ModelOpt,
                                  ParallelOpt, TargetFieldOpt, budget, console, err, model_stack, sandbox_tools)


def register(app: typer.Typer) -> None:
    from agentarch.cli.optional_value import optional_values

    app.command("eval", cls=optional_values({"--baselines": "all", "-b": "all"}))(eval_cmd)
    app.command("run")(run_cmd)


def load_task(task: str, input_field, target_field, metric):
    """The task, imported first with a download bar when it is ``bigbench:NAME`` seen for the first time."""
    from agentarch.cli.commands_tasks import download_bar
    from agentarch.tasks.registry import load_task as _load

    with download_bar() as bar:
        return _load(task, input_field=input_field, target_field=target_field, metric=metric,
                     progress=bar, status=bar.note)


def eval_cmd(
    task: str = typer.Option(..., "--task", "-t", help="Built-in task name (see 'agentarch tasks'), bigbench:NAME or a .jsonl/.csv file."),
    design: List[str] = typer.Option([], "--design", "-d", help="A block name, a JSON spec or a .json file. Repeatable."),
    baselines: Optional[str] = typer.Option(None, "--baselines", "-b",
                                            help="Evaluate the baseline designs: 'all' (also when given bare) "
                                                 "or a comma list "
                                                 "(direct,cot,cot_sc,refine,debate,step_back,quality_diversity,roles,program_of_thought)."),
    split: str = typer.Option("test", help="Which split to evaluate on: train, val or test."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Only the first N examples of the split."),
    seed: int = typer.Option(0, min=0, help="Seed of the train/val/test split."),
    input_field: Optional[str] = InputFieldOpt, target_field: Optional[str] = TargetFieldOpt,
    metric: Optional[str] = MetricOpt,
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, concurrency: int = ConcurrencyOpt,
    budget_calls: Optional[int] = typer.Option(None, min=1, help="Hard cap on model calls sent."),
    budget_tokens: Optional[int] = typer.Option(None, min=1, help="Hard cap on tokens."),
    budget_dollars: Optional[float] = typer.Option(None, min=0, help="Hard cap on dollars (hosted models)."),
    budget_seconds: Optional[float] = typer.Option(None, min=0, help="Hard cap on wall-clock seconds of model time."),
    db: str = DbOpt,
    json_out: Optional[str] = typer.Option(None, "--json", help="Also write the results to this JSON file."),
    repeat: int = typer.Option(1, "--repeat", min=1,
                               help="Measure each design this many times with fresh model calls (same prompts "
                                    "and seeds) and print how much its scores move: the noise floor."),
) -> None:
    """Evaluate designs on a task split and print accuracy with a 95% interval, calls, tokens and time.

    Examples:

      agentarch eval --task word_problems --baselines --limit 20

      agentarch eval --task word_problems --design cot --design '{"block":"self_consistency","params":{"n":3}}'

      agentarch eval --task data.jsonl --input-field question --target-field answer --metric numeric --design cot

    Rerunning the same command resumes: finished examples are read from --db, not recomputed.

    --repeat 2 measures each design twice (the second time without the cached calls) and prints
    both accuracies, how many examples changed score and the noise floor (runtime/noise.py).
    """
    from agentarch.blocks.presets import parse_baselines
    from agentarch.blocks.spec import parse_design
    from agentarch.errors import ConfigError
    from agentarch.store.db import Store
    from agentarch.tasks.task import limit as take

    the_task = load_task(task, input_field, target_field, metric)
    specs: dict[str, object] = {}
    specs.update(parse_baselines(baselines))
    for d in design:
        spec = parse_design(d)
        name = spec.label()
        if name in specs and specs[name].id != spec.id:  # same label, different design (e.g. dict params)
            name = f"{name} #{spec.id[:6]}"
        specs[name] = spec
    if not specs:
        raise ConfigError("nothing to evaluate: give --design NAME (repeatable) or --baselines")
    if split not in ("train", "val", "test"):
        raise ConfigError(f"--split must be train, val or test, not '{split}'")
    parts = the_task.split(seed=seed)
    examples = take(getattr(parts, split), limit)
    if not examples:
        raise ConfigError(f"the {split} split of '{the_task.name}' is empty")

    store = Store(db)
    stack = model_stack(model, base_url, api_key_env, store,
                        budget(budget_calls, budget_tokens, budget_dollars, budget_seconds), parallel)
    config = eval_config(the_task, split, limit, seed, stack.id, specs.values(), examples, repeat)
    run_id = run_id_of(config)  # the same id aa.evaluate gives the same evaluation
    from agentarch.cli.lifecycle import run_lifecycle
    from agentarch.runtime.evaluator import Evaluator

    with run_lifecycle(store, run_id):
        resumed = store.start_run(run_id, "eval", config)
        err.print(f"run {run_id}{' (resuming)' if resumed else ''}: {len(specs)} design(s) x {len(examples)} "
                  f"{split} examples of '{the_task.name}' on {stack.id}")
        evaluator = Evaluator(the_task, stack, store, concurrency=concurrency)
        measured = asyncio.run(_evaluate_all(evaluator, specs, examples, split, run_id, repeat))
        summaries = [runs[0] for runs in measured]
        rows = [{**s.to_dict(), **({"label": name} if " #" in name else {})} for name, s in zip(specs, summaries)]
        complete = all(s.complete for runs in measured for s in runs) and len(measured) == len(specs)
        noise = _noise_rows(specs, measured) if repeat > 1 else []
        store.finish_run(run_id, "done" if complete else "stopped",
                         [{k: v for k, v in r.items() if k != "scores"} for r in rows])
    from agentarch.cli.report import summary_table

    console.print(summary_table(rows, title=f"{the_task.name} ({split}, {len(examples)} examples, {stack.id})"))
    if noise:
        console.print(noise_table(noise, repeat))
    used = stack.meter.used
    console.print(reuse_line(evaluator.reused, evaluator.computed, store))
    console.print(f"model calls sent: {used.calls} (cache hits: {stack.cache.hits if stack.cache else 0}), "
                  f"tokens: {used.tokens}" + (f", ${used.dollars:.4f}" if used.dollars else ""))
    if not complete:
        err.print("[yellow]The budget ran out before every example was evaluated; rerun with a larger "
                  "budget to finish (finished examples are kept).[/]")
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"run": run_id, "config": config, "results": rows,
                       **({"noise": noise} if noise else {})}, f, indent=1)


def reuse_line(reused: int, computed: int, store) -> str:
    """One line saying how many results came from the store and how many were computed."""
    line = f"results: {reused} reused from the store, {computed} computed"
    if getattr(store, "dropped_results", 0):
        line += (f" ({store.dropped_results} results stored by an older agentarch were dropped: their "
                 f"identity did not cover the data, metric and block code; model calls stay cached)")
    return line


def _noise_rows(specs: dict, measured: list[list]) -> list[dict]:
    """Per design measured completely in every repeat: its noise floor over the repeats."""
    from agentarch.runtime.noise import noise_floor

    out = []
    for name, runs in zip(specs, measured):
        if len(runs) < 2 or not all(s.complete for s in runs):
            continue
        out.append({"label": name, "design": runs[0].design_id, **noise_floor([s.scores for s in runs]).to_dict()})
    return out


def noise_table(rows: list[dict], repeat: int):
    from rich.table import Table

    table = Table(title=f"noise: each design measured {repeat} times (same prompts and seeds, fresh calls)")
    for col, j in [("design", "left"), ("n", "right"), *((f"acc repeat {r}", "right") for r in range(repeat)),
                   ("changed examples", "right"), ("noise floor", "right")]:
        table.add_column(col, justify=j)
    for r in rows:
        table.add_row(escape(r["label"]), str(r["n"]), *(f"{a:.3f}" for a in r["accuracies"]),
                      f"{r['flips']} ({r['flip_rate']:.1%})", f"{r['floor']:.3f}")
    return table


async def _evaluate_all(evaluator, specs, examples, split, run_id, repeat: int = 1):
    """Each design's summaries, one per repeat (repeat 0 first); stops at the first incomplete one."""
    out = []
    try:
        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("acc {task.fields[acc]}"), TimeElapsedColumn(), console=err,
                      transient=False) as progress:
            for name, spec in specs.items():
                runs = []
                out.append(runs)
                for r in range(repeat):
                    title = name if r == 0 else f"{name} (repeat {r})"
                    bar = progress.add_task(escape(title[:28]), total=len(examples), acc="-")
                    scores: list[float] = []

                    def tick(res, bar=bar, scores=scores):
                        scores.append(res.score)
                        progress.update(bar, advance=1, acc=f"{sum(scores) / len(scores):.2f}")

                    summary = await evaluator.evaluate(spec, examples, split, run_id, on_result=tick, repeat=r)
                    runs.append(summary)
                    if not summary.complete:
                        return out
    finally:
        await evaluator.stack.aclose()
    return out


def run_cmd(
    design: str = typer.Argument(..., help="A block name, a JSON spec or a .json file."),
    question: Optional[str] = typer.Argument(None, help="The question to answer; '-' reads it from stdin."),
    file: Optional[str] = typer.Option(None, "--file", "-f", help="Read the question from this file "
                                                                   "(for long questions: argv holds at most 128 KB)."),
    task: Optional[str] = typer.Option(None, "--task", "-t", help="Use this task's answer extraction and metric."),
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, db: str = DbOpt,
    show_trace: bool = typer.Option(False, "--trace", help="Print every prompt and completion in full."),
) -> None:
    """Run one design on one question; print the answer and a summary of its model calls.

    Example:  agentarch run cot "A shop sells pens at $3 each. How much do 7 pens cost?" --task word_problems

    Long questions:  agentarch run cot --file question.txt     or     cat question.txt | agentarch run cot -
    """
    from agentarch.blocks.context import Context
    from agentarch.blocks.spec import parse_design
    from agentarch.cli.question import read_question
    from agentarch.errors import AgentArchError
    from agentarch.store.db import Store

    question = read_question(question, file)
    spec = parse_design(design)
    the_task = load_task(task, None, None, None) if task else None
    extract = the_task.metric.extract if the_task else (lambda t: t.strip())
    answer_format = the_task.answer_format() if the_task else ""
    store = Store(db)
    stack = model_stack(model, base_url, api_key_env, store, parallel=parallel)

    async def go():
        ctx = Context(model=stack.model, extract=extract, answer_format=answer_format, **sandbox_tools())
        try:
            return await spec.build()(question, ctx), ctx
        except AgentArchError:
            raise
        except Exception as exc:  # the design's own failure: one line, not a traceback
            raise design_failed(spec, exc) from None
        finally:
            await stack.aclose()

    answer, ctx = asyncio.run(go())
    from rich.table import Table

    table = Table("#", "block", "prompt tok", "completion tok", "cached", "completion (start)",
                  title=f"trace of {escape(spec.label())}")
    for i, t in enumerate(ctx.trace):
        table.add_row(str(i + 1), t.block, str(t.prompt_tokens), str(t.completion_tokens), "yes" if t.cached else "",
                      escape(t.text.strip().replace("\n", " ")[:60]))
    console.print(table)
    if show_trace:
        for i, t in enumerate(ctx.trace):
            console.rule(f"call {i + 1}: {t.block}")
            for m in t.messages:
                console.print(f"[bold]{m['role']}:[/] {escape(str(m['content']))}", highlight=False)
            console.print(f"[bold]completion:[/] {escape(t.text)}", highlight=False)
    # model text is printed as written: '[/INST]' or '[red]' in an answer is not markup
    console.print(f"[bold]answer:[/] {escape(answer.strip())}", highlight=False)
    console.print(f"[bold]extracted:[/] {escape(str(extract(answer)))}", highlight=False)


def design_failed(spec, exc: Exception):
    """``DesignFailed`` in one line: the design, the exception's last line and, for a generated
    agent, where in its source it failed."""
    import re

    from agentarch.errors import DesignFailed

    label = spec.label()
    if "\n" in label or len(label) > 80:  # e.g. a generated agent's source among its params
        label = f"{spec.block} #{spec.id[:8]}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    last = lines[-1] if lines else type(exc).__name__
    if not re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", last):
        last = f"{type(exc).__name__}: {last}"
    where = [m.group(1) for m in (re.search(r'File "agent\.py", line (\d+)', x) for x in lines) if m]
    return DesignFailed(f"design {label} failed on this question: {last}"
                        + (f" (agent.py, line {where[-1]})" if where else ""))
