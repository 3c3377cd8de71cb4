"""A task: examples plus a metric, and the deterministic train/validation/test split.

Split policy: examples are ordered by ``sha256(f"{seed}:{id}")`` and cut into consecutive
train/val/test slices. The order depends only on the seed and the ids, so reordering a file
does not change the split, and the same seed always gives the same split. The default is
20% train (few-shot demos, feedback), 30% validation (the search selects designs on it) and
50% test (touched once, at the end): the final reported number gets the most data and so the
smallest error bar.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

from agentarch.errors import ConfigError
from agentarch.tasks.example import Example
from agentarch.tasks.metrics import Metric, get_metric

__all__ = ["Task", "Split", "limit"]


class Split(NamedTuple):
    train: list[Example]
    val: list[Example]
    test: list[Example]


def _sizes(n: int, train: float | int, val: float | int, test: float | int) -> tuple[int, int, int]:
    parts = {"train": train, "val": val, "test": test}
    for key, value in parts.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"split {key}={value!r} must be a fraction in [0, 1] or a count >= 0")
        if isinstance(value, float) and value > 1:
            raise ConfigError(f"split {key}={value} is a fraction above 1; give a count as an int")
    fractions = [v for v in parts.values() if isinstance(v, float)]
    if sum(fractions) > 1 + 1e-9:
        raise ConfigError(f"split fractions add up to {sum(fractions):g}, more than 1")
    counts = {k: v if isinstance(v, int) else round(v * n) for k, v in parts.items()}
    # Fractions adding up to 1 mean "everything": the test slice takes the rounding remainder.
    if isinstance(test, float) and abs(sum(fractions) - 1) < 1e-9 and len(fractions) == 3:
        counts["test"] = max(0, n - counts["train"] - counts["val"])
    total = sum(counts.values())
    if total > n:
        raise ConfigError(f"split asks for {total} examples (train {counts['train']}, val "
                          f"{counts['val']}, test {counts['test']}) but the task has {n}")
    return counts["train"], counts["val"], counts["test"]


@dataclass
class Task:
    """``metric`` may be given by name; ``origin`` says where the examples come from."""

    name: str
    description: str
    examples: list[Example]
    metric: Metric | str = "exact"
    origin: str = ""
    _by_id: dict[str, Example] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)

    def __post_init__(self) -> None:
        self.metric = get_metric(self.metric)

    def __len__(self) -> int:
        return len(self.examples)

    def get(self, example_id: str) -> Example:
        """The example with this id (``KeyError`` if none)."""
        if len(self._by_id) != len(self.examples):
            self._by_id = {ex.id: ex for ex in self.examples}
        return self._by_id[example_id]

    def split(self, seed: int = 0, train: float | int = 0.2, val: float | int = 0.3,
              test: float | int = 0.5) -> Split:
        """Disjoint train/val/test lists: floats are fractions of the task, ints are counts."""
        n_train, n_val, n_test = _sizes(len(self.examples), train, val, test)
        order = sorted(self.examples,
                       key=lambda ex: hashlib.sha256(f"{seed}:{ex.id}".encode()).hexdigest())
        return Split(order[:n_train], order[n_train:n_train + n_val],
                     order[n_train + n_val:n_train + n_val + n_test])

    def answer_format(self, train: Sequence[Example] | None = None) -> str:
        """What this task's answers look like ("a whole number in digits", "one letter (A)-(F)",
        ...), for prompts. Learnt from the training split only (``train``, by default the default
        split's), never from the examples a design is measured on; "" for a task with no examples."""
        from agentarch.tasks.answer_format import answer_format

        if train is None:
            if not self.examples:
                return ""
            train = self.split().train
        return answer_format(train, self.metric)

    def info(self) -> dict:
        return {"name": self.name, "size": len(self.examples), "metric": self.metric.name,
                "origin": self.origin, "description": self.description}


def limit(examples: Sequence[Example], n: int | None) -> list[Example]:
    """The first ``n`` examples (all when ``n`` is None). Splits are already in a seeded
    order, so this is a deterministic subsample."""
    if n is None:
        return list(examples)
    if n < 0:
        raise ConfigError(f"limit must be >= 0, got {n}")
    return list(examples[:n])
