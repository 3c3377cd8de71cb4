"""Racing (search/race.py) on the scripted toy with a known optimum (tests/search_toy.py) and a real
SQLite file: racing finds the optimum at least as often as plain evaluation at the same call budget,
a candidate 20x as costly per example is cut at its budget share, every block family is screened
(cheapest first, before any design gets the whole validation split), baselines race too, and a
rerun of a raced search replays it without sending a call."""

import asyncio
import json
import random

import pytest

import search_toy as toy
from agentarch.blocks.presets import baselines
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.llm.budget import Budget
from agentarch.llm.client import stack
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.base import Candidate, Optimizer, SearchEnv
from agentarch.search.loop import run_search
from agentarch.search.race import (FLOOR_CALLS, SHARES, RaceConfig, affordable, cheapest_first, family_designs,
                                    parse_rungs, within_coverage_share)
from agentarch.search.registry import make_optimizer
from agentarch.search.space import Space
from agentarch.store.db import Store

SMALL_SPACE = ("cot", "self_consistency", "refine", "step_back", "roles", "debate")
COSTLY = DesignSpec(block="self_consistency", params={"n": 20}, children=(DesignSpec(block="cot"),))


class Scripted(Optimizer):
    """Proposes the given designs, one per round, then nothing."""

    name = "scripted"

    def __init__(self, env, designs):
        super().__init__(env)
        self.designs = list(designs)

    async def propose(self, history):
        return [Candidate(self.designs.pop(0), origin="scripted")] if self.designs else []


def search(folder, *, optimizer="random", seed=0, calls=None, race=None, n=40, only=None, base=("direct", "cot"),
           rounds=200, designs=None, model=None, run_id="run", on_event=None):
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "t.db")
    task = toy.task(n)
    parts = task.split(seed=0)
    model = model or toy.model()
    ev = Evaluator(task, stack(model, store, Budget(calls=calls) if calls else None), store,
                   run_code=toy.no_code, run_agent=toy.no_agent)
    env = SearchEnv(rng=random.Random(seed), train=parts.train,
                    options={"space": Space.from_registry(train=parts.train, only=only)})
    opt = Scripted(env, designs) if designs is not None else make_optimizer(optimizer, env)
    res = asyncio.run(run_search(task, opt, ev, store, run_id, val=parts.val, test=[],
                                 baselines=baselines(list(base)), max_rounds=rounds, patience=rounds,
                                 race=race, on_event=on_event))
    return res, store, parts, model


def test_rungs_are_validated_and_shares_cover_each_step():
    assert parse_rungs("8,20") == (8, 20)
    assert parse_rungs(" 5 ") == (5,)
    for bad in ("20,8", "8,8", "0,4", "a,b", "", "8,-1"):
        with pytest.raises(ConfigError, match="--rungs"):
            parse_rungs(bad)
    cfg = RaceConfig()
    assert cfg.sizes(36) == [8, 20, 36] and cfg.sizes(12) == [8, 12] and cfg.sizes(8) == [8]
    sizes = cfg.sizes(36)
    assert [cfg.share(i, sizes) for i in range(3)] == [SHARES[0], SHARES[1], None]  # survivors: no share
    assert cfg.share(0, [8]) == SHARES[0]  # a one-rung race: the whole split is still screening


def test_affordable_examples_follow_the_measured_cost():
    assert affordable(0, 0, 0, 10, None) == 1  # nothing measured: one example first
    assert affordable(2, 40, 0, 90, None) == 4  # 20 calls each, 50 left: two more
    assert affordable(4, 80, 0, 90, None) == 4  # 10 left: none
    assert affordable(3, 0, 0, 5, None) > 10 ** 6  # everything came from the cache: no limit
    assert affordable(2, 2, 1000, None, 1500) == 3  # the token cap binds
    assert affordable(2, 2, 20, None, None) > 10 ** 6


def found(res):
    return res.best is not None and res.best.score == 1.0


@pytest.mark.parametrize("optimizer", ["random", "tpe"])
def test_racing_finds_the_optimum_at_least_as_often_as_plain_evaluation(tmp_path, optimizer):
    """Same optimizer, same seeds, same call budget; the toy's optimum scores 1.0, the best baseline 0.72."""
    seeds = range(8)
    plain = [found(search(tmp_path / f"p{s}", optimizer=optimizer, seed=s, calls=1000, n=120, only=SMALL_SPACE)[0])
             for s in seeds]
    raced = [found(search(tmp_path / f"r{s}", optimizer=optimizer, seed=s, calls=1000, n=120, only=SMALL_SPACE,
                          race=RaceConfig())[0]) for s in seeds]
    print(f"{optimizer}: optimum found by plain evaluation {sum(plain)}/8, by racing {sum(raced)}/8")
    assert sum(raced) >= sum(plain) and sum(raced) >= 2, (plain, raced)


def test_a_candidate_twenty_times_as_costly_is_cut_at_its_share(tmp_path):
    res, store, parts, model = search(tmp_path / "a", calls=1000, n=120, base=("cot",), designs=[COSTLY],
                                      race=RaceConfig(coverage=False, skip_unaffordable=False), rounds=2)
    row = next(d for d in res.race["designs"] if d["design"] == COSTLY.id)
    cot = next(d for d in res.race["designs"] if d["label"] == "cot")
    assert cot["outcome"] == "full" and cot["calls_sent"] == len(parts.val)  # one call per example
    assert row["outcome"] == "cut" and 0 < row["n"] < RaceConfig().rungs[0]
    assert row["calls_sent"] <= SHARES[0] * row["cap_calls"]  # never more than its share of what was left
    assert row["cap_calls"] == 1000 - len(parts.val)  # the budget left when its race began
    assert row["calls_sent"] == 20 * row["n"]  # it ran exactly as far as its measured cost allowed
    assert res.by_id(COSTLY.id) is None and COSTLY.id in {s.id for s in res.screened}


def test_a_share_smaller_than_one_example_is_a_hard_cap(tmp_path):
    # 60 calls: cot takes 12 for validation, 48 left, a share of 4.8 calls, raised to the floor of one
    # call per example of the first rung (8); one example of the costly design makes 20
    res, store, parts, model = search(tmp_path / "a", calls=60, base=("cot",), designs=[COSTLY],
                                      race=RaceConfig(coverage=False, skip_unaffordable=False), rounds=2)
    row = next(d for d in res.race["designs"] if d["design"] == COSTLY.id)
    assert row["outcome"] == "cut" and row["n"] == 0 and row["cap_calls"] == 48
    assert 0 < row["calls_sent"] <= FLOOR_CALLS * RaceConfig().rungs[0]
    assert res.stop_reason != "budget"  # the cut was its share, not the search budget


def test_every_block_family_is_screened_cheapest_first_before_any_full_validation(tmp_path):
    events = []
    res, store, parts, model = search(tmp_path / "a", calls=4000, n=120, race=RaceConfig(), rounds=1,
                                      on_event=lambda k, d: events.append((k, d)))
    space = Space.from_registry(train=parts.train)
    first_round = [d for k, d in events if k == "proposal" and d["round"] == 0]
    families = {DesignSpec.model_validate(d["spec"]).block for d in first_round}
    assert families >= set(space.blocks)  # every family of the space, baselines included
    order = asyncio.run(cheapest_first([DesignSpec.model_validate(d["spec"]) for d in first_round]))
    assert [d["design"] for d in first_round] == [s.id for s, _ in order]  # cheapest first
    # every first-round design was measured on a small batch before any design got the whole split
    kinds = [(k, d) for k, d in events if k in ("screened", "evaluated")]
    first_full = next(i for i, (k, d) in enumerate(kinds) if k == "evaluated" and d["full"])
    started = {d["design"] for k, d in kinds[:first_full]}
    assert {d["design"] for d in first_round} <= started
    rows = {d["design"]: d for d in res.race["designs"]}
    assert all(rows[d["design"]]["n"] >= 1 for d in first_round if rows[d["design"]]["outcome"] != "cut")
    assert {DesignSpec.model_validate(d["spec"]).block for d in first_round} == \
        {s.block for s in family_designs(space)} | {"direct", "cot"}


def test_baselines_race_and_only_survivors_get_the_whole_validation_split(tmp_path):
    res, store, parts, model = search(tmp_path / "a", calls=2000, n=120, base=("direct", "cot", "cot_sc"),
                                      race=RaceConfig(coverage=False), rounds=1, designs=[])
    rows = {d["label"]: d for d in res.race["designs"] if d["origin"] == "baseline"}
    assert len(rows) == 3
    assert rows["cot"]["outcome"] == "full" and rows["cot"]["n"] == len(parts.val)
    assert rows["direct"]["outcome"] == "dropped" and rows["direct"]["n"] < len(parts.val)
    assert rows["direct"]["versus"]["high"] <= 0
    full = {r["label"] for r in rows.values() if r["outcome"] == "full"}
    assert {s.candidate.spec.label() for s in res.history} == full
    assert res.race["screened"] == 3 and res.race["reached_full"] == len(res.history)


def test_rerun_of_a_raced_search_replays_without_sending_a_call(tmp_path):
    folder = tmp_path / "a"
    race = RaceConfig(coverage_share=1.0)  # every family, so some are cut by their share: that is replayed too
    first, store, parts, model = search(folder, optimizer="evolve", calls=800, n=120, race=race, rounds=8)
    assert model.calls and first.race["cut"] > 0 and first.race["dropped"] > 0 and first.stop_reason == "rounds"
    again, store2, _, model2 = search(folder, optimizer="evolve", calls=800, n=120, race=race, rounds=8)
    assert model2.calls == []  # nothing paid twice
    assert [d["design"] for d in again.race["designs"]] == [d["design"] for d in first.race["designs"]]
    assert [(d["outcome"], d["n"]) for d in again.race["designs"]] == \
        [(d["outcome"], d["n"]) for d in first.race["designs"]]
    assert again.best.id == first.best.id and again.spent["calls"] == first.spent["calls"]
    assert again.race["coverage_left_out"] == first.race["coverage_left_out"]
    rows = [json.loads(r["data"]) for r in store2.events("run") if r["kind"] == "evaluated"]
    assert len({r["design"] for r in rows}) == len(rows)  # no design recorded twice


def test_optimizers_see_partial_scores_marked(tmp_path):
    seen = []

    class Watch(Scripted):
        async def propose(self, history):
            seen.append([(s.id, s.partial, s.n) for s in history])
            return await super().propose(history)

    store = Store(tmp_path / "t.db")
    task = toy.task(120)
    parts = task.split(seed=0)
    ev = Evaluator(task, stack(toy.model(), store, None), store, run_code=toy.no_code, run_agent=toy.no_agent)
    opt = Watch(SearchEnv(rng=random.Random(0)), [DesignSpec(block="cot", params={"instruction": "careful"})])
    res = asyncio.run(run_search(task, opt, ev, store, "run", val=parts.val, test=[],
                                 baselines=baselines(["direct", "cot"]), max_rounds=3, patience=3,
                                 race=RaceConfig(coverage=False)))
    direct = baselines(["direct"])["direct"].id
    assert (direct, True, 8) in seen[0]  # dropped at the first rung, seen as such
    assert any(not partial and n == len(parts.val) for _, partial, n in seen[0])
    assert res.best.candidate.spec.params == {"instruction": "careful"} and not res.best.partial


def raced_with(tmp_path, opt, rounds=4):
    store = Store(tmp_path / "t.db")
    task = toy.task(120)
    parts = task.split(seed=0)
    ev = Evaluator(task, stack(toy.model(), store, Budget(calls=3000)), store, run_code=toy.no_code,
                   run_agent=toy.no_agent)
    return asyncio.run(run_search(task, opt, ev, store, "run", val=parts.val, test=[],
                                  baselines=baselines(["direct", "cot"]), max_rounds=rounds, patience=rounds,
                                  race=RaceConfig(coverage=False)))


def test_mcts_races(tmp_path):
    from agentarch.search.mcts import WorkflowMCTS

    opt = WorkflowMCTS(SearchEnv(rng=random.Random(0), meta=None))  # random edits of the best baseline
    res = raced_with(tmp_path, opt, rounds=6)
    rows = [d for d in res.race["designs"] if d["origin"] == "mcts"]
    # one raced proposal a round until the tree converged (5 of the 6 rounds with this seed)
    assert len(rows) == len({d["round"] for d in rows}) >= 5
    assert {d["outcome"] for d in rows} <= {"full", "dropped", "cut"}
    assert res.best is not None and not res.best.partial and res.best.n == res.race["val"]
    assert opt.tree(res.history + res.screened)[0].block == "cot"  # the root is the fully measured best baseline


def test_meta_races_and_sees_dropped_agents_marked(tmp_path):
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.search.meta import MetaAgentSearch
    from agentarch.blocks.context import Context

    replies = iter(range(1000))

    def respond(req):  # a new (failing: the toy runs no agents) code agent each time
        k = next(replies)
        return (f"THOUGHT: idea {k}\nNAME: agent{k}\n```python\nasync def forward(inputs, ctx):\n"
                f"    return await ctx.ask('Variant {k}: ' + inputs)\n```\n")

    meta_model = ScriptedModel(respond)
    opt = MetaAgentSearch(SearchEnv(rng=random.Random(0), meta=Context(meta_model),
                                    task_description="Report the number."))
    res = raced_with(tmp_path, opt, rounds=3)
    rows = [d for d in res.race["designs"] if d["origin"] == "meta"]
    assert rows and all(d["outcome"] == "dropped" and d["n"] == 8 for d in rows)  # they score 0 at once
    asked = [r.messages[-1]["content"] for r in meta_model.calls if "Archive (best agents" in r.messages[-1]["content"]]
    assert len(asked) == 3
    marked = [line for line in asked[-1].splitlines() if "stopped early by racing" in line]
    assert any("direct" in line for line in marked)  # the dropped baseline, marked as partial
    assert any("agent" in line for line in marked)  # and a dropped generated agent


def test_coverage_share_keeps_baselines_and_the_cheapest_families_that_fit():
    a, b, c, d = (DesignSpec(block=x) for x in ("direct", "cot", "step_back", "debate"))
    order = [(a, 1.0), (b, 1.0), (c, 2.0), (d, 6.0), (DesignSpec(block="moa"), float("inf"))]
    # budget 100, share 0.4 -> 40 calls for families; first rung 8: cot 8 + step_back 16 = 24; debate 48 does not fit
    kept, left = within_coverage_share(order, {a.id}, 8, 100, 0.4)
    assert [s.block for s in kept] == ["direct", "cot", "step_back"]
    assert [s.block for s in left] == ["debate", "moa"]
    # a baseline is kept however costly, outside the share: the families still get theirs
    kept, left = within_coverage_share(order, {d.id}, 8, 100, 0.4)
    assert [s.block for s in kept] == ["direct", "cot", "step_back", "debate"]
    assert [s.block for s in left] == ["moa"]
    # (budget 50 -> 20 calls: direct 8 + cot 8 fit, step_back would make 32)
    kept, left = within_coverage_share(order, {d.id}, 8, 50, 0.4)
    assert [s.block for s in kept] == ["direct", "cot", "debate"]
    assert [s.block for s in left] == ["step_back", "moa"]
    # no call budget: nothing is left out
    kept, left = within_coverage_share(order, set(), 8, None, 0.4)
    assert len(kept) == 5 and left == []


def test_a_small_budget_leaves_the_costly_block_families_out_of_the_first_batch(tmp_path):
    events = []
    res, store, parts, model = search(tmp_path / "a", calls=300, n=120, race=RaceConfig(), rounds=1,
                                      base=("direct", "cot", "cot_sc"), on_event=lambda k, d: events.append((k, d)))
    first_round = [DesignSpec.model_validate(d["spec"]) for k, d in events if k == "proposal" and d["round"] == 0]
    left_out = res.race["coverage_left_out"]
    assert left_out and res.race["coverage_share"] == RaceConfig().coverage_share
    screened = {s.label() for s in first_round}
    assert not screened & set(left_out)
    assert "self_consistency(n=5)[cot]" in screened  # a baseline is never left out, however costly
    costs = dict((s.id, c) for s, c in asyncio.run(cheapest_first(first_round)))
    base_ids = {s.id for s in baselines(["direct", "cot", "cot_sc"]).values()}
    kept_cost = sum(costs[s.id] * RaceConfig().rungs[0] for s in first_round if s.id not in base_ids)
    assert 0 < kept_cost <= RaceConfig().coverage_share * 300  # some families fit, within the share
    # what was left out costs more per example than anything kept that is not a baseline
    space = Space.from_registry(train=parts.train)
    every = {s.label(): c for s, c in asyncio.run(cheapest_first(family_designs(space)))}
    kept_families = [s for s in first_round if s.label() in every and s.block not in ("direct", "cot", "self_consistency")]
    assert min(every[x] for x in left_out) >= max(every[s.label()] for s in kept_families)
    # a rerun leaves the same families out and pays nothing again
    again, _, _, model2 = search(tmp_path / "a", calls=300, n=120, race=RaceConfig(), rounds=1,
                                 base=("direct", "cot", "cot_sc"))
    assert again.race["coverage_left_out"] == left_out and model2.calls == []
