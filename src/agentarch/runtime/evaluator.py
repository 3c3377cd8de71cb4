"""Runs a design over examples with asyncio concurrency and records everything.

For each example: the answer text, the extracted answer, the score, the model calls, tokens,
latency and the full trace. Results are written to the store as each example finishes, keyed by
everything that produced them (``store.identity.result_key``: the example's content, the metric's
code, the model stack, the design's canonical id, its blocks' code, the answer-length cap and the
repeat index), so a rerun after a kill -9 skips finished examples and makes no model calls for
them, while an edited example, metric or block is measured again. The summary gives the mean with a
bootstrap 95% interval and how many results were reused from the store or computed.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

from agentarch.blocks.context import Context
from agentarch.blocks.fingerprint import code_fingerprint
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import AgentArchError, BudgetExceeded, ConfigError, PromptTooLong
from agentarch.llm.repeat import with_repeat
from agentarch.runtime import telemetry
from agentarch.runtime.stats import Interval, bootstrap_mean
from agentarch.store.db import Store
from agentarch.store.identity import result_key

DEFAULTS = {"concurrency": 8}


@dataclass
class ExampleResult:
    example_id: str
    answer: str
    extracted: str
    score: float
    calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    error: str | None = None
    trace: list = field(default_factory=list)
    reused: bool = False
    notes: dict = field(default_factory=dict)  # what blocks left in ctx.notes (e.g. DyLAN importance)


@dataclass
class Summary:
    design_id: str
    label: str
    split: str
    n: int
    accuracy: Interval
    calls: float  # model calls per example (logical: cached ones included)
    tokens: float  # prompt + completion tokens per example
    seconds: float  # mean latency per example
    wall: float  # wall-clock seconds for the whole evaluation
    errors: int
    complete: bool
    scores: dict[str, float] = field(default_factory=dict)
    reused: int = 0  # results read from the store
    computed: int = 0  # results computed by running the design in this evaluation

    def to_dict(self) -> dict:
        d = asdict(self)
        d["accuracy"] = asdict(self.accuracy)
        return d


def _from_row(row) -> ExampleResult:
    return ExampleResult(row["example_id"], row["answer"], row["extracted"], row["score"], row["calls"],
                         row["prompt_tokens"], row["completion_tokens"], row["seconds"], row["error"],
                         reused=True, notes=json.loads(row["notes"]))


def cost_tokens(r: ExampleResult) -> float:
    """The tokens one result costs: price-weighted across models when its design named models
    (``llm/relative_prices.py``), else its prompt + completion tokens."""
    weighted = r.notes.get("weighted_tokens") if isinstance(r.notes, dict) else None
    return float(weighted) if weighted is not None else float(r.prompt_tokens + r.completion_tokens)


def model_notes(trace, default_model: str) -> dict:
    """For a run whose calls went to named models: tokens per model and their price-weighted sum."""
    from agentarch.llm.relative_prices import weighted_tokens

    if not any(t.model for t in trace):
        return {}
    by_model: dict[str, dict[str, int]] = {}
    for t in trace:
        used = by_model.setdefault(t.model or default_model, {"prompt_tokens": 0, "completion_tokens": 0})
        used["prompt_tokens"] += t.prompt_tokens
        used["completion_tokens"] += t.completion_tokens
    return {"tokens_by_model": by_model, "weighted_tokens": round(weighted_tokens(by_model), 3)}


def _jsonable(notes: dict) -> dict:
    return json.loads(json.dumps(notes, default=str))


class Evaluator:
    """Evaluates designs for one task and one model stack, against one store.

    ``reused``/``computed`` count the results read from the store and computed, over all calls."""

    def __init__(self, task, model_stack, store: Store, run_code=None, run_agent=None,
                 concurrency: int = DEFAULTS["concurrency"], max_tokens: int = 512,
                 answer_format: str | None = None):
        """``run_code``/``run_agent`` default to the sandbox; tests may pass stand-ins.
        ``answer_format`` is the hint blocks put in their prompts; by default it is derived from
        the task's training split (never from the examples being measured)."""
        if run_code is None or run_agent is None:
            from agentarch.runtime import sandbox

            run_code = run_code or sandbox.run_code
            run_agent = run_agent or sandbox.run_agent
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        self.run_agent = run_agent
        self.task = task
        self.stack = model_stack
        self.store = store
        self.run_code = run_code
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        if answer_format is None:
            answer_format = task.answer_format()
        self.answer_format = answer_format
        self.reused = 0  # results read from the store, over every evaluate() call
        self.computed = 0  # results computed, over every evaluate() call

    async def run_one(self, design: DesignSpec, block, example, repeat: int = 0) -> ExampleResult:
        metric = self.task.metric
        extract = metric.extractor(example)
        ctx = Context(model=telemetry.trace_model(with_repeat(self.stack.model, repeat)), extract=extract,
                      max_tokens=self.max_tokens, run_code=self.run_code, run_agent=self.run_agent,
                      answer_format=self.answer_format)
        t0 = time.perf_counter()
        error = None
        try:
            answer = await block(example.input, ctx)
        except PromptTooLong as exc:  # this example does not fit the model; the others may
            answer, error = "", str(exc)
        except (BudgetExceeded, AgentArchError):
            raise
        except Exception as exc:  # a faulty design scores 0 on this example; the run goes on
            answer, error = "", f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
        if metric.is_async:
            score = await metric.score_async(answer, example, self.run_code)
        else:
            score = metric.score(answer, example)
        return ExampleResult(
            example.id, answer, extract(answer), float(score), len(ctx.trace),
            sum(t.prompt_tokens for t in ctx.trace), sum(t.completion_tokens for t in ctx.trace),
            seconds, error,
            [{"block": t.block, "messages": t.messages, "text": t.text, "prompt_tokens": t.prompt_tokens,
              "completion_tokens": t.completion_tokens, "cached": t.cached, **({"model": t.model} if t.model else {})}
             for t in ctx.trace],
            notes=_jsonable({**ctx.notes, **model_notes(ctx.trace, getattr(self.stack.backend, "name", ""))}))

    def result_keys(self, design: DesignSpec, examples: Sequence, repeat: int = 0) -> dict[str, str]:
        """The identity key of each example's result (by example id) for ``design`` on this task,
        model stack and answer-length cap; ``repeat`` > 0 asks for a fresh measurement."""
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
            raise ConfigError(f"repeat must be a whole number >= 0, got {repeat!r}")
        metric_fp = self.task.metric.fingerprint()
        code_fp = code_fingerprint(design)
        return {ex.id: result_key(ex.fingerprint(), metric_fp, self.stack.id, design.id, code_fp,
                                  self.max_tokens, repeat, self.answer_format) for ex in examples}

    def stored_results(self, design: DesignSpec, examples: Sequence, repeat: int = 0) -> dict:
        """The stored result rows (by example id) that ``evaluate`` would reuse for these examples:
        what a caller reads for details beyond the summary (e.g. the notes blocks left)."""
        keys = self.result_keys(design, examples, repeat)
        rows = self.store.results_by_key(keys.values())
        return {ex_id: rows[key] for ex_id, key in keys.items() if key in rows}

    async def evaluate(self, design: DesignSpec, examples: Sequence, split: str = "test",
                       run_id: str | None = None, on_result: Callable[[ExampleResult], None] | None = None,
                       role: str = "", repeat: int = 0) -> Summary:
        """Evaluate ``design`` on ``examples``. Stops early (``complete=False``) when the budget runs out.

        Results already stored under the same identity are reused; ``repeat=r`` (r > 0) measures the
        design again without reusing repeat 0's results (the model-call cache decides separately
        whether its calls are sent again)."""
        block = telemetry.trace_blocks(design.build())
        keys = self.result_keys(design, examples, repeat)
        self.store.put_design(design.id, design.to_json(), design.label())
        if run_id and not repeat:  # a repeat must not overwrite the run's record of the design
            self.store.link(run_id, design.id, split, role)
        done = self.store.results_by_key(keys.values())
        results: dict[str, ExampleResult] = {}
        for ex in examples:
            row = done.get(keys[ex.id])
            if row is not None and ex.id not in results:
                results[ex.id] = _from_row(row)
                if on_result:
                    on_result(results[ex.id])
        reused, computed = len(results), []
        todo = [ex for ex in examples if ex.id not in results]
        sem = asyncio.Semaphore(self.concurrency)
        budget_hit: list[BudgetExceeded] = []
        t0 = time.perf_counter()

        async def one(ex) -> None:
            async with sem:
                if budget_hit:
                    return
                try:
                    r = await telemetry.example(self.run_one(design, block, ex, repeat), design, ex.id, repeat)
                except BudgetExceeded as exc:
                    budget_hit.append(exc)
                    return
                self.store.put_result(keys[ex.id], self.task.name, self.stack.id, design.id, ex.id, asdict(r),
                                      repeat)
                results[ex.id] = r
                computed.append(ex.id)
                if on_result:
                    on_result(r)

        tasks = [asyncio.ensure_future(one(ex)) for ex in todo]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise
        self.reused += reused
        self.computed += len(computed)
        ordered = [results[e.id] for e in examples if e.id in results]
        n = len(ordered)
        summary = Summary(
            design_id=design.id, label=design.label(), split=split, n=n,
            accuracy=bootstrap_mean([r.score for r in ordered]),
            calls=sum(r.calls for r in ordered) / n if n else 0.0,
            tokens=sum(cost_tokens(r) for r in ordered) / n if n else 0.0,
            seconds=sum(r.seconds for r in ordered) / n if n else 0.0,
            wall=time.perf_counter() - t0,
            errors=sum(1 for r in ordered if r.error),
            complete=n == len(examples),
            scores={r.example_id: r.score for r in ordered},
            reused=reused, computed=len(computed),
        )
        if run_id and not repeat:
            self.store.link(run_id, design.id, split, role,
                            {k: v for k, v in summary.to_dict().items() if k != "scores"})
        return summary
