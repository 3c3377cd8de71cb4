"""Racing's drop rule (search/race.py) on scripted per-example scores: a design that ties the
incumbent on every example of the first rung goes on to the next rung (8 examples cannot tell it
from a better one) unless its answers are the very same, a tie on a later rung is dropped, and a design worse on one example and better
on none is still dropped on the first rung. With ``drop="worse"`` only a significantly worse design
(or one with the very same answers) is dropped; the default race ids are unchanged by the option."""

import asyncio
import types

import pytest

from agentarch.errors import ConfigError
from agentarch.runtime.evaluator import ExampleResult
from agentarch.search.race import Lane, Race, RaceConfig, paired_verdict

VAL = [types.SimpleNamespace(id=f"e{i}") for i in range(30)]


def results(scores, answer="") -> dict:
    return {f"e{i}": ExampleResult(f"e{i}", "", answer or f"a{s}", float(s), 1, 10, 10, 0.0)
            for i, s in enumerate(scores)}


INCUMBENT = [1, 1, 1, 1, 1, 1, 0, 0] + [0, 1] * 11  # 6 of the first 8, then half


def race_of(candidate_scores, answer="other", drop="not-better") -> tuple[Lane, Race]:
    async def measure(lane, examples, calls_cap, tokens_cap):
        lane.results = results(candidate_scores[:len(examples)], answer)
        lane.n = len(examples)
        return True

    race = Race(RaceConfig(rungs=(8, 20), coverage=False, drop=drop), VAL, "accuracy", 0.0, measure,
                rivals=lambda: [("incumbent", results(INCUMBENT), 20.0)], left=lambda: (1000, None))
    lane = Lane(candidate=types.SimpleNamespace(spec=types.SimpleNamespace(id="cand")), role="proposal", round=1)
    return lane, race


def run(candidate_scores, answer="other", drop="not-better") -> Lane:
    lane, race = race_of(candidate_scores, answer, drop)
    race.start(lane)
    asyncio.run(race.run([lane], begin=lambda _: None, screened=lambda _: None, finish=lambda _: None))
    return lane


def test_an_exact_tie_on_the_first_rung_goes_on_to_the_next():
    better_later = INCUMBENT[:8] + [1] * 22  # the same on the first 8, right on everything after
    lane = run(better_later)
    assert lane.steps[-1] == 30 and lane.outcome == "full"
    assert lane.versus["mean"] > 0


def test_an_exact_tie_on_a_later_rung_is_dropped():
    lane = run(INCUMBENT)  # the same on every example
    assert lane.outcome == "dropped"
    assert max(lane.steps) == 20  # went past the first rung, stopped at the second
    assert lane.versus["mean"] == 0 and lane.versus["high"] <= 0


def test_a_tie_with_the_very_same_answers_is_dropped_on_the_first_rung():
    lane = run(INCUMBENT[:8] + [1] * 22, answer="")  # same scores, same answers: the same behaviour there
    assert lane.outcome == "dropped" and max(lane.steps) == 8


def test_worse_on_one_example_and_better_on_none_is_dropped_on_the_first_rung():
    one_worse = [1, 1, 1, 1, 1, 0, 0, 0] + [1] * 22
    lane = run(one_worse)
    assert lane.outcome == "dropped" and max(lane.steps) == 8


def test_paired_verdict_spares_only_exact_ties_when_asked():
    inc = results(INCUMBENT[:8])
    ids = [f"e{i}" for i in range(8)]
    tie = paired_verdict(results(INCUMBENT[:8], "other"), inc, ids, "accuracy", 0.0, 0.8, ties_go_on=True)
    assert tie["worse"] is False and tie["mean"] == 0
    assert paired_verdict(results(INCUMBENT[:8], "other"), inc, ids, "accuracy", 0.0, 0.8)["worse"] is True
    same = paired_verdict(results(INCUMBENT[:8]), inc, ids, "accuracy", 0.0, 0.8, ties_go_on=True)
    assert same["worse"] is True
    worse = paired_verdict(results([1, 1, 1, 1, 1, 0, 0, 0]), inc, ids, "accuracy", 0.0, 0.8, ties_go_on=True)
    assert worse["worse"] is True


def test_with_drop_worse_a_design_never_better_but_not_significantly_worse_goes_on():
    one_worse = [1, 1, 1, 1, 1, 0, 0, 0] + [1] * 22  # dropped on the first rung by the default rule
    lane = run(one_worse, drop="worse")
    assert lane.outcome == "full" and lane.steps[-1] == 30 and lane.versus["mean"] > 0
    tie_later = run(INCUMBENT, drop="worse")  # a tie with other answers is not significantly worse
    assert tie_later.outcome == "full"


def test_with_drop_worse_significantly_worse_or_the_same_answers_is_dropped():
    all_wrong = [0] * 30  # 6 examples behind on the first rung, none ahead
    lane = run(all_wrong, drop="worse")
    assert lane.outcome == "dropped" and max(lane.steps) == 8 and lane.versus["high"] < 0
    same = run(INCUMBENT, answer="", drop="worse")  # the incumbent's very answers
    assert same.outcome == "dropped" and max(same.steps) == 8
    ids = [f"e{i}" for i in range(8)]
    inc = results(INCUMBENT[:8])
    v = paired_verdict(results([1, 1, 1, 1, 1, 0, 0, 0]), inc, ids, "accuracy", 0.0, 0.8, drop="worse")
    assert v["worse"] is False and v["high"] == 0


def test_the_drop_rule_is_checked_and_only_a_non_default_rule_enters_the_run_id():
    assert "drop" not in RaceConfig().to_dict()  # runs raced by the default rule keep their ids
    assert RaceConfig(drop="worse").to_dict()["drop"] == "worse"
    with pytest.raises(ConfigError, match="drop rule 'never'.*not-better, worse"):
        RaceConfig(drop="never")
