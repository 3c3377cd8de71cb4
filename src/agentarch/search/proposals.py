"""Before a typed-space search starts: find values worth searching over, paid once per run.

1. Bootstrapped demos (``search/demos.py``): ``cot`` runs on training examples; the correct traces
   with real reasoning become the few-shot block's demo sets.
2. Instructions grounded in failures (``search/instructions.py``): a meta model reads the wrong
   answers from step 1 and proposes task-specific instructions, which become values of the
   ``instruction`` parameter of every block that takes one (cot, direct).

Everything kept is recorded as one ``proposals`` event of the run. A resumed run reads that event
and sends no call; a run killed before it was written reads the bootstrap results from the store
and the meta replies from the call cache, so it does not pay twice either.
"""

from __future__ import annotations

import json
from typing import Callable

from agentarch.blocks.common import STEP_BY_STEP
from agentarch.blocks.context import Context
from agentarch.search.demos import bootstrap, demo_sets
from agentarch.search.instructions import propose_instructions
from agentarch.search.space import Space
from agentarch.store.db import Store

EVENT = "proposals"
FAILURES_WANTED = 4  # wrong answers to collect for instruction proposals
FAILURE_TRIES = 8  # training examples tried for failures when no demos are wanted
BUDGET_SHARE = 4  # bootstrapping tries at most 1/BUDGET_SHARE of the search's call budget
MAX_DEMOS = 32
MAX_INSTRUCTIONS = 10
TYPED = ("evolve", "tpe", "random")  # optimizers over the typed space: demos and instructions apply
DEFAULT_DEMOS = 8  # bootstrapped demos for a typed-space search unless told otherwise
DEFAULT_INSTRUCTIONS = 3  # proposed instructions for a typed-space search unless told otherwise


def proposal_counts(optimizer: str, demos: int | None = None, instructions: int | None = None) -> tuple[int, int]:
    """The demos and instructions to find before a search with ``optimizer``: the defaults for a
    typed-space optimizer, none for meta/mcts (a count above 0 for those is an error, as is a count
    out of range). ``None`` means the default."""
    from agentarch.errors import ConfigError

    for name, value, most in (("bootstrap demos (--bootstrap-demos)", demos, MAX_DEMOS),
                              ("proposed instructions (--propose-instructions)", instructions, MAX_INSTRUCTIONS)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most):
            raise ConfigError(f"{name} must be a whole number from 0 to {most} (0 turns it off), got {value!r}")
        if value and optimizer not in TYPED:
            raise ConfigError(f"{name} apply to the typed-space optimizers ({', '.join(TYPED)}), "
                              f"not to '{optimizer}'; leave them out or give 0")
    if optimizer not in TYPED:
        return 0, 0
    return (DEFAULT_DEMOS if demos is None else demos,
            DEFAULT_INSTRUCTIONS if instructions is None else instructions)


def tries_for(demos: int, instructions: int, budget_calls: int | None = None) -> int:
    """Training examples bootstrapping may try: twice the demos wanted (at least ``FAILURE_TRIES``
    when instructions are wanted), and at most a quarter of a call budget."""
    tries = max(2 * demos, FAILURE_TRIES if instructions else 0)
    if budget_calls is not None:
        tries = min(tries, max(1, budget_calls // BUDGET_SHARE))
    return tries


def existing_instructions() -> list[str]:
    """The instructions blocks already offer (a proposal repeating one is a duplicate)."""
    from agentarch.blocks.cot import INSTRUCTIONS

    return [STEP_BY_STEP, *INSTRUCTIONS.values()]


def apply(space: Space, data: dict) -> dict:
    """Put a recorded proposal's demos and instructions into ``space``; what changed."""
    sets = demo_sets(data.get("demos") or [])
    return {"demo_sets": len(sets) if space.use_demo_sets(sets) else 0,
            "instruction_blocks": space.add_instructions(data.get("instructions") or [])}


def recorded(store: Store, run_id: str) -> dict | None:
    for row in reversed(store.events(run_id)):
        if row["kind"] == EVENT:
            return json.loads(row["data"])
    return None


def _sent(meter) -> int:
    return meter.used.calls if meter is not None else 0


async def prepare_space(space: Space, evaluator, store: Store, run_id: str, train, *, demos: int,
                        instructions: int, meta: Context | None = None, meta_meter=None,
                        task_description: str = "", max_tries: int | None = None,
                        on_event: Callable[[str, dict], None] | None = None) -> dict:
    """Bootstrap ``demos`` demos and propose ``instructions`` instructions with ``meta`` for
    ``space`` (changed in place), or replay what this run recorded. Returns the recorded data:
    ``demos`` ([question, trace] pairs), ``instructions``, ``dropped`` (drop reason -> count),
    ``rejected`` ([text, reason] pairs), ``tried``/``correct`` training examples, ``calls_sent``
    (bootstrap calls on the search model) and ``meta_calls`` / ``meta_calls_sent``, plus
    ``applied`` (demo sets and instruction blocks now in the space) and ``replayed``."""
    data = recorded(store, run_id)
    if data is not None:
        out = {**data, "applied": apply(space, data), "replayed": True}
        if on_event:
            on_event(EVENT, out)
        return out
    demos = demos if "fewshot" in space.blocks else 0  # demos nothing can show are not paid for
    instructions = instructions if space.instruction_blocks() and meta is not None else 0
    data = {"demos": [], "instructions": [], "dropped": {}, "rejected": [], "tried": 0, "correct": 0,
            "calls_sent": 0, "meta_calls": 0, "meta_calls_sent": 0, "complete": True}
    if demos or instructions:
        meter = getattr(getattr(evaluator, "stack", None), "meter", None)
        before = _sent(meter)
        tries = max_tries if max_tries is not None else tries_for(demos, instructions)
        boot = await bootstrap(evaluator, train, demos, run_id=run_id, max_tries=tries,
                               failures_wanted=FAILURES_WANTED if instructions else 0)
        data.update(demos=[list(d) for d in boot.demos], dropped=boot.dropped, tried=boot.tried,
                    correct=boot.correct, complete=boot.complete, failures=len(boot.failures))
        if instructions and boot.complete:
            meta_before = _sent(meta_meter)
            props = await propose_instructions(meta, task_description, boot.failures, instructions,
                                               existing_instructions())
            data.update(instructions=props.kept, rejected=[list(r) for r in props.rejected],
                        meta_calls=props.calls, meta_calls_sent=_sent(meta_meter) - meta_before,
                        complete=props.complete)
        data["calls_sent"] = _sent(meter) - before
    store.event(run_id, EVENT, data)
    out = {**data, "applied": apply(space, data), "replayed": False}
    if on_event:
        on_event(EVENT, out)
    return out
