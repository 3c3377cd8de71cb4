"""Proposals that cannot pay for the first rung (search/race.py, ``Race.unaffordable``): a design whose
dry run makes more calls per example than its share of the budget left pays for on the first rung is
not raced -- raced, its share would stop it before any comparison -- while a cheap proposal after it
still is; a resumed run takes the same decision without a call, and a search whose proposals are
all too costly stops on its budget with the calls it did not waste left over."""

import asyncio
import types

from agentarch.blocks.spec import DesignSpec
from agentarch.search.race import FLOOR_CALLS, SHARES, Race, RaceConfig, dry_run_calls
from test_search_race import COSTLY, search

CHEAP = DesignSpec(block="cot", params={"instruction": "careful"})


def race_with(left, cfg=RaceConfig()):
    val = [types.SimpleNamespace(id=f"e{i}") for i in range(60)]
    return Race(cfg, val, "accuracy", 0.0, measure=None, rivals=lambda: [], left=lambda: (left, None))


def test_the_first_rung_share_decides_what_is_affordable():
    first = RaceConfig().rungs[0]
    r = race_with(1000)
    assert r.unaffordable(SHARES[0] * 1000 / first) == ""  # exactly its share: raced
    why = r.unaffordable(20)
    assert f"first {first} examples would cost about {20 * first} calls" in why and "1000 calls left is 100" in why
    assert race_with(10).unaffordable(FLOOR_CALLS) == ""  # one call per example always pays
    assert race_with(None).unaffordable(1000) == ""  # no call budget: nothing is too costly
    assert race_with(10, RaceConfig(skip_unaffordable=False)).unaffordable(1000) == ""
    assert RaceConfig(skip_unaffordable=False).to_dict()["skip_unaffordable"] is False
    assert "skip_unaffordable" not in RaceConfig().to_dict()  # the default keeps earlier run ids


def test_a_costly_proposal_is_not_raced_and_a_cheap_one_after_it_is(tmp_path):
    events = []
    res, store, parts, model = search(tmp_path / "a", calls=1000, n=120, base=("cot",), designs=[COSTLY, CHEAP],
                                      race=RaceConfig(coverage=False), rounds=3,
                                      on_event=lambda k, d: events.append((k, d)))
    raced = {d["design"] for d in res.race["designs"]}
    assert COSTLY.id not in raced and CHEAP.id in raced
    assert res.race["unaffordable"] == [COSTLY.label()]
    skipped = [d for k, d in events if k == "unaffordable"]
    assert [d["design"] for d in skipped] == [COSTLY.id] and "calls left" in skipped[0]["reason"]
    asked = [c for c in model.calls if "careful" not in str(c)]  # what was sent for cot and the costly design
    assert len(asked) == len(parts.val)  # cot's one call per example; not one for the costly design
    assert res.by_id(CHEAP.id) is not None  # the toy's optimum, measured in full

    again, _, _, model2 = search(tmp_path / "a", calls=1000, n=120, base=("cot",), designs=[COSTLY, CHEAP],
                                 race=RaceConfig(coverage=False), rounds=3)
    assert model2.calls == [] and again.race["unaffordable"] == [COSTLY.label()]
    assert again.best.id == res.best.id


def test_a_search_of_only_costly_proposals_stops_on_its_budget_with_calls_left(tmp_path):
    costly = [DesignSpec(block="self_consistency", params={"n": n}, children=(DesignSpec(block="cot"),))
              for n in (20, 21, 22, 23)]
    res, store, parts, model = search(tmp_path / "a", calls=1000, n=120, base=("cot",), designs=costly,
                                      race=RaceConfig(coverage=False), rounds=10)
    assert res.stop_reason == "budget"
    assert len(res.race["unaffordable"]) == 3  # three rounds with nothing affordable end the search
    assert res.spent["calls"] == len(parts.val)  # only cot was paid for


def test_a_design_that_retries_failed_code_is_costed_at_its_usual_path():
    # program_of_thought asks once and runs the code; it asks again only when the run fails
    assert asyncio.run(dry_run_calls(DesignSpec(block="program_of_thought"))) == 1.0
    assert asyncio.run(dry_run_calls(DesignSpec(block="cot"))) == 1.0


def test_a_refusal_never_reads_as_equal_numbers():
    first = RaceConfig().rungs[0]
    left = 118
    cap = max(SHARES[0] * left, FLOOR_CALLS * first)
    per_example = (round(cap) + 0.2) / first  # costs a bit more than the share, the same once rounded
    why = race_with(left).unaffordable(per_example)
    assert why and f"share of the {left} calls left is {cap:.1f}" in why
    assert f"would cost about {per_example * first:.1f} calls" in why
