"""The noise floor: how much a design's accuracy moves when the very same design is measured again.

Greedy decoding is not reproducible on every backend: llama.cpp batches the requests of its
parallel slots together, and a different batch can change a greedy reply. Two measurements of one
design (repeat 0 and repeat 1, the same prompts and seeds, fresh calls) show that noise directly.

The floor is the **mean absolute per-example score change between two runs**; with 0/1 scores it
is the flip rate, the share of examples whose score changed. It is the most that re-running the
identical design could move its accuracy on these examples (if every change went the same way).
The plain accuracy shift ``|acc(run 0) - acc(run 1)|`` is reported too, but it is not the floor:
changes in opposite directions cancel in it, so it can be 0 while a fifth of the answers flip.
A gain over a baseline that does not exceed the floor could come from re-running alone.
With more than two runs, the floor is the mean of that change over every pair of runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Mapping, Sequence


@dataclass(frozen=True)
class NoiseFloor:
    n: int  # examples measured in every run
    accuracies: tuple[float, ...]  # accuracy of each run on those examples, repeat 0 first
    flips: int  # examples whose score was not the same in every run
    floor: float  # mean absolute per-example score change between two runs (see the module doc)

    @property
    def shift(self) -> float:
        """The largest difference between two runs' accuracies."""
        return max(self.accuracies) - min(self.accuracies) if self.accuracies else 0.0

    @property
    def flip_rate(self) -> float:
        return self.flips / self.n if self.n else 0.0

    def to_dict(self) -> dict:
        return {"n": self.n, "accuracies": list(self.accuracies), "flips": self.flips,
                "flip_rate": self.flip_rate, "shift": self.shift, "floor": self.floor}


def noise_floor(runs: Sequence[Mapping[str, float]]) -> NoiseFloor:
    """The noise between runs of one design, each given as ``{example_id: score}``; only examples
    scored in every run count. Needs at least two runs."""
    if len(runs) < 2:
        raise ValueError("a noise floor needs at least two runs of the same design")
    ids = [i for i in runs[0] if all(i in r for r in runs[1:])]
    n = len(ids)
    if n == 0:
        return NoiseFloor(0, tuple(float("nan") for _ in runs), 0, float("nan"))
    accs = tuple(sum(r[i] for i in ids) / n for r in runs)
    flips = sum(1 for i in ids if len({r[i] for r in runs}) > 1)
    pairs = list(combinations(runs, 2))
    floor = sum(sum(abs(a[i] - b[i]) for i in ids) / n for a, b in pairs) / len(pairs)
    return NoiseFloor(n, accs, flips, floor)
