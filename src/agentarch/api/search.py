"""``aa.search`` / ``aa.asearch``: the one place that wires a search together — task and split, model
stacks (search, test and meta), store, evaluators, the optimizer with its typed options — and runs
it (``search/loop.py``). ``agentarch search`` calls ``plan_search`` and ``SearchPlan.run`` too, so
the command line and the Python API run the same search under the same run id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from agentarch.api.evaluate import as_budget, as_task
from agentarch.api.model import Model, as_model
from agentarch.api.runs import run_fingerprint, run_id_of
from agentarch.api.settings import db_path
from agentarch.api.sync import run_sync
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError

DEFAULTS = {"optimizer": "evolve", "baselines": "direct,cot,cot_sc", "rounds": 20, "patience": 6,
            "objective": "accuracy", "lambda": 0.05, "top_k": 3, "seed": 0, "concurrency": 8,
            "batch": 2, "population": 8}

EventFn = Callable[[str, dict], None]


@dataclass
class SearchRun:
    """What a search found: ``best`` (the best design by validation, a ``DesignSpec``), ``winner``
    (the design the promotion to test recommends, if any), ``report`` (everything ``report.json``
    holds: every evaluated design, the Pareto front, the anytime curve, the noise floor and the
    test promotion with intervals), ``result`` (the loop's ``SearchResult``)."""

    run_id: str
    task: str
    optimizer: str
    config: dict
    result: Any  # search.loop.SearchResult
    report: dict
    stats: dict = field(default_factory=dict)
    folder: Optional[Path] = None

    @property
    def best(self) -> Optional[DesignSpec]:
        return self.result.best.candidate.spec if self.result.best else None

    @property
    def winner(self) -> Optional[DesignSpec]:
        promo = self.result.report or {}
        wid = promo.get("winner")
        if isinstance(wid, dict):
            wid = wid.get("design")
        found = self.result.by_id(wid) if wid else None
        return found.candidate.spec if found else None

    @property
    def stop_reason(self) -> str:
        return self.result.stop_reason

    def to_records(self) -> list[dict]:
        """One row per evaluated design: label, origin, validation score with its interval, cost."""
        return [dict(row) for row in self.report["evaluated"]]

    def to_pandas(self):
        """``to_records()`` as a pandas DataFrame (needs pandas)."""
        from agentarch.api.frames import data_frame

        return data_frame(self.to_records())

    def __str__(self) -> str:
        best = self.result.best
        line = f"search {self.run_id} ({self.optimizer} on {self.task}): stopped by {self.stop_reason}"
        if best:
            line += f"; best on validation {best.candidate.spec.label()} {best.score:.3f} [{best.low:.3f}, {best.high:.3f}]"
        return line


def _baselines(value: Any) -> dict[str, DesignSpec]:
    from agentarch.api.designs import design
    from agentarch.blocks.presets import parse_baselines

    if value is None:
        return {}
    if isinstance(value, str):
        return parse_baselines(value)
    if isinstance(value, dict):
        return {str(k): design(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return parse_baselines(",".join(str(v) for v in value)) if value else {}
    raise ConfigError(f"baselines must be a comma list, a list of preset names or a dict name -> design, "
                      f"not {type(value).__name__}")


def _race(value: Any):
    """``race`` as a ``RaceConfig`` (None: no racing): True (the defaults of ``search/race.py``),
    False/None, a ``RaceConfig``, a comma list of rungs ("8,20") or a dict of its fields."""
    from agentarch.search.race import RaceConfig, parse_rungs

    if value is True:
        return RaceConfig()
    if value is False or value is None:
        return None
    if isinstance(value, RaceConfig):
        return value
    if isinstance(value, str):
        return RaceConfig(rungs=parse_rungs(value))
    if isinstance(value, dict):
        known = set(RaceConfig.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError(f"race: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        given = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in value.items()}
        if "rungs" in given:
            given["rungs"] = parse_rungs(",".join(map(str, given["rungs"])))
        return RaceConfig(**given)
    raise ConfigError(f"race must be true/false, a comma list of rungs or a dict, not {type(value).__name__}")


def _models(value: Any, model: Model) -> list[str]:
    """The models a search may give designs (a comma list or a list of names), each one the search
    model can open (an embedded preset or .gguf file, a server's model, a named scripted model);
    the search model's own id counts as its name."""
    if value is None or value == "":
        return []
    names = [m.strip() for m in value.split(",")] if isinstance(value, str) else [str(m).strip() for m in value]
    out = []
    for name in filter(None, names):
        name = model.name if name == model.id else name
        if not model.can_open(name):
            from agentarch.llm.weights import PRESETS

            known = ", ".join(model.named or {}) if model.kind == "scripted" else ", ".join(PRESETS) + " or a .gguf file"
            raise ConfigError(f"models: unknown model '{name}' for {model.id}; known: {known or 'none'}")
        out.append(name)
    return list(dict.fromkeys(out))


def _blocks(value: Any) -> Optional[list[str]]:
    if value is None or value == "":
        return None
    names = [b.strip() for b in value.split(",")] if isinstance(value, str) else [str(b) for b in value]
    return [b for b in names if b] or None


@dataclass
class SearchPlan:
    """A search ready to run: everything built, nothing evaluated yet."""

    task: Any
    optimizer_name: str
    optimizer: Any
    config: dict
    run_id: str
    resumed: bool
    store: Any
    val: list
    test: list
    train: list
    baselines: dict[str, DesignSpec]
    evaluator: Any
    test_evaluator: Any
    meta_stack: Any
    objective: str
    lam: float
    rounds: int
    patience: int
    top_k: int
    race: Any = None  # search.race.RaceConfig, or None: every design measured on all of validation
    proposals: Optional[dict] = None  # prepare_space arguments: demos, instructions, meta, meta_meter, max_tries

    @property
    def stack(self):
        return self.evaluator.stack

    async def run(self, on_event: Optional[EventFn] = None, out: Any = None) -> SearchRun:
        """Run the search loop, promote to test, close the model stacks; write ``out/<run_id>/``
        (``report.json``, ``anytime.png``) when ``out`` is given."""
        from agentarch.search.loop import run_search
        from agentarch.search.report import build_report, write_run_folder

        before_search = None
        if self.proposals:
            from agentarch.search.proposals import prepare_space

            async def before_search():
                return await prepare_space(self.optimizer.env.options["space"], self.evaluator, self.store,
                                           self.run_id, self.train, task_description=self.task.description,
                                           on_event=on_event, **self.proposals)
        try:
            result = await run_search(self.task, self.optimizer, self.evaluator, self.store, self.run_id,
                                      val=self.val, test=self.test, baselines=self.baselines,
                                      objective=self.objective, lam=self.lam, max_rounds=self.rounds,
                                      patience=self.patience, on_event=on_event,
                                      test_evaluator=self.test_evaluator, top_k=self.top_k, config=self.config,
                                      race=self.race, before_search=before_search)
        finally:
            await self.aclose()
        stats = dict(getattr(self.optimizer, "stats", {}) or {})
        report = build_report(result, self.config, self.objective, self.lam)
        if stats:
            report["optimizer_stats"] = stats
        folder = None
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
            folder = write_run_folder(out, result, self.config, self.objective, self.lam, optimizer_stats=stats)
        return SearchRun(self.run_id, self.task.name, self.optimizer_name, self.config, result, report, stats, folder)

    async def aclose(self) -> None:
        await self.evaluator.stack.aclose()
        if self.test_evaluator.stack is not self.evaluator.stack:
            await self.test_evaluator.stack.aclose()
        if self.meta_stack is not None:
            await self.meta_stack.aclose()


def plan_search(task: Any, optimizer: str = DEFAULTS["optimizer"], budget: Any = None, *, model: Any = None,
                db: Any = None, baselines: Any = DEFAULTS["baselines"], blocks: Any = None,
                rounds: int = DEFAULTS["rounds"], patience: int = DEFAULTS["patience"],
                objective: str = DEFAULTS["objective"], lam: float = DEFAULTS["lambda"],
                top_k: int = DEFAULTS["top_k"], val_limit: Optional[int] = None, test_limit: Optional[int] = None,
                seed: int = DEFAULTS["seed"], optimizer_options: Optional[dict] = None,
                meta_model: Any = None, test_budget: Any = None, concurrency: int = DEFAULTS["concurrency"],
                input_field: Optional[str] = None, target_field: Optional[str] = None,
                metric: Optional[str] = None, race: Any = True, bootstrap_demos: Optional[int] = None,
                propose_instructions: Optional[int] = None, models: Any = None) -> SearchPlan:
    """Build a search (see ``asearch`` for the arguments) without running it. Every user mistake
    — unknown optimizer, bad option, unknown block or baseline, empty split — fails here, before
    a model is loaded."""
    from agentarch.blocks.context import Context
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.search.base import SearchEnv
    from agentarch.search.pareto import check_objective
    from agentarch.search.proposals import proposal_counts, tries_for
    from agentarch.search.registry import check_options, optimizer_class
    from agentarch.search.space import Space
    from agentarch.store.db import Store
    from agentarch.tasks.task import limit as take

    check_objective(objective)
    cls = optimizer_class(optimizer)  # unknown name, missing module
    only = _blocks(blocks)
    given = dict(optimizer_options or {})
    if only and "blocks" in cls.Options.model_fields:
        given.setdefault("blocks", only)  # mcts edits only with these blocks
    options = check_options(optimizer, given)
    n_demos, n_instructions = proposal_counts(optimizer, bootstrap_demos, propose_instructions)
    base_specs = _baselines(baselines)
    the_task = as_task(task, input_field, target_field, metric)
    the_model = as_model(model)
    meta = as_model(meta_model) if meta_model is not None else None
    model_names = _models(models, the_model)
    search_budget = as_budget(budget)
    parts = the_task.split(seed=seed)
    val, test = take(parts.val, val_limit), take(parts.test, test_limit)
    if not val:
        raise ConfigError(f"the validation split of '{the_task.name}' is empty")
    space = Space.from_registry(train=parts.train, only=only) if optimizer in ("evolve", "tpe", "random") else None
    if space is not None and model_names:
        space = space.with_models(model_names, the_model.name)

    defaults = cls.Options()
    extra = {k: v for k, v in options.model_dump(mode="json").items()
             if k not in ("batch", "population") and v != defaults.model_dump(mode="json")[k]}
    config = {"task": the_task.name, "metric": the_task.metric.name, "optimizer": optimizer, "seed": seed,
              "model": the_model.id, "meta_model": meta.name if meta else None,
              "budget_calls": search_budget.calls, "budget_tokens": search_budget.tokens,
              "budget_seconds": search_budget.seconds, "rounds": rounds, "patience": patience,
              "objective": objective, "lambda": lam, "baselines": list(base_specs), "blocks": only,
              "batch": getattr(options, "batch", DEFAULTS["batch"]),
              "population": getattr(options, "population", DEFAULTS["population"]),
              "val": [e.id for e in val][:3] + [len(val)], "test": len(test), "top_k": top_k,
              "bootstrap_demos": n_demos, "propose_instructions": n_instructions,
              "identity": run_fingerprint(the_task, [*val, *test])}
    if search_budget.dollars is not None:
        config["budget_dollars"] = search_budget.dollars
    if extra:
        config["options"] = extra
    if model_names:
        config["models"] = model_names
    race_cfg = _race(race)
    if race_cfg is not None:
        config["race"] = race_cfg.to_dict()
    run_id = run_id_of(config)

    store = Store(db_path(db))
    resumed = store.run(run_id) is not None
    stack = the_model.stack(store, search_budget)
    test_stack = the_model.stack(store, as_budget(test_budget))
    evaluator = Evaluator(the_task, stack, store, concurrency=concurrency)
    test_evaluator = Evaluator(the_task, test_stack, store, concurrency=concurrency)
    env = SearchEnv(rng=random.Random(seed), train=parts.train, task_description=the_task.description,
                    options={"objective": objective, "lambda": lam})
    if space is not None:
        env.options["space"] = space
    meta_stack = None
    if optimizer in ("meta", "mcts"):
        meta_stack = (meta or the_model).stack(store, None)
        env.meta = Context(model=meta_stack.model, max_tokens=1024)
        # Meta Agent Search smoke-runs each proposal once, in the sandbox, on the design model.
        from agentarch.runtime.sandbox import run_agent, run_code

        env.options["smoke_context"] = lambda: Context(model=stack.model, extract=the_task.metric.extract,
                                                       run_code=run_code, run_agent=run_agent)
        env.options["smoke_score"] = the_task.metric.score  # a wrong smoke answer gets a debug turn
    proposals = None
    if space is not None and (n_demos or n_instructions):
        # Demos and instructions found before the search (search/proposals.py); instructions are
        # written by meta_model when given (its own stack), else paid from the search budget.
        if n_instructions and meta is not None:
            meta_stack = meta.stack(store, None)
        writer = meta_stack or stack
        proposals = {"demos": n_demos, "instructions": n_instructions,
                     "meta": Context(model=writer.model, max_tokens=256), "meta_meter": writer.meter,
                     "max_tries": tries_for(n_demos, n_instructions, search_budget.calls)}
    opt = cls(env, options)
    return SearchPlan(the_task, optimizer, opt, config, run_id, resumed, store, val, test, parts.train, base_specs,
                      evaluator, test_evaluator, meta_stack, objective, lam, rounds, patience, top_k, race_cfg,
                      proposals)


async def asearch(task: Any, optimizer: str = DEFAULTS["optimizer"], budget: Any = None, *, model: Any = None,
                  db: Any = None, baselines: Any = DEFAULTS["baselines"], blocks: Any = None,
                  rounds: int = DEFAULTS["rounds"], patience: int = DEFAULTS["patience"],
                  objective: str = DEFAULTS["objective"], lam: float = DEFAULTS["lambda"],
                  top_k: int = DEFAULTS["top_k"], val_limit: Optional[int] = None,
                  test_limit: Optional[int] = None, seed: int = DEFAULTS["seed"],
                  optimizer_options: Optional[dict] = None, meta_model: Any = None, test_budget: Any = None,
                  concurrency: int = DEFAULTS["concurrency"], out: Any = None,
                  on_event: Optional[EventFn] = None, race: Any = True, bootstrap_demos: Optional[int] = None,
                  propose_instructions: Optional[int] = None, models: Any = None) -> SearchRun:
    """Search designs for ``task`` with ``optimizer`` (evolve, tpe, random, meta, mcts), selecting on
    the validation split, then re-measure the best ones and the best baseline on the untouched
    test split. ``budget`` caps the search (an int is model calls; or ``{"calls", "tokens",
    "seconds", "dollars"}``), ``test_budget`` the test measurement. ``optimizer_options`` set the
    optimizer's typed options (e.g. ``{"top_k": 4, "lam": 0.3}`` for mcts), validated with a
    one-line error; ``blocks`` restricts the typed space (evolve, tpe, random) and the blocks mcts
    edits with (its root is still the best baseline); ``meta_model`` writes designs
    for meta/mcts (default: ``model``) and proposes instructions for evolve/tpe/random. Before an
    evolve/tpe/random search, ``bootstrap_demos`` few-shot demos (default 8) are bootstrapped from
    the model's own correct chain-of-thought on training examples and ``propose_instructions``
    instructions (default 3) are proposed from its wrong answers (``search/proposals.py``; 0 turns
    either off). Rerunning the same search resumes from ``db``. ``out``
    also writes ``out/<run_id>/report.json`` and ``anytime.png``; ``on_event(kind, data)`` sees
    every event. ``race`` (default on) races designs on growing validation batches
    (``search/race.py``: True, False, rungs like "8,20", a ``RaceConfig`` or a dict of its fields).
    ``models`` (evolve/tpe/random; e.g. "qwen2.5-coder-0.5b,qwen2.5-coder-1.5b") adds a model
    dimension to the space: a design node may name any of them; the cost-aware and pareto
    objectives weigh each model's tokens by its relative price (``llm/relative_prices.py``)."""
    plan = plan_search(task, optimizer, budget, model=model, db=db, baselines=baselines, blocks=blocks,
                       rounds=rounds, patience=patience, objective=objective, lam=lam, top_k=top_k,
                       val_limit=val_limit, test_limit=test_limit, seed=seed, optimizer_options=optimizer_options,
                       meta_model=meta_model, test_budget=test_budget, concurrency=concurrency, race=race,
                       bootstrap_demos=bootstrap_demos, propose_instructions=propose_instructions,
                       models=models)
    try:
        return await plan.run(on_event, out)
    finally:
        plan.store.close()


def search(task: Any, optimizer: str = DEFAULTS["optimizer"], budget: Any = None, *, model: Any = None,
           db: Any = None, baselines: Any = DEFAULTS["baselines"], blocks: Any = None,
           rounds: int = DEFAULTS["rounds"], patience: int = DEFAULTS["patience"],
           objective: str = DEFAULTS["objective"], lam: float = DEFAULTS["lambda"],
           top_k: int = DEFAULTS["top_k"], val_limit: Optional[int] = None, test_limit: Optional[int] = None,
           seed: int = DEFAULTS["seed"], optimizer_options: Optional[dict] = None, meta_model: Any = None,
           test_budget: Any = None, concurrency: int = DEFAULTS["concurrency"], out: Any = None,
           on_event: Optional[EventFn] = None, race: Any = True, bootstrap_demos: Optional[int] = None,
           propose_instructions: Optional[int] = None, models: Any = None) -> SearchRun:
    """The synchronous twin of ``asearch`` (same arguments); works inside a notebook's loop too."""
    return run_sync(asearch(task, optimizer, budget, model=model, db=db, baselines=baselines, blocks=blocks,
                            rounds=rounds, patience=patience, objective=objective, lam=lam, top_k=top_k,
                            val_limit=val_limit, test_limit=test_limit, seed=seed,
                            optimizer_options=optimizer_options, meta_model=meta_model, test_budget=test_budget,
                            concurrency=concurrency, out=out, on_event=on_event, race=race,
                            bootstrap_demos=bootstrap_demos, propose_instructions=propose_instructions,
                            models=models))


__all__ = ["Model", "SearchPlan", "SearchRun", "asearch", "plan_search", "search"]
