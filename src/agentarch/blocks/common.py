"""Pieces several blocks share: prompts that ask for a marked final answer, answer voting,
and picking a candidate by number. Kept in one place so blocks do not repeat them."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

ANSWER_FORMAT = 'End with a line of the form "Answer: <final answer>".'


def solve_prompt(question: str, instruction: str = "") -> str:
    """A user prompt that asks for a solution ending in a marked answer line."""
    head = f"{instruction}\n\n" if instruction else ""
    return f"{head}Question: {question}\n\n{ANSWER_FORMAT}"


def majority(answers: Iterable[str], weights: Iterable[float] | None = None) -> str:
    """The most common non-empty answer (ties go to the earliest); weighted when weights are given."""
    answers = list(answers)
    ws = list(weights) if weights is not None else [1.0] * len(answers)
    score: Counter[str] = Counter()
    first: dict[str, int] = {}
    for i, (a, w) in enumerate(zip(answers, ws)):
        if a == "":
            continue
        score[a] += w
        first.setdefault(a, i)
    if not score:
        return answers[0] if answers else ""
    return max(score, key=lambda a: (score[a], -first[a]))


def agreement(answers: Sequence[str]) -> float:
    """Share of answers equal to the majority answer (0 when there are none)."""
    nonempty = [a for a in answers if a != ""]
    if not nonempty:
        return 0.0
    return Counter(nonempty).most_common(1)[0][1] / len(answers)


def numbered(items: Sequence[str], label: str = "Candidate") -> str:
    return "\n\n".join(f"{label} {i + 1}:\n{t.strip()}" for i, t in enumerate(items))


def pick_index(text: str, count: int, default: int = 0) -> int:
    """Read a 1-based choice like "Candidate 2" or "Best: 3" from a model's reply."""
    m = re.search(r"(?:candidate|answer|choice|best|response|agent|solution)\s*#?\s*(\d+)", text, re.I)
    if not m:
        m = re.search(r"\b(\d+)\b", text)
    if m:
        k = int(m.group(1)) - 1
        if 0 <= k < count:
            return k
    return default
