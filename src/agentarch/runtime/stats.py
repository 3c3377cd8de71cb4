"""Confidence intervals: percentile bootstrap of a mean, and a paired bootstrap of a difference
(Efron & Tibshirani, 1993). Seeded, so a report is reproducible."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_mean(scores, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    x = np.asarray(list(scores), dtype=float)
    if x.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    a = (1 - confidence) / 2
    return Interval(float(x.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a)))


@dataclass(frozen=True)
class Comparison:
    diff: Interval
    p_not_better: float  # share of resamples where a does not beat b

    @property
    def significant(self) -> bool:
        return self.diff.low > 0 or self.diff.high < 0


def paired_bootstrap(a, b, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0) -> Comparison:
    """Difference of means a - b over the same examples, resampling examples jointly."""
    x, y = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    if x.shape != y.shape:
        raise ValueError("paired bootstrap needs scores on the same examples")
    d = x - y
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
    q = (1 - confidence) / 2
    iv = Interval(float(d.mean()), float(np.quantile(means, q)), float(np.quantile(means, 1 - q)))
    return Comparison(iv, float((means <= 0).mean()))
