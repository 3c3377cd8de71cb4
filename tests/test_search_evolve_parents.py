"""Evolution's parent choice (and TPE's and MCTS's values) with racing: a design racing stopped on a few lucky examples must not
outrank a design measured on the whole validation split (on bigbench:operators, plangen at 2 right of
3 became every round's parent while cot had 26 of 60)."""

import asyncio
import random

from agentarch.blocks.spec import DesignSpec
from agentarch.search.base import Candidate, Scored, SearchEnv
from agentarch.search.evolve import Evolve
from agentarch.search.pareto import cautious_value as parent_value
from agentarch.search.registry import make_optimizer
from agentarch.search.space import Space


def scored(block, score, low, high, n, partial, tokens=300.0):
    return Scored(Candidate(DesignSpec(block=block)), score, low, high, tokens, 1.0, n=n, partial=partial)


def test_a_lucky_partial_design_ranks_below_a_fully_measured_one():
    full = scored("cot", 0.433, 0.31, 0.56, 60, False)
    lucky = scored("plangen", 0.667, 0.0, 1.0, 3, True, tokens=2886.0)
    solid = scored("refine", 0.75, 0.5, 1.0, 8, True)
    assert parent_value(full, "accuracy", 0.0) == 0.433
    assert parent_value(lucky, "accuracy", 0.0) == 0.0
    assert parent_value(solid, "accuracy", 0.0) == 0.5  # its lower bound still beats cot's 0.433
    assert parent_value(lucky, "accuracy", 0.0) < parent_value(full, "accuracy", 0.0) < parent_value(solid, "accuracy", 0.0)


def test_tournament_over_the_whole_population_never_picks_the_lucky_partial_design():
    full = scored("cot", 0.433, 0.31, 0.56, 60, False)
    lucky = scored("plangen", 0.667, 0.0, 1.0, 3, True, tokens=2886.0)
    env = SearchEnv(rng=random.Random(0), options={"space": Space.from_registry(only=("cot", "plangen", "refine"))})
    evo = Evolve(env, sample=2, init_random=0)
    pop = [full, lucky]
    keys = evo._keys(pop)
    assert {evo._tournament(pop, keys).id for _ in range(20)} == {full.id}


def test_tpe_is_told_the_lower_bound_of_a_partial_design():
    full = scored("cot", 0.433, 0.31, 0.56, 60, False)
    lucky = scored("plangen", 0.667, 0.0, 1.0, 3, True, tokens=2886.0)
    env = SearchEnv(rng=random.Random(0), options={"space": Space.from_registry(only=("cot", "plangen", "refine"))})
    opt = make_optimizer("tpe", env)
    asyncio.run(opt.propose([full, lucky]))
    assert opt.known[full.id] == 0.433 and opt.known[lucky.id] == 0.0
