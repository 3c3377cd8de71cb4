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
    tokens: float  # tokens per example
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


class Optimizer(ABC):
    """Proposes designs from what has been evaluated so far."""

    name: ClassVar[str] = ""
    paper: ClassVar[str] = ""

    def __init__(self, env: SearchEnv):
        self.env = env

    def merged_options(self, defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """``defaults`` overridden by ``given``; an unknown option is a one-line error naming the known ones."""
        from agentarch.errors import ConfigError

        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(f"{self.name} search: unknown option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(defaults)}")
        return {**defaults, **given}

    @abstractmethod
    async def propose(self, history: list[Scored]) -> list[Candidate]:
        """New candidates to evaluate (may be empty when nothing new is worth trying)."""

    def converged(self, history: list[Scored]) -> bool:
        """True when the optimizer sees no point in going on."""
        return False
