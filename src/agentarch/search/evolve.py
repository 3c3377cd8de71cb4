"""Evolution over the typed design space: regularized (aging) evolution with tournament selection
(Real et al., 2019, 'Regularized Evolution for Image Classifier Architecture Search'), with
non-dominated (Pareto) ranking as the tournament key for the accuracy/cost objective (NSGA-II's
sorting, Deb et al., 2002). Plus ``RandomSearch``, the honest baseline every optimizer must beat.

Typed options (``EvolveOptions``, ``RandomOptions``; defaults in ``DEFAULTS``): ``population``
(the newest P evaluated designs are alive; older ones age out), ``sample`` (tournament size S),
``batch`` (children per round), ``crossover`` (probability a child has two parents),
``init_random`` (random designs added to the baselines before selection starts), ``tries``
(draws per wanted design before giving up on finding a new one). From ``env.options``: ``space``
(a ``Space``; default: every registered block, demos from ``env.train``) and
``objective``/``lambda`` (see ``search/pareto.py``).
"""

from __future__ import annotations

from pydantic import Field

from agentarch.search.base import Candidate, Optimizer, OptimizerOptions, Scored, SearchEnv
from agentarch.search.pareto import DEFAULT_LAMBDA, cautious_value, pareto_ranks
from agentarch.search.space import Space

DEFAULTS = {"population": 8, "sample": 4, "batch": 2, "crossover": 0.25, "init_random": 2, "tries": 40}


class RandomOptions(OptimizerOptions):
    batch: int = Field(DEFAULTS["batch"], ge=1, description="designs proposed per round")
    tries: int = Field(DEFAULTS["tries"], ge=1, description="draws per wanted design before giving up")


class EvolveOptions(RandomOptions):
    population: int = Field(DEFAULTS["population"], ge=1, description="newest evaluated designs kept alive")
    sample: int = Field(DEFAULTS["sample"], ge=1, description="tournament size")
    crossover: float = Field(DEFAULTS["crossover"], ge=0.0, le=1.0,
                             description="probability a child has two parents")
    init_random: int = Field(DEFAULTS["init_random"], ge=0,
                             description="random designs proposed before selection starts")


def space_for(env: SearchEnv) -> Space:
    space = env.options.get("space")
    if space is None:
        space = Space.from_registry(train=env.train)
        env.options["space"] = space
    return space


class RandomSearch(Optimizer):
    """Uniform random designs from the space (Bergstra & Bengio, 2012): the control for evolution."""

    name = "random"
    paper = "Random search (Bergstra & Bengio, 2012)"
    Options = RandomOptions

    def __init__(self, env: SearchEnv, options=None, **more):
        super().__init__(env, options, **more)
        self.space = space_for(env)
        self.batch = self.options.batch

    async def propose(self, history: list[Scored]) -> list[Candidate]:
        seen = {s.id for s in history}
        out: list[Candidate] = []
        for _ in range(self.batch * self.options.tries):
            if len(out) >= self.batch:
                break
            spec = self.space.random_spec(self.env.rng)
            if spec.id not in seen:
                seen.add(spec.id)
                out.append(Candidate(spec, origin="random"))
        return out


class Evolve(Optimizer):
    """Regularized evolution: tournament-select a parent among the P newest designs, mutate it
    (sometimes cross it with a second tournament winner), never re-propose a design seen before."""

    name = "evolve"
    paper = "Regularized Evolution (Real et al., 2019); Pareto tournament (Deb et al., 2002)"
    Options = EvolveOptions

    def __init__(self, env: SearchEnv, options=None, **more):
        super().__init__(env, options, **more)
        o, opt = env.options, self.options
        self.space = space_for(env)
        self.population = opt.population
        self.sample = opt.sample
        self.batch = opt.batch
        self.p_cross = opt.crossover
        self.init_random = opt.init_random
        self.objective = o.get("objective", "accuracy")
        self.lam = float(o.get("lambda", DEFAULT_LAMBDA))
        self._random_done = 0

    def _keys(self, pop: list[Scored]) -> list[tuple]:
        if self.objective == "pareto":
            ranks = pareto_ranks(pop)
            return [(-r, s.score, -s.tokens) for r, s in zip(ranks, pop)]
        # Equal values: the cheaper design wins (simpler designs are better parents and cost less).
        return [(cautious_value(s, self.objective, self.lam), -s.tokens) for s in pop]

    def _tournament(self, pop: list[Scored], keys: list[tuple]) -> Scored:
        rng = self.env.rng
        idx = rng.sample(range(len(pop)), min(self.sample, len(pop)))
        return pop[max(idx, key=lambda i: (keys[i], -i))]  # ties go to the older design

    async def propose(self, history: list[Scored]) -> list[Candidate]:
        rng = self.env.rng
        seen = {s.id for s in history}
        out: list[Candidate] = []
        # A few random designs first, so the population is not only the hand-made baselines.
        while self._random_done < self.init_random and len(out) < self.batch:
            self._random_done += 1
            for _ in range(self.options.tries):
                spec = self.space.random_spec(rng)
                if spec.id not in seen:
                    seen.add(spec.id)
                    out.append(Candidate(spec, origin="random"))
                    break
        if out or not history:
            if not history:  # nothing evaluated at all (no baselines): start from random designs
                while len(out) < self.batch:
                    spec = self.space.random_spec(rng)
                    if spec.id not in seen:
                        seen.add(spec.id)
                        out.append(Candidate(spec, origin="random"))
            return out
        pop = history[-self.population:]  # aging: only the newest P are alive
        keys = self._keys(pop)
        for _ in range(self.batch * self.options.tries):
            if len(out) >= self.batch:
                break
            parent = self._tournament(pop, keys)
            if len(pop) > 1 and rng.random() < self.p_cross:
                other = self._tournament(pop, keys)
                if other.id != parent.id:
                    spec = self.space.crossover(parent.candidate.spec, other.candidate.spec, rng)
                    note = f"crossover of {parent.id} and {other.id}"
                    if spec.id not in seen:
                        seen.add(spec.id)
                        out.append(Candidate(spec, parent=parent.id, origin="crossover", note=note))
                        continue
            spec, note = self.space.mutate_described(parent.candidate.spec, rng)
            if spec.id not in seen:
                seen.add(spec.id)
                out.append(Candidate(spec, parent=parent.id, origin="mutation", note=note))
        return out
