"""Racing on an easy prefix (search/race.py): when the rival is right on every example of a rung,
no candidate can be better there, so the default rule judges by "significantly worse" only -- a
design that matches the rival or misses one example goes on to the next rung, a design behind on
many is still dropped, the very same answers go on while the rival is perfect, and the cost-aware objective
(where a cheaper design can still be better) keeps the default rule."""

import asyncio
import types

from agentarch.runtime.evaluator import ExampleResult
from agentarch.search.race import Lane, Race, RaceConfig, paired_verdict

VAL = [types.SimpleNamespace(id=f"e{i}") for i in range(30)]
PERFECT_PREFIX = [1] * 8 + [0, 1] * 11  # right on the first 8, then half
IDS = [f"e{i}" for i in range(8)]


def results(scores, answer="") -> dict:
    return {f"e{i}": ExampleResult(f"e{i}", "", answer or f"a{s}", float(s), 1, 10, 10, 0.0)
            for i, s in enumerate(scores)}


def run(candidate_scores, answer="other") -> Lane:
    async def measure(lane, examples, calls_cap, tokens_cap):
        lane.results = results(candidate_scores[:len(examples)], answer)
        lane.n = len(examples)
        return True

    race = Race(RaceConfig(rungs=(8, 20), coverage=False), VAL, "accuracy", 0.0, measure,
                rivals=lambda: [("incumbent", results(PERFECT_PREFIX), 20.0)], left=lambda: (1000, None))
    lane = Lane(candidate=types.SimpleNamespace(spec=types.SimpleNamespace(id="cand")), role="proposal", round=1)
    race.start(lane)
    asyncio.run(race.run([lane], begin=lambda _: None, screened=lambda _: None, finish=lambda _: None))
    return lane


def test_one_miss_against_a_perfect_rival_goes_on_and_can_win_later():
    better_later = [1] * 7 + [0] + [1] * 22  # one miss on the easy prefix, right on everything after
    lane = run(better_later)
    assert lane.outcome == "full" and lane.steps[-1] == 30
    assert lane.versus["mean"] > 0


def test_a_tie_with_other_answers_on_a_perfect_prefix_goes_on_to_every_rung():
    lane = run([1] * 30)  # ties on the first 8 (other answers), better after
    assert lane.outcome == "full" and lane.steps[-3:] == [8, 20, 30]


def test_far_behind_a_perfect_rival_is_dropped_and_its_very_answers_only_past_the_prefix():
    behind = run([0] * 30)
    assert behind.outcome == "dropped" and max(behind.steps) == 8 and behind.versus["high"] < 0
    # right answers are the same answers: a design with the rival's very answers goes on past the
    # perfect prefix, and is dropped where the rival is no longer perfect
    same = run(PERFECT_PREFIX, answer="")
    assert same.outcome == "dropped" and max(same.steps) == 20


def test_the_ceiling_rule_needs_a_perfect_rival_and_a_score_objective():
    perfect, near = results([1] * 8), results([1] * 7 + [0], "other")
    assert paired_verdict(near, perfect, IDS, "accuracy", 0.0, 0.8)["worse"] is False
    assert paired_verdict(near, perfect, IDS, "pareto", 0.0, 0.8)["worse"] is False
    # the same gap against a rival that is not perfect there: never better, so dropped
    imperfect = results([1] * 6 + [0, 1])
    assert paired_verdict(results([1] * 5 + [0, 0, 1], "other"), imperfect, IDS, "accuracy", 0.0, 0.8)["worse"]
    # cost-aware: a cheaper design could be better, so the default rule stands
    assert paired_verdict(near, perfect, IDS, "cost-aware", 0.0, 0.8)["worse"] is True
