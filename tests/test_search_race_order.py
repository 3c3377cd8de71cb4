"""Racing's order (search/race.py): first-rung survivors go on cheapest first, so a costly design
that led the first rung by luck is not the first to get the whole validation split -- it must beat
the cheap incumbent on the next rung, within its share -- while ``order="value"`` takes the leader
first whatever it costs."""

import asyncio
import types

import pytest

from agentarch.errors import ConfigError
from agentarch.runtime.evaluator import ExampleResult
from agentarch.search.race import Lane, Race, RaceConfig

VAL = [types.SimpleNamespace(id=f"e{i}") for i in range(40)]
# per-example scores on the 40 validation examples, and calls per example
LUCKY_COSTLY = ([1, 1, 1, 1, 1, 1, 1, 0] + [0, 0, 0, 1] * 8, 8)  # 7 of 8 first, 0.34 over all
CHEAP = ([1, 1, 1, 1, 1, 0, 0, 0] + [1, 1, 0, 1] * 8, 1)  # 5 of 8 first, 0.72 over all


def lane_of(name):
    return Lane(candidate=types.SimpleNamespace(spec=types.SimpleNamespace(id=name)), role="proposal", round=0)


def race(order: str):
    designs = {"lucky_costly": LUCKY_COSTLY, "cheap": CHEAP}
    full: list[Lane] = []
    sent = {name: 0 for name in designs}

    async def measure(lane, examples, calls_cap, tokens_cap):
        scores, calls = designs[lane.id]
        for i in range(lane.n, len(examples)):
            if calls_cap is not None and lane.calls_sent + calls > calls_cap:
                break
            lane.results[f"e{i}"] = ExampleResult(f"e{i}", "", f"{lane.id}{i}", float(scores[i]), calls, 10, 10, 0.0)
            lane.n, lane.calls_sent = i + 1, lane.calls_sent + calls
            sent[lane.id] += calls
        return True

    r = Race(RaceConfig(rungs=(8, 20), coverage=False, order=order), VAL, "accuracy", 0.0, measure,
             rivals=lambda: [(ln.id, ln.results, 20.0) for ln in full], left=lambda: (1000, None))
    lanes = [lane_of("lucky_costly"), lane_of("cheap")]  # the costly one first in the batch
    first_full = []

    def finish(lane):
        if lane.outcome == "full":
            full.append(lane)
            first_full.append(lane.id)

    for ln in lanes:
        r.start(ln)
    asyncio.run(r.run(lanes, begin=lambda _: None, screened=lambda _: None, finish=finish))
    return {ln.id: ln for ln in lanes}, first_full, sent


def test_the_cheap_survivor_becomes_the_incumbent_and_the_lucky_costly_one_is_stopped_on_the_next_rung():
    lanes, first_full, sent = race("cheapest")
    assert first_full == ["cheap"] and lanes["cheap"].n == 40
    costly = lanes["lucky_costly"]
    assert costly.outcome == "dropped" and costly.n == 20  # went past the first rung (it was better there)
    assert costly.versus["rival"] == "cheap" and costly.versus["high"] <= 0
    assert sent["lucky_costly"] == 20 * 8  # never paid for the whole split


def test_order_value_takes_the_first_rung_leader_to_the_whole_split_first():
    lanes, first_full, sent = race("value")
    assert first_full[0] == "lucky_costly" and lanes["lucky_costly"].n == 40
    assert sent["lucky_costly"] == 40 * 8


def test_an_unknown_order_is_refused_and_the_default_order_enters_the_run_id():
    assert RaceConfig().to_dict()["order"] == "cheapest"  # races under the old order keep their old ids
    assert "order" not in RaceConfig(order="value").to_dict()
    with pytest.raises(ConfigError, match="race order 'fastest'.*cheapest, value"):
        RaceConfig(order="fastest")
