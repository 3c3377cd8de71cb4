"""The search loop with the scripted toy model (tests/search_toy.py) and a real SQLite file:
evolution beats random search, TPE runs and records, the budget stops the search with the best
so far kept, the test split is untouched until promotion, duplicates are never evaluated twice."""

import asyncio
import json
import random

import pytest

import search_toy as toy
from agentarch.blocks.presets import baselines
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.budget import Budget
from agentarch.llm.client import stack
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.base import Candidate, Optimizer, SearchEnv
from agentarch.search.loop import run_search
from agentarch.search.pareto import objective_value, pareto_front
from agentarch.search.promote import significance
from agentarch.search.registry import make_optimizer
from agentarch.store.db import Store

COT = DesignSpec(block="cot")
CAREFUL = DesignSpec(block="cot", params={"instruction": "careful"})


def setup(tmp_path, budget=None, name="t.db"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = Store(tmp_path / name)
    task = toy.task()
    parts = task.split(seed=0)
    model = toy.model()
    ev = Evaluator(task, stack(model, store, budget), store, run_code=toy.no_code, run_agent=toy.no_agent)
    return store, task, parts, ev, model


def search(tmp_path, optimizer="evolve", seed=0, rounds=12, budget=None, test=False, base=("direct", "cot"),
           run_id="run", on_event=None, opt=None, **kw):
    store, task, parts, ev, model = setup(tmp_path, budget)
    env = SearchEnv(rng=random.Random(seed), train=parts.train, options=kw.pop("options", {}))
    opt = opt or make_optimizer(optimizer, env)
    res = asyncio.run(run_search(task, opt, ev, store, run_id, val=parts.val, test=parts.test if test else [],
                                 baselines=baselines(list(base)) if isinstance(base, tuple) else base,
                                 max_rounds=rounds, patience=100, on_event=on_event, **kw))
    return res, store, parts, ev, model


def test_evolution_beats_random_search_on_the_toy(tmp_path):
    evo, rnd = [], []
    for seed in range(8):
        res = search(tmp_path / f"e{seed}", "evolve", seed)[0]
        cot = res.by_id(COT.id).score  # the best baseline
        assert res.best.score >= cot
        evo.append(res.best.score)
        rnd.append(search(tmp_path / f"r{seed}", "random", seed)[0].best.score)
    assert cot < 1.0
    assert sum(evo) > sum(rnd), (evo, rnd)
    assert evo.count(1.0) > rnd.count(1.0), (evo, rnd)  # evolution finds the optimum more often


def test_tpe_runs_and_records_every_evaluation(tmp_path):
    res, store, parts, ev, _ = search(tmp_path / "a", "tpe", rounds=6)
    events = store.events("run")
    kinds = [e["kind"] for e in events]
    evaluated = [json.loads(e["data"]) for e in events if e["kind"] == "evaluated"]
    assert kinds.count("proposal") == len(evaluated) == len(res.history) == 2 + 12
    assert {d["origin"] for d in evaluated} == {"baseline", "tpe"}
    assert all(d["best"] and d["spent_calls"] > 0 for d in evaluated)
    assert len({d["design"] for d in evaluated}) == len(evaluated)  # no design twice
    summary = json.loads(store.run("run")["summary"])
    assert summary["best"]["design"] == res.best.id and res.best.score >= res.by_id(COT.id).score
    assert store.run("run")["status"] == "done"


def test_budget_stops_the_search_and_keeps_the_best_so_far(tmp_path):
    seen = []
    res, store, parts, ev, model = search(tmp_path / "b", "evolve", rounds=50, budget=Budget(calls=150),
                                          on_event=lambda k, d: seen.append((k, d)))
    assert res.stop_reason == "budget"
    assert ev.stack.meter.used.calls <= 150 and len(model.calls) <= 150
    assert res.best is not None and res.best.id in {s.id for s in res.history}
    assert ("stopped", ) == tuple(k for k, _ in seen if k == "stopped")
    stopped = next(d for k, d in seen if k == "stopped")
    assert stopped["best"]["design"] == res.best.id and stopped["reason"] == "budget"
    assert json.loads(store.run("run")["summary"])["best"]["design"] == res.best.id
    # the incomplete evaluation is recorded but never counted as the best
    partial = [d for k, d in seen if k == "evaluated" and not d["complete"]]
    assert len(partial) <= 1 and all(d["best"]["design"] != d["design"] for d in partial)


def test_test_split_untouched_until_promotion(tmp_path):
    state = {}
    test_ids = None

    def on_event(kind, data):
        if kind == "promotion":
            rows = store_holder[0].db.execute("SELECT example_id FROM results").fetchall()
            state["before"] = sum(1 for r in rows if r[0] in test_ids)

    store_holder = []
    store, task, parts, ev, model = setup(tmp_path / "c")
    store_holder.append(store)
    test_ids = {e.id for e in parts.test}
    env = SearchEnv(rng=random.Random(0), train=parts.train)
    res = asyncio.run(run_search(task, make_optimizer("evolve", env), ev, store, "run", val=parts.val,
                                 test=parts.test, baselines=baselines(["direct", "cot"]), max_rounds=8,
                                 patience=100, on_event=on_event))
    assert state["before"] == 0
    rows = store.db.execute("SELECT design_id, example_id FROM results").fetchall()
    promoted = {r["design"] for r in res.report["designs"]}
    on_test = {r[0] for r in rows if r[1] in test_ids}
    assert on_test == promoted  # only promoted designs ever saw a test example
    rep = res.report
    ref = rep["reference"]
    assert ref == baselines(["cot"])["cot"].id  # the best baseline *by validation*
    for r in rep["designs"]:
        assert r["test"]["n"] == len(parts.test) and 0 <= r["test"]["low"] <= r["test"]["score"] <= r["test"]["high"]
        assert (r["delta"] is None) == (r["design"] == ref)
    assert res.best.id in promoted


class Scripted(Optimizer):
    """Proposes the given lists, one per round."""

    name = "scripted"

    def __init__(self, rounds):
        super().__init__(SearchEnv(rng=random.Random(0)))
        self.rounds = list(rounds)

    async def propose(self, history):
        return [Candidate(s, origin="scripted") for s in (self.rounds.pop(0) if self.rounds else [])]


def test_equal_designs_are_not_significantly_different(tmp_path):
    same = DesignSpec(block="cot", params={"max_tokens": 256})  # same answers as cot on the toy
    res, *_ = search(tmp_path / "d", opt=Scripted([[same]]), rounds=1, test=True, base=("cot",))
    rows = {r["design"]: r for r in res.report["designs"]}
    d = rows[same.id]["delta"]
    assert d["mean"] == 0 and d["low"] <= 0 <= d["high"] and d["label"] == "not significant"
    assert significance(0.01, 0.2) == "better" and significance(-0.2, -0.01) == "worse"


def test_better_design_is_significant_on_test(tmp_path):
    res, *_ = search(tmp_path / "e", opt=Scripted([[CAREFUL]]), rounds=1, test=True, base=("direct", "cot"))
    rows = {r["design"]: r for r in res.report["designs"]}
    assert rows[CAREFUL.id]["test"]["score"] == 1.0
    assert rows[CAREFUL.id]["delta"]["label"] == "better"
    assert res.report["winner"] == CAREFUL.id


def test_duplicates_are_never_evaluated_twice_and_results_are_reused(tmp_path):
    calls = []
    store, task, parts, ev, model = setup(tmp_path / "f")
    real = ev.evaluate

    async def counting(spec, *a, **k):
        calls.append(spec.id)
        return await real(spec, *a, **k)

    ev.evaluate = counting
    opt = Scripted([[COT, CAREFUL, CAREFUL], [CAREFUL, COT], [DesignSpec(block="cot", params={"instruction": "careful"})]])
    res = asyncio.run(run_search(task, opt, ev, store, "run", val=parts.val, test=[],
                                 baselines={"cot": COT, "again": COT}, max_rounds=3, patience=100))
    assert calls == [COT.id, CAREFUL.id]
    assert [s.id for s in res.history] == [COT.id, CAREFUL.id]
    assert res.stop_reason in ("exhausted", "rounds")
    n_calls = len(model.calls)
    # another run on the same store reuses every result: no model call at all
    store2, task2, parts2, ev2, model2 = setup(tmp_path / "f")
    res2 = asyncio.run(run_search(task2, Scripted([[CAREFUL]]), ev2, store2, "run2", val=parts2.val, test=[],
                                  baselines={"cot": COT}, max_rounds=1, patience=100))
    assert n_calls > 0 and len(model2.calls) == 0 and res2.best.id == CAREFUL.id


def test_cost_aware_objective_and_pareto_front():
    class S:
        def __init__(self, score, tokens):
            self.score, self.tokens = score, tokens

    a, b, c = S(0.8, 2000), S(0.75, 200), S(0.7, 900)
    assert objective_value(0.8, 2000, "cost-aware", 0.05) == pytest.approx(0.7)
    assert objective_value(0.8, 2000, "accuracy") == 0.8
    assert pareto_front([a, b, c]) == [a, b]


def test_cost_aware_search_prefers_the_cheaper_of_equal_designs(tmp_path):
    sc = DesignSpec(block="self_consistency", params={"n": 3, "temperature": 0.3},
                    children=(DesignSpec(block="cot", params={"instruction": "careful", "temperature": 0.0}),))
    res, *_ = search(tmp_path / "g", opt=Scripted([[sc, CAREFUL]]), rounds=1, base=("direct",),
                     objective="cost-aware", lam=0.5)
    assert res.best.id == CAREFUL.id
