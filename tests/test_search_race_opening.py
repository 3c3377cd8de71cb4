"""The opening share (search/race.py): on a task where every hand-designed agent is near chance, no
paired test on a handful of examples can tell them apart, so every one survives the first rung; left
alone they would each take the whole validation split and spend the budget before the optimizer
proposes anything. With the share, the opening batch stops at half the budget -- the incumbent is
measured in full, the other survivors are held where they are -- and the optimizer's proposal (here
the toy's optimum) is raced and found."""

import asyncio
import hashlib
import types

import pytest

import search_toy as toy
from agentarch.errors import ConfigError
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.evaluator import ExampleResult
from agentarch.search.race import Lane, Race, RaceConfig
from test_search_race import search

ADAS = ("cot", "cot_sc", "refine", "debate", "step_back", "quality_diversity", "roles")
OPTIMUM = DesignSpec(block="cot", params={"instruction": "careful"})


def near_chance():
    """Right on about a quarter of the questions, which ones depending on the whole prompt (so designs
    disagree); always right when asked to solve the problem carefully (the optimum)."""

    def respond(req):
        text = "\n".join(m.get("content") or "" for m in req.messages)
        m = toy.NUMBER.search(text)
        if not m:
            return "Answer: 0"
        lucky = hashlib.sha256(f"{text}|{req.temperature}|{req.sample}".encode()).digest()[0] % 4 == 0
        right = "solve the problem carefully" in text.lower() or lucky
        return f"Answer: {m.group(1)}" if right else "Answer: 0"

    return ScriptedModel(respond)


def score(name: str, i: int) -> float:
    return float((i + 2 * "abcde".index(name)) % 5 < 2)


def lanes_race(share, budget=600, n_val=60, names=("a", "b", "c", "d", "e")):
    """Five designs of 2 calls per example, right on 2 of every 5 examples, each on different ones
    (so no paired test separates them and all survive), under a budget."""
    val = [types.SimpleNamespace(id=f"e{i}") for i in range(n_val)]
    spent = [0]
    full: list[Lane] = []

    async def measure(lane, examples, calls_cap, tokens_cap):
        for i in range(lane.n, len(examples)):
            if spent[0] + 2 > budget:
                return False
            lane.results[f"e{i}"] = ExampleResult(f"e{i}", "", f"{lane.id}{i}", score(lane.id, i), 2, 10, 10, 0.0)
            lane.n, lane.calls_sent, spent[0] = i + 1, lane.calls_sent + 2, spent[0] + 2
        return True

    r = Race(RaceConfig(rungs=(8, 20), coverage=False, opening_share=share), val, "accuracy", 0.0, measure,
             rivals=lambda: [(ln.id, ln.results, 20.0) for ln in full], left=lambda: (budget - spent[0], None))
    lanes = [Lane(candidate=types.SimpleNamespace(spec=types.SimpleNamespace(id=x)), role="baseline", round=0)
             for x in names]
    for ln in lanes:
        r.start(ln)
    ok = asyncio.run(r.run(lanes, begin=lambda _: None, screened=lambda _: None,
                           finish=lambda ln: full.append(ln) if ln.outcome == "full" else None))
    return ok, {ln.id: ln for ln in lanes}, spent[0]


def test_without_the_share_every_survivor_takes_the_whole_split_and_the_budget():
    ok, lanes, spent = lanes_race(None, budget=560)
    assert not ok and spent > 550  # 5 x 8 x 2 screened, then 52 x 2 more each: the budget runs out
    assert sorted(ln.outcome for ln in lanes.values()) == ["budget", "full", "full", "full", "full"]


def test_with_the_share_the_incumbent_is_measured_in_full_and_the_others_are_held():
    ok, lanes, spent = lanes_race(0.5, budget=640)
    assert ok and spent <= 0.5 * 640
    assert lanes["a"].outcome == "full" and lanes["a"].n == 60  # the first survivor becomes the incumbent
    outcomes = sorted(ln.outcome for x, ln in lanes.items() if x != "a")
    assert outcomes == ["full", "held", "held", "held"]  # 80 + 104 + 104 = 288; a third 104 would pass 320
    assert all(ln.n == 8 for ln in lanes.values() if ln.outcome == "held")  # held, not dropped: not worse
    assert spent == 5 * 8 * 2 + 2 * 52 * 2


def test_the_share_is_validated_and_enters_the_run_id():
    assert RaceConfig().to_dict()["opening_share"] == 0.5
    assert "opening_share" not in RaceConfig(opening_share=None).to_dict()  # how races first ran
    for bad in (0, 1.5, -0.1):
        with pytest.raises(ConfigError, match="opening_share must be above 0 and at most 1"):
            RaceConfig(opening_share=bad)


@pytest.mark.parametrize("share", [None, 0.5])
def test_a_search_near_chance_leaves_budget_for_the_optimizer_only_with_the_share(tmp_path, share):
    res, store, parts, model = search(tmp_path / "a", calls=600, n=160, base=ADAS, designs=[OPTIMUM],
                                      race=RaceConfig(coverage=False, opening_share=share), rounds=3,
                                      model=near_chance())
    rows = {d["label"]: d for d in res.race["designs"]}
    baselines = [d for d in rows.values() if d["origin"] == "baseline"]
    assert sum(d["outcome"] in ("full", "held", "budget") for d in baselines) >= 3  # many survive the first rung
    if share is None:
        assert res.stop_reason == "budget" and OPTIMUM.label() not in rows  # never proposed: no budget left
        assert res.race["held"] == 0
    else:
        assert res.race["held"] >= 1 and all(rows[d["label"]]["n"] < len(parts.val) for d in baselines
                                              if d["outcome"] == "held")
        opening = sum(d["calls_sent"] for d in baselines)
        assert opening <= 0.5 * 600
        assert rows[OPTIMUM.label()]["outcome"] == "full" and res.best.id == OPTIMUM.id


def test_a_rerun_holds_what_the_first_run_held_without_a_call(tmp_path):
    kwargs = dict(calls=600, n=160, base=ADAS, designs=[OPTIMUM], race=RaceConfig(coverage=False), rounds=3)
    first, *_ = search(tmp_path / "a", model=near_chance(), **kwargs)
    again, _, _, model = search(tmp_path / "a", model=near_chance(), **kwargs)
    assert model.calls == []
    assert [(d["design"], d["outcome"], d["n"]) for d in again.race["designs"]] == \
        [(d["design"], d["outcome"], d["n"]) for d in first.race["designs"]]
    assert first.race["held"] >= 1
