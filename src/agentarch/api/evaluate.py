"""``aa.evaluate`` / ``aa.aevaluate``: one design on a task split through the evaluator, recorded as
an evaluation run in the store exactly as ``agentarch eval`` records it (same run id, results
reused across both), returned as an ``EvalResult`` with the score, its bootstrap 95% interval,
every example's answer and trace, and ``to_pandas()``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from agentarch.api.designs import design as as_design
from agentarch.api.model import as_model
from agentarch.api.runs import eval_config, run_id_of
from agentarch.api.settings import db_path
from agentarch.api.sync import run_sync
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.runtime.evaluator import ExampleResult, Summary
from agentarch.runtime.stats import Interval

DEFAULTS = {"split": "test", "seed": 0, "concurrency": 8, "max_tokens": 512}


@dataclass
class EvalResult:
    """What one evaluation measured. ``score`` is the mean score, ``interval`` its bootstrap 95%
    interval; ``results`` holds one ``ExampleResult`` per example in split order (answer, extracted
    answer, score, calls, tokens, error) and ``traces`` every model call by example id."""

    run_id: str
    design: DesignSpec
    task: str
    split: str
    model: str
    summary: Summary
    results: list[ExampleResult] = field(default_factory=list)
    traces: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return self.summary.accuracy.mean

    @property
    def interval(self) -> Interval:
        return self.summary.accuracy

    @property
    def scores(self) -> dict[str, float]:
        """Score by example id."""
        return dict(self.summary.scores)

    @property
    def complete(self) -> bool:
        """False when the budget ran out before every example was evaluated."""
        return self.summary.complete

    def to_records(self) -> list[dict]:
        """One flat row per example: id, answer, extracted answer, score, calls, tokens, error."""
        return [{"design": self.design.id, "label": self.design.label(), "example_id": r.example_id,
                 "answer": r.answer, "extracted": r.extracted, "score": r.score, "calls": r.calls,
                 "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                 "seconds": r.seconds, "error": r.error, "reused": r.reused} for r in self.results]

    def to_pandas(self):
        """``to_records()`` as a pandas DataFrame (needs pandas; the error says how to install it)."""
        from agentarch.api.frames import data_frame

        return data_frame(self.to_records())

    def __str__(self) -> str:
        return (f"{self.design.label()} on {self.task} ({self.split}, {self.summary.n} examples, {self.model}): "
                f"{self.interval}" + ("" if self.complete else " (partial: the budget ran out)"))


def as_task(task: Any, input_field: Optional[str] = None, target_field: Optional[str] = None,
            metric: Optional[str] = None):
    """A ``Task`` object, or one loaded by built-in name or from a .jsonl/.json/.csv path."""
    from agentarch.tasks.registry import load_task
    from agentarch.tasks.task import Task

    if isinstance(task, Task):
        if input_field or target_field or metric:
            raise ConfigError("input_field/target_field/metric describe a task to load; this task is loaded")
        return task
    if isinstance(task, str) or hasattr(task, "__fspath__"):
        return load_task(str(task), input_field=input_field, target_field=target_field, metric=metric)
    raise ConfigError(f"task must be an aa.Task, a built-in task name or a data file, not {type(task).__name__}")


def as_budget(budget: Any):
    """A hard budget from ``None`` (no cap), an int (model calls), a dict or a ``Budget``."""
    from pydantic import ValidationError

    from agentarch.llm.budget import Budget

    if budget is None or isinstance(budget, Budget):
        return budget or Budget()
    if isinstance(budget, bool):
        raise ConfigError("budget must be a number of model calls, a dict or a Budget, not a bool")
    if isinstance(budget, int):
        return Budget(calls=budget)
    if isinstance(budget, dict):
        try:
            return Budget(**budget)
        except ValidationError as exc:
            e = exc.errors()[0]
            raise ConfigError(f"budget: '{'.'.join(str(x) for x in e['loc'])}': {e['msg']} "
                              "(keys: calls, tokens, dollars, seconds)") from None
    raise ConfigError(f"budget must be a number of model calls, a dict or a Budget, not {type(budget).__name__}")


async def aevaluate(design: Any, task: Any, *, model: Any = None, limit: Optional[int] = None,
                    split: str = DEFAULTS["split"], seed: int = DEFAULTS["seed"], db: Any = None,
                    budget: Any = None, concurrency: int = DEFAULTS["concurrency"],
                    max_tokens: int = DEFAULTS["max_tokens"],
                    on_result: Optional[Callable[[ExampleResult], None]] = None) -> EvalResult:
    """Evaluate ``design`` (any form ``aa.design`` takes) on the ``split`` of ``task`` (a ``Task``,
    a built-in name or a data file), first ``limit`` examples, on ``model`` (default: the
    configured one, else the embedded model), storing everything in ``db``. A rerun reuses stored
    results; ``budget`` caps what is sent (an int is model calls)."""
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.store.db import Store
    from agentarch.tasks.task import limit as take

    spec = as_design(design)
    the_task = as_task(task)
    the_model = as_model(model)
    for name in sorted(spec.models()):
        if not the_model.can_open(name):
            raise ConfigError(f"design: model '{name}' cannot be opened by {the_model.id}")
    if split not in ("train", "val", "test"):
        raise ConfigError(f"split must be train, val or test, not '{split}'")
    examples = take(getattr(the_task.split(seed=seed), split), limit)
    if not examples:
        raise ConfigError(f"the {split} split of '{the_task.name}' is empty")
    store = Store(db_path(db))
    stack = the_model.stack(store, as_budget(budget))
    try:
        config = eval_config(the_task, split, limit, seed, stack.id, [spec], examples)
        run_id = run_id_of(config)
        store.start_run(run_id, "eval", config)
        evaluator = Evaluator(the_task, stack, store, concurrency=concurrency, max_tokens=max_tokens)
        collected: list[ExampleResult] = []

        def keep(r: ExampleResult) -> None:
            collected.append(r)
            if on_result:
                on_result(r)

        summary = await evaluator.evaluate(spec, examples, split, run_id, on_result=keep)
        row = {k: v for k, v in summary.to_dict().items() if k != "scores"}
        store.finish_run(run_id, "done" if summary.complete else "stopped", [row])
        by_id = {r.example_id: r for r in collected}
        results = [by_id[e.id] for e in examples if e.id in by_id]
        stored = evaluator.stored_results(spec, [e for e in examples if e.id in by_id and by_id[e.id].reused])
        traces = {r.example_id: (json.loads(stored[r.example_id]["trace"]) if r.reused and r.example_id in stored
                                 else list(r.trace)) for r in results}
        return EvalResult(run_id, spec, the_task.name, split, stack.id, summary, results, traces)
    finally:
        await stack.aclose()
        store.close()


def evaluate(design: Any, task: Any, *, model: Any = None, limit: Optional[int] = None,
             split: str = DEFAULTS["split"], seed: int = DEFAULTS["seed"], db: Any = None, budget: Any = None,
             concurrency: int = DEFAULTS["concurrency"], max_tokens: int = DEFAULTS["max_tokens"],
             on_result: Optional[Callable[[ExampleResult], None]] = None) -> EvalResult:
    """The synchronous twin of ``aevaluate`` (same arguments); works inside a notebook's loop too."""
    return run_sync(aevaluate(design, task, model=model, limit=limit, split=split, seed=seed, db=db, budget=budget,
                              concurrency=concurrency, max_tokens=max_tokens, on_result=on_result))
