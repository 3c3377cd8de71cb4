"""A one-line description of what a task's answers look like, for prompts: "a whole number in
digits", "one letter (A)-(F)", "yes or no", ...

Derived from the training examples only (their targets, and for multiple choice the options in
their questions), never from the examples a design is measured on. Small models answer in the
asked form far more often when the form is named; the metrics still read other forms.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from agentarch.tasks.example import Example
from agentarch.tasks.extract import extract_letter, extract_number, normalize_text
from agentarch.tasks.metrics import Metric, get_metric
from agentarch.tasks.options import parse_options

__all__ = ["answer_format"]

# The hint for a metric when the training examples say nothing more.
DEFAULTS = {"numeric": "a number in digits", "choice": "one letter", "code_tests": ""}
BOOLEAN_SETS = {frozenset({"yes", "no"}): "yes or no", frozenset({"true", "false"}): "True or False"}
MAX_LABELS = 5          # a closed label set is named when it has at most this many values
MIN_PER_LABEL = 2       # ... and the targets show each value this many times on average
SHORT_PHRASE_WORDS = 5  # longer targets are "a sentence"


def _numeric(targets: list[str]) -> str:
    values = [extract_number(t) for t in targets]
    if not values or any(v == "" for v in values):
        return ""
    whole = all("." not in v for v in values)
    return "a whole number in digits" if whole else "a number in digits"


def _choice(examples: Sequence[Example]) -> str:
    letters = [extract_letter(ex.target) for ex in examples]
    for ex in examples:
        letters += list(parse_options(ex.input))
    letters = [c for c in letters if c]
    return f"one letter (A)-({max(letters)})" if letters else DEFAULTS["choice"]


def _label_set(targets: list[str]) -> str:
    """'yes or no', 'True or False', 'positive or negative', 'one of: a, b, c' for a closed set."""
    counts = Counter(normalize_text(t) for t in targets)
    for values, hint in BOOLEAN_SETS.items():
        if set(counts) <= values:
            return hint
    if not 2 <= len(counts) <= MAX_LABELS or len(targets) < MIN_PER_LABEL * len(counts):
        return ""
    first = {}
    for t in targets:
        first.setdefault(normalize_text(t), t.strip())
    names = [first[v] for v, _ in counts.most_common()]
    return " or ".join(names) if len(names) == 2 else "one of: " + ", ".join(names)


def answer_format(examples: Sequence[Example], metric: Metric | str) -> str:
    """The answer form the training ``examples`` show for ``metric`` ("" when nothing can be
    said, as for code)."""
    metric = get_metric(metric)
    targets = [str(ex.target).strip() for ex in examples if str(ex.target).strip()]
    if metric.name == "code_tests":
        return ""
    if metric.name == "choice":
        return _choice(examples)
    if not targets:
        return DEFAULTS.get(metric.name, "")
    if metric.name == "numeric":
        return _numeric(targets) or DEFAULTS["numeric"]
    labels = _label_set(targets)
    if labels:
        return labels
    if _numeric(targets) and all(normalize_text(t).replace(" ", "").isdigit() for t in targets):
        return _numeric(targets)
    longest = max(len(normalize_text(t).split()) for t in targets)
    if longest <= 1:
        return "one word"
    return "a short phrase" if longest <= SHORT_PHRASE_WORDS else "a sentence"
