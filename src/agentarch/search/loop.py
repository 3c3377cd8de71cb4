"""The search loop: baselines first, then propose -> evaluate on validation -> record -> repeat;
finally the honest part: the best baseline measured a second time on validation with fresh calls
(its noise floor, ``measure_noise``), then promotion of the top designs to the untouched test split,
where a gain must exceed that floor to be called better.

Stops when the model budget runs out (the evaluator returns an incomplete summary), after
``max_rounds`` proposal rounds, after ``patience`` rounds without a better objective value, when
the optimizer says it has converged, or when it keeps proposing nothing new. The best design so
far is written to the store after every evaluation (an ``evaluated`` event and the run summary).

Resume: optimizers are deterministic given their seeded rng and the history, evaluations come from
the store's results table and model calls from its cache, so rerunning the same search replays
the same proposals at no cost and carries on where the killed process stopped. Events already
recorded are not written again, and the call/token budget of the rerun is what the run had left
(the cumulative spend is kept in the events), so a resumed search spends the budget once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from agentarch.blocks.spec import DesignSpec
from agentarch.errors import BudgetExceeded
from agentarch.search.base import Candidate, Optimizer, Scored
from agentarch.search.pareto import DEFAULT_LAMBDA, check_objective, pareto_front, value_of
from agentarch.search.race import RaceConfig
from agentarch.store.db import Store

DEFAULTS = {"max_rounds": 20, "patience": 6, "top_k": 3, "empty_rounds": 3, "failures": 3}

EventFn = Callable[[str, dict], None]


@dataclass
class SearchResult:
    """What a search found. ``curve`` is the anytime curve: one point per evaluation,
    ``{"calls", "tokens", "best", "score", "design"}`` with cumulative calls/tokens sent."""

    run_id: str
    history: list[Scored]
    best: Scored | None
    stop_reason: str
    baselines: dict[str, str]  # baseline name -> design id
    curve: list[dict] = field(default_factory=list)
    spent: dict = field(default_factory=dict)
    report: dict | None = None  # promotion report (search/promote.py)
    noise: dict | None = None  # the best baseline's noise floor on validation (measure_noise)
    screened: list[Scored] = field(default_factory=list)  # designs a race stopped on part of validation
    race: dict | None = None  # racing: config, counts and one row per raced design (race_summary)

    def by_id(self, design_id: str) -> Scored | None:
        return next((s for s in self.history if s.id == design_id), None)


def scored_dict(s: Scored, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> dict:
    c = s.candidate
    return {"design": s.id, "label": c.spec.label(), "origin": c.origin, "parent": c.parent, "note": c.note,
            "score": s.score, "low": s.low, "high": s.high, "tokens": s.tokens, "calls": s.calls,
            "value": value_of(s, objective, lam)}


def _meter(evaluator):
    stack = getattr(evaluator, "stack", None)
    return getattr(stack, "meter", None)


def _unaffordable(meter, ref: Scored, n: int) -> str:
    """Why the budget left cannot pay for ``n`` more examples of ``ref`` (empty when it can)."""
    if meter is None:
        return ""
    b, used = meter.budget, meter.used
    need_calls, need_tokens = math.ceil(ref.calls * n), math.ceil(ref.tokens * n)
    if b.calls is not None and b.calls - used.calls < need_calls:
        return f"the search budget had {max(0, b.calls - used.calls)} calls left, the repeat needs about {need_calls}"
    if b.tokens is not None and b.tokens - used.tokens < need_tokens:
        return f"the search budget had {max(0, b.tokens - used.tokens)} tokens left, the repeat needs about {need_tokens}"
    return ""


async def _with_coverage(first: list[Candidate], optimizer: Optimizer, race,
                         budget_calls: float | None, n_val: int) -> tuple[list[Candidate], list[str]]:
    """The first batch with one default design of every block family of the optimizer's space
    (built from the registry when it has none) that is not a baseline, all cheapest first, less the
    families that would take the batch past ``race.coverage_share`` of the call budget (their
    labels are returned too)."""
    from agentarch.search.race import cheapest_first, family_designs, within_coverage_share
    from agentarch.search.space import Space

    space = optimizer.env.options.get("space") or Space.from_registry(train=optimizer.env.train)
    ids = {c.spec.id for c in first}
    cands = list(first) + [Candidate(spec, origin="coverage", note=f"block family {spec.block}")
                           for spec in family_designs(space) if spec.id not in ids]
    order = await cheapest_first([c.spec for c in cands])
    kept, left_out = within_coverage_share(order, ids, race.sizes(n_val)[0], budget_calls,
                                           race.coverage_share)
    by_id = {c.spec.id: c for c in cands}
    return [by_id[spec.id] for spec in kept], [spec.label() for spec in left_out]


def race_summary(race, raced: list[dict], n_val: int, left_out: list[str] = (),
                 unaffordable: list[str] = ()) -> dict:
    """What racing did: its settings, how many designs were screened, how many reached the whole
    validation split, how many were dropped or cut, the calls sent for each design, and the
    proposals not raced because they could not pay for the first rung."""
    if race is None:
        return {"enabled": False}
    count = {k: sum(1 for r in raced if r["outcome"] == k) for k in ("full", "dropped", "cut", "held")}
    return {"enabled": True, **race.to_dict(), "val": n_val, "screened": len(raced),
            "reached_full": count["full"], "dropped": count["dropped"], "cut": count["cut"],
            "held": count["held"],
            "calls_full": sum(r["calls_sent"] for r in raced if r["outcome"] == "full"),
            "calls_stopped": sum(r["calls_sent"] for r in raced if r["outcome"] != "full"),
            "coverage_left_out": list(left_out), "unaffordable": list(unaffordable), "designs": raced}


async def measure_noise(evaluator, store: Store, run_id: str, history: list[Scored], baseline_ids: dict[str, str],
                        val, *, objective: str = "accuracy", lam: float = DEFAULT_LAMBDA) -> dict:
    """Measure the best baseline (by validation) a second time on ``val`` with fresh calls
    (``repeat=1``), paid from the search budget, and return its noise floor (``runtime/noise.py``):
    ``{"measured": True, "design", "label", "floor", "flips", "n", "accuracies", ...}`` or
    ``{"measured": False, "reason": ...}`` when there is no baseline or the budget cannot pay.
    Recorded as a ``noise`` event; a resumed run reuses a recorded measurement."""
    import json

    from agentarch.runtime.noise import noise_floor
    from agentarch.search.promote import best_baseline

    for row in reversed(store.events(run_id)):
        if row["kind"] == "noise":
            data = json.loads(row["data"])
            if data.get("measured"):
                return {**data, "replayed": True}
            break
    ref = best_baseline(history, baseline_ids, objective, lam)
    if ref is None:
        out = {"measured": False, "reason": "no baseline was evaluated"}
    elif why := _unaffordable(_meter(evaluator), ref, len(val)):
        out = {"measured": False, "design": ref.id, "reason": why}
    else:
        spec = ref.candidate.spec
        meter = _meter(evaluator)
        before = meter.used.calls if meter is not None else 0
        first = await evaluator.evaluate(spec, val, "val", run_id, role="baseline")
        again = await evaluator.evaluate(spec, val, "val", run_id, role="baseline", repeat=1)
        if not (first.complete and again.complete):
            out = {"measured": False, "design": ref.id, "reason": "the search budget ran out during the repeat"}
        else:
            out = {"measured": True, "design": ref.id, "label": spec.label(), "split": "val",
                   "calls_sent": (meter.used.calls - before) if meter is not None else None,
                   **noise_floor([first.scores, again.scores]).to_dict()}
    store.event(run_id, "noise", out)
    return out


async def run_search(task, optimizer: Optimizer, evaluator, store: Store, run_id: str, *, val, test,
                     baselines: dict[str, DesignSpec], objective: str = "accuracy",
                     max_rounds: int = DEFAULTS["max_rounds"], patience: int = DEFAULTS["patience"],
                     on_event: EventFn | None = None, lam: float = DEFAULT_LAMBDA,
                     test_evaluator=None, top_k: int = DEFAULTS["top_k"], promote: bool = True,
                     config: dict | None = None, race: RaceConfig | None = None,
                     before_search: Callable[[], Awaitable[object]] | None = None) -> SearchResult:
    """Search designs for ``task`` with ``optimizer``, selecting on ``val``; then promote the top
    designs (top-k by the objective, the validation Pareto front, the best baseline) to ``test``,
    measured with ``test_evaluator`` (default: ``evaluator``) so the search budget cannot starve it.

    ``on_event(kind, data)`` sees every event as it happens (``proposal``, ``evaluated``,
    ``stopped``, ``noise``, ``promotion``, ``promoted``, ``done``); ``replayed`` is true in data for events a
    resumed run had already recorded. The run is created (or resumed) in ``store`` under ``run_id``.
    ``before_search()`` is awaited after the baselines, before the optimizer's first proposal
    (bootstrapped demos and proposed instructions, ``search/proposals.py``); its calls count as spent.

    ``race`` (a ``search.race.RaceConfig``) races every batch -- the baselines with one design of
    every block family first, then each round's proposals -- on growing prefixes of ``val``
    (``search/race.py``); ``screened`` events mark survivors of the first rung. Without it every
    design is measured on the whole of ``val``. Optimizers see designs a race dropped or cut with
    ``Scored.partial`` set and ``Scored.n`` examples; only fully measured designs are selected,
    promoted and reported as best.
    """
    check_objective(objective)
    if not val:
        from agentarch.errors import ConfigError

        raise ConfigError(f"the validation split of '{task.name}' is empty; the search has nothing to select on")
    resumed = store.start_run(run_id, "search", config or {"task": task.name, "optimizer": optimizer.name})

    # -- what an earlier process of this run already recorded --------------------------------
    seen_events: dict[tuple[str, str], dict] = {}
    prior_calls = prior_tokens = 0
    for row in store.events(run_id):
        import json

        data = json.loads(row["data"])
        if row["kind"] in ("proposal", "evaluated", "screened", "unaffordable") and "design" in data:
            seen_events.setdefault((row["kind"], data["design"]), data)
        if row["kind"] in ("evaluated", "screened"):
            prior_calls = max(prior_calls, data.get("spent_calls", 0))
            prior_tokens = max(prior_tokens, data.get("spent_tokens", 0))
    meter = _meter(evaluator)
    if meter is not None and resumed and (prior_calls or prior_tokens):
        b = meter.budget
        left = b.model_copy(update={
            "calls": None if b.calls is None else max(0, b.calls - prior_calls),
            "tokens": None if b.tokens is None else max(0, b.tokens - prior_tokens)})
        meter.budget = left

    def spent() -> tuple[int, int]:
        if meter is None:
            return prior_calls, prior_tokens
        return prior_calls + meter.used.calls, prior_tokens + meter.used.tokens

    history: list[Scored] = []  # designs measured on the whole of val
    seen: list[Scored] = []  # everything the optimizer sees, partial measurements included, in order
    screened: list[Scored] = []  # designs a race stopped on part of val
    per_example: dict[str, dict] = {}  # fully measured design -> example id -> ExampleResult
    raced: list[dict] = []  # one row per raced design: outcome, examples, calls sent
    evaluated: dict[str, Scored] = {}
    curve: list[dict] = []
    baseline_ids: dict[str, str] = {}
    best: Scored | None = None
    examples = {e.id: e for e in val}

    def emit(kind: str, data: dict, key: str | None = None) -> dict:
        replayed = key is not None and (kind, key) in seen_events
        if replayed:
            data = {**seen_events[(kind, key)], "replayed": True}
        else:
            store.event(run_id, kind, data)
        if on_event:
            on_event(kind, data)
        return data

    def record(c: Candidate, rnd: int, ordered: list, complete: bool, race_info: dict | None = None) -> Scored | None:
        """Score ``c`` from its per-example results (in val order), keep it where it belongs, emit
        its ``evaluated`` event; returns the Scored when the measurement ended as decided."""
        nonlocal best
        from agentarch.runtime.evaluator import cost_tokens
        from agentarch.runtime.stats import bootstrap_mean

        spec = c.spec
        n = len(ordered)
        acc = bootstrap_mean([r.score for r in ordered])
        errors = sorted({r.error for r in ordered if r.error})[:5]
        failures = [{"input": examples[r.example_id].input, "target": examples[r.example_id].target,
                     "answer": r.answer} for r in ordered if r.score < 1][:DEFAULTS["failures"]]
        tokens = sum(cost_tokens(r) for r in ordered) / n if n else 0.0
        ncalls = sum(r.calls for r in ordered) / n if n else 0.0
        full = complete and n == len(val)
        s = Scored(c, acc.mean, acc.low, acc.high, tokens, ncalls, errors, failures, n=n, partial=not full)
        calls, spent_tokens = spent()
        if complete:
            evaluated[s.id] = s
            if n:
                seen.append(s)
            if full:
                history.append(s)
                per_example[s.id] = {r.example_id: r for r in ordered}
                if best is None or value_of(s, objective, lam) > value_of(best, objective, lam):
                    best = s
            else:
                screened.append(s)
        point = {"design": s.id, "label": spec.label(), "score": None if math.isnan(s.score) else s.score,
                 "low": s.low, "high": s.high, "tokens": s.tokens, "calls": s.calls, "n": n,
                 "complete": complete, "full": full, "origin": c.origin, "round": rnd,
                 "spent_calls": calls, "spent_tokens": spent_tokens,
                 "best": scored_dict(best, objective, lam) if best else None}
        if race_info is not None:
            point["race"] = race_info
        rec = emit("evaluated", point, s.id if complete else None)
        if race_info is not None and complete:
            raced.append({"design": s.id, "label": spec.label(), "origin": c.origin, "round": rnd,
                          "score": rec.get("score"), **rec.get("race", race_info)})
        curve.append({"design": s.id, "calls": rec["spent_calls"], "tokens": rec["spent_tokens"],
                      "score": point["score"] if full else None,
                      "best": value_of(best, "accuracy") if best else None,
                      "best_value": value_of(best, objective, lam) if best else None,
                      "origin": c.origin, "n": n})
        store.set_summary(run_id, {"best": scored_dict(best, objective, lam) if best else None,
                                   "evaluated": len(history), "screened": len(screened),
                                   "spent_calls": calls, "spent_tokens": spent_tokens})
        return s if complete else None

    async def evaluate(c: Candidate, role: str, rnd: int) -> Scored | None:
        """Validation result of ``c`` on the whole of ``val``; None when the budget ran out before it was complete."""
        collected = []
        summary = await evaluator.evaluate(c.spec, val, "val", run_id, on_result=collected.append, role=role)
        by_id = {r.example_id: r for r in collected}
        return record(c, rnd, [by_id[e.id] for e in val if e.id in by_id], summary.complete)

    racer = None
    if race is not None:
        from agentarch.search.race import Race

        def left() -> tuple:
            if meter is None:
                return None, None
            b, used = meter.budget, meter.used
            return (None if b.calls is None else max(0, b.calls - used.calls),
                    None if b.tokens is None else max(0, b.tokens - used.tokens))

        async def measure(lane, exs, more_calls, more_tokens) -> bool:
            collected = []
            saved = meter.budget if meter is not None else None
            capped = False
            if meter is not None:
                b, used, upd = meter.budget, meter.used, {}
                if more_calls is not None and (b.calls is None or used.calls + more_calls < b.calls):
                    upd["calls"] = used.calls + more_calls
                if more_tokens is not None and (b.tokens is None or used.tokens + more_tokens < b.tokens):
                    upd["tokens"] = used.tokens + more_tokens
                if upd:
                    meter.budget, capped = b.model_copy(update=upd), True
            before = (meter.used.calls, meter.used.tokens) if meter is not None else (0, 0)
            try:
                summary = await evaluator.evaluate(lane.candidate.spec, exs, "val", run_id,
                                                   on_result=collected.append, role=lane.role)
            finally:
                if meter is not None:
                    meter.budget = saved
            if meter is not None:
                lane.calls_sent += meter.used.calls - before[0]
                lane.tokens_sent += meter.used.tokens - before[1]
            by_id = {**lane.results, **{r.example_id: r for r in collected}}
            prefix = {}
            for e in exs:  # the measured prefix: a result past a gap is stored but not counted
                if e.id not in by_id:
                    break
                prefix[e.id] = by_id[e.id]
            lane.results, lane.n, lane.summary = prefix, len(prefix), summary
            return summary.complete or capped

        def rivals() -> list:
            if not history:
                return []
            pool = pareto_front(history) if objective == "pareto" else [best]
            return [(s.id, per_example[s.id], s.tokens) for s in pool if s.id in per_example]

        racer = Race(race, val, objective, lam, measure, rivals, left)

    def lane_begin(lane) -> None:
        c = lane.candidate
        racer.start(lane)
        data = {"design": c.spec.id, "label": c.spec.label(), "origin": c.origin, "parent": c.parent,
                "note": c.note[:500], "round": lane.round, "spec": c.spec.to_dict(),
                "cap_calls": lane.cap_calls, "cap_tokens": lane.cap_tokens}
        rec = emit("proposal", data, c.spec.id)
        if rec.get("replayed") and "cap_calls" in rec:  # the caps and steps the first run took, replayed
            ended = seen_events.get(("evaluated", c.spec.id), {}).get("race")
            racer.start(lane, rec, ended)

    def lane_screened(lane) -> None:
        calls, tokens = spent()
        emit("screened", {"design": lane.id, "label": lane.candidate.spec.label(), "n": lane.n,
                          "score": lane.value("accuracy", 0.0), "round": lane.round,
                          "calls_sent": lane.calls_sent, "spent_calls": calls, "spent_tokens": tokens}, lane.id)

    def lane_finish(lane) -> None:
        ordered = [lane.results[e.id] for e in val[:lane.n]]
        record(lane.candidate, lane.round, ordered, lane.outcome != "budget", lane.info(len(val), race))

    async def run_batch(cands: list[Candidate], role_of, rnd: int) -> bool:
        """Measure a batch (raced, or each on the whole of val); False when the budget ran out."""
        if racer is None:
            for c in cands:
                emit("proposal", {"design": c.spec.id, "label": c.spec.label(), "origin": c.origin,
                                  "parent": c.parent, "note": c.note[:500], "round": rnd,
                                  "spec": c.spec.to_dict()}, c.spec.id)
                if await evaluate(c, role_of(c), rnd) is None:
                    return False
            return True
        from agentarch.search.race import Lane

        lanes = [Lane(c, role_of(c), rnd) for c in cands]
        return await racer.run(lanes, lane_begin, lane_screened, lane_finish)

    unaffordable: dict[str, str] = {}  # proposals not raced: design id -> label

    async def affordable(c: Candidate, rnd: int) -> bool:
        """Whether a proposal is raced: not when its dry run says it cannot pay for the first rung
        within its share (``Race.unaffordable``). A resumed run takes the first run's decision."""
        from agentarch.search.race import dry_run_calls

        key = c.spec.id
        if ("proposal", key) in seen_events:
            return True
        if ("unaffordable", key) not in seen_events:
            why = racer.unaffordable(await dry_run_calls(c.spec))
            if not why:
                return True
        else:
            why = seen_events[("unaffordable", key)].get("reason", "")
        unaffordable[key] = c.spec.label()
        emit("unaffordable", {"design": key, "label": c.spec.label(), "origin": c.origin, "round": rnd,
                              "reason": why}, key)
        return False

    stop = ""
    # -- baselines (and, when racing, one design of every block family) -------------------------
    first: list[Candidate] = []
    for name, spec in baselines.items():
        baseline_ids[name] = spec.id
        if spec.id not in evaluated and all(c.spec.id != spec.id for c in first):
            first.append(Candidate(spec, origin="baseline", note=name))
    left_out: list[str] = []
    if race is not None and race.coverage:
        # the whole call budget (a resumed run's meter holds only what was left), so a rerun splits alike
        budget_calls = None if meter is None or meter.budget.calls is None else meter.budget.calls + prior_calls
        first, left_out = await _with_coverage(first, optimizer, race, budget_calls, len(val))
    if not await run_batch(first, lambda c: "baseline" if c.origin == "baseline" else "candidate", 0):
        stop = "budget"

    if before_search is not None and not stop:
        await before_search()

    # -- propose -> evaluate -> record ----------------------------------------------------------
    rnd = 0
    since_better = 0
    empty = 0
    while not stop:
        if rnd >= max_rounds:
            stop = "rounds"
            break
        rnd += 1
        before = value_of(best, objective, lam) if best else float("-inf")
        try:
            cands = await optimizer.propose(list(seen))
        except BudgetExceeded:
            stop = "budget"
            break
        fresh, ids = [], set()
        for c in cands:
            if c.spec.id in evaluated or c.spec.id in ids or c.spec.id in unaffordable:
                continue
            ids.add(c.spec.id)
            fresh.append(c)
        proposed = bool(fresh)
        if racer is not None and race.skip_unaffordable:
            fresh = [c for c in fresh if await affordable(c, rnd)]
        if not fresh:
            empty += 1
            if empty >= DEFAULTS["empty_rounds"]:
                stop = "budget" if proposed else "exhausted"
            continue
        empty = 0
        if not await run_batch(fresh, lambda c: "candidate", rnd):
            stop = "budget"
            break
        after = value_of(best, objective, lam) if best else float("-inf")
        since_better = 0 if after > before else since_better + 1
        if since_better >= patience:
            stop = "patience"
        elif optimizer.converged(list(seen)):
            stop = "converged"

    calls, tokens = spent()
    result = SearchResult(run_id, history, best, stop, baseline_ids, curve,
                          {"calls": calls, "tokens": tokens, "rounds": rnd}, screened=screened,
                          race=race_summary(race, raced, len(val), left_out, list(unaffordable.values())))
    emit("stopped", {"reason": stop, "rounds": rnd, "evaluated": len(history), "screened": len(screened),
                     "spent_calls": calls,
                     "spent_tokens": tokens, "best": scored_dict(best, objective, lam) if best else None})

    # -- promotion to the held-out test split ---------------------------------------------------
    if promote and test and history:
        from agentarch.search.promote import promote as do_promote

        noise = await measure_noise(evaluator, store, run_id, history, baseline_ids, val, objective=objective, lam=lam)
        result.noise = noise
        if on_event:
            on_event("noise", noise)
            on_event("promotion", {"test": len(test)})
        result.report = await do_promote(test_evaluator or evaluator, run_id, history, baseline_ids, test,
                                         top_k=top_k, objective=objective, lam=lam, on_event=on_event,
                                         noise=noise)
    summary = {"best": scored_dict(best, objective, lam) if best else None, "stop_reason": stop,
               "evaluated": len(history), "spent_calls": calls, "spent_tokens": tokens,
               "pareto": [s.id for s in pareto_front(history)],
               "race": result.race, "report": result.report}
    store.finish_run(run_id, "done", summary)
    if on_event:
        on_event("done", {"reason": stop})
    return result
