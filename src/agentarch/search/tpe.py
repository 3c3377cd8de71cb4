"""Tree-structured Parzen Estimator over the flattened design space (Bergstra et al., 2011,
'Algorithms for Hyper-Parameter Optimization'), through Optuna's ask/tell interface (Akiba et al.,
2019). The space is conditional: the root block is a categorical choice and each block's
parameters (and a composite's child) exist only when that block is chosen (``Space.spec_from_trial``).

Deterministic given the seed drawn from ``env.rng`` and the history, so a resumed search asks the
same trials again. A trial that lands on a design already evaluated is told its known value at
once and another is asked. With ``objective="pareto"`` the study has two objectives (maximise
accuracy, minimise tokens per example) and Optuna's multi-objective TPE is used.

Typed options (``TPEOptions``, defaults in ``DEFAULTS``): ``batch`` (trials per round),
``startup`` (random trials before TPE models the results), ``tries`` (trials asked per wanted
design). From ``env.options``: ``space`` and ``objective``/``lambda``.
"""

from __future__ import annotations

from pydantic import Field

from agentarch.errors import require
from agentarch.search.base import Candidate, Optimizer, OptimizerOptions, Scored, SearchEnv
from agentarch.search.evolve import space_for
from agentarch.search.pareto import DEFAULT_LAMBDA, cautious_value

DEFAULTS = {"batch": 2, "startup": 6, "tries": 30}


class TPEOptions(OptimizerOptions):
    batch: int = Field(DEFAULTS["batch"], ge=1, description="trials per round")
    startup: int = Field(DEFAULTS["startup"], ge=0, description="random trials before TPE models the results")
    tries: int = Field(DEFAULTS["tries"], ge=1, description="trials asked per wanted design")


class TPE(Optimizer):
    name = "tpe"
    paper = "TPE (Bergstra et al., 2011) via Optuna (Akiba et al., 2019)"
    Options = TPEOptions

    def __init__(self, env: SearchEnv, options=None, **more):
        super().__init__(env, options, **more)
        optuna = require("optuna", "search")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        o = env.options
        self.space = space_for(env)
        self.batch = self.options.batch
        self.objective = o.get("objective", "accuracy")
        self.lam = float(o.get("lambda", DEFAULT_LAMBDA))
        seed = env.rng.randrange(2**31)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature warnings
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=self.options.startup)
        if self.objective == "pareto":
            self.study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
        else:
            self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self.known: dict[str, object] = {}  # design id -> told value(s)
        self.pending: dict[str, list] = {}  # design id -> trials waiting for its result

    def _value(self, s: Scored):
        if self.objective == "pareto":
            return [s.score, s.tokens]
        return cautious_value(s, self.objective, self.lam)  # a design racing stopped early: its lower bound

    def _tell_known(self, history: list[Scored]) -> None:
        for s in history:
            if s.id not in self.known:
                self.known[s.id] = self._value(s)
            for trial in self.pending.pop(s.id, []):
                self.study.tell(trial, self.known[s.id])

    async def propose(self, history: list[Scored]) -> list[Candidate]:
        self._tell_known(history)
        # Trials whose design was proposed but never scored (e.g. dropped by the loop) fail, so
        # the sampler does not wait on them.
        for did, trials in list(self.pending.items()):
            for t in trials:
                self.study.tell(t, state=self.optuna.trial.TrialState.FAIL)
            del self.pending[did]
        out: list[Candidate] = []
        for _ in range(self.batch * self.options.tries):
            if len(out) >= self.batch:
                break
            trial = self.study.ask()
            spec = self.space.spec_from_trial(trial)
            if spec.id in self.known:
                self.study.tell(trial, self.known[spec.id])
                continue
            if spec.id in self.pending:
                self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
                continue
            self.pending[spec.id] = [trial]
            out.append(Candidate(spec, origin="tpe", note=f"trial {trial.number}"))
        return out
