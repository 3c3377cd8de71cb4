"""The one interface every optimizer implements, and the data the search loop hands it.

The loop (``search/loop.py``) asks an optimizer for candidates, evaluates them on the validation
split through the evaluator (so every model call is cached, costed and capped in one place),
records them, and asks again. A rerun replays the same proposals from the caches, which is what
makes a killed search resume without paying twice: optimizers must therefore be deterministic
given their seeded ``rng`` and the history.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from agentarch.blocks.context import Context
from agentarch.blocks.spec import DesignSpec


@dataclass
class Candidate:
    """A design to evaluate, and how it came about."""

    spec: DesignSpec
    parent: str | None = None  # design id of the parent, if any
    origin: str = ""  # "baseline", "mutation", "crossover", "meta", "mcts", ...
    note: str = ""  # e.g. the meta model's thought, or the edit made


@dataclass
class Scored:
    """A candidate with its validation result."""

    candidate: Candidate
    score: float  # mean validation score
    low: float  # 95% interval
    high: float
    tokens: float  # tokens per example (price-weighted across models when the design names models)
    calls: float  # model calls per example
    errors: list[str] = field(default_factory=list)  # distinct error messages, for debugging
    failures: list[dict] = field(default_factory=list)  # a few wrong examples: input, target, answer
    n: int = 0  # validation examples measured (0: not recorded)
    partial: bool = False  # measured on part of the validation split only (a race screened it out)

    @property
    def id(self) -> str:
        return self.candidate.spec.id


@dataclass
class SearchEnv:
    """What an optimizer may use besides the history.

    ``meta`` is a ``Context`` on the meta model (its own cache/budget stack); ``train`` holds
    training examples for few-shot demos; ``task_description`` tells a meta model what the task is.
    """

    rng: random.Random
    meta: Context | None = None
    train: list[Any] = field(default_factory=list)
    task_description: str = ""
    options: dict = field(default_factory=dict)


class OptimizerOptions(BaseModel):
    """Base of an optimizer's typed options: validated, no unknown keys. Each optimizer module
    keeps its defaults as plain data (``DEFAULTS``) at the top and declares its fields from them."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def parse_options(name: str, options_cls: type[OptimizerOptions], given: Any) -> OptimizerOptions:
    """``given`` (a dict, an options object or None) as ``options_cls``; a bad or unknown option is
    a one-line ``ConfigError`` naming the optimizer, the option and, for an unknown one, the known ones."""
    from agentarch.errors import ConfigError

    if given is None:
        given = {}
    if isinstance(given, options_cls):
        return given
    if isinstance(given, BaseModel):
        given = dict(given)
    if not isinstance(given, dict):
        raise ConfigError(f"{name} search: options must be a dict of option -> value, not {type(given).__name__}")
    unknown = sorted(set(given) - set(options_cls.model_fields))
    if unknown:
        raise ConfigError(f"{name} search: unknown option(s) {', '.join(unknown)}; "
                          f"known: {', '.join(options_cls.model_fields) or '(none)'}")
    try:
        return options_cls(**given)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"]) or "(options)"
        value = e.get("input")
        shown = "" if isinstance(value, dict) and where == "(options)" else f" (got {value!r})"
        raise ConfigError(f"{name} search: option '{where}': {e['msg']}{shown}") from None


class Optimizer(ABC):
    """Proposes designs from what has been evaluated so far.

    ``Options`` is its typed options model; ``Optimizer(env, options)`` or
    ``Optimizer(env, **options)`` validates them into ``self.options``."""

    name: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    Options: ClassVar[type[OptimizerOptions]] = OptimizerOptions

    def __init__(self, env: SearchEnv, options: Any = None, **more: Any):
        self.env = env
        if not isinstance(options, self.Options) or more:
            if isinstance(options, BaseModel):
                options = dict(options)
            elif options is not None and not isinstance(options, dict):
                parse_options(self.name, self.Options, options)  # raises: not a mapping
            # Option fields found in ``env.options`` (how older callers passed them) are defaults.
            inherited = {k: v for k, v in env.options.items() if k in self.Options.model_fields}
            options = {**inherited, **(options or {}), **more}
        self.options = parse_options(self.name, self.Options, options)
        self.opts: dict[str, Any] = dict(self.options)  # field -> value, for terse reads

    @abstractmethod
    async def propose(self, history: list[Scored]) -> list[Candidate]:
        """New candidates to evaluate (may be empty when nothing new is worth trying)."""

    def converged(self, history: list[Scored]) -> bool:
        """True when the optimizer sees no point in going on."""
        return False
