"""Turn one BIG-bench ``task.json`` (Srivastava et al., 2022) into agentarch records.

Three kinds of task come out, by what the examples hold:

* ``target_scores`` (multiple choice): the options are listed in the question as ``(A) ...``
  lines and the target is the right letter; metric ``choice``. BIG-bench lists the right option
  first, so the options are shuffled with a seed taken from the question: the letter carries no
  signal, and the same question always gets the same order. Options that are the same number in
  digits and in words ("2" and "two") are one option, written "2 (two)".
* ``target`` that are all numbers (digits or words): metric ``numeric``; a target in words also
  accepts its digits (``aliases``), so both forms are kept.
* any other ``target``: metric ``exact`` (a list of targets gives the others as ``aliases``).

The question is the task prefix, the example's input prefix and input, the output prefix (a cue
such as "Plausible/implausible?") and, for multiple choice, the options.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agentarch.errors import DataError
from agentarch.tasks.extract import canonical_number, number_words

__all__ = ["Converted", "convert_task", "shuffle_options", "number_value"]

LETTERS = string.ascii_uppercase
_DIGITS = re.compile(r"[-+]?\d+(?:\.\d+)?")
_GENERIC_CUES = {"answer", "a", "output"}  # output prefixes that say nothing beside the options


@dataclass
class Converted:
    """Records ready for JSONL (``id``, ``question``, ``answer`` and meta fields), the metric,
    the largest number of options (0 for free answers) and the examples left out, with why."""

    records: list[dict[str, Any]]
    metric: str
    options: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def number_value(text: str) -> str:
    """The canonical number when ``text`` is one number and nothing else ("12", "twelve",
    "twenty-one"), else ""."""
    text = str(text).strip()
    if _DIGITS.fullmatch(text):
        return canonical_number(Decimal(text))
    found = number_words(text)
    if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(text):
        return str(found[0][2])
    return ""


def shuffle_options(options: list[str], question: str, seed: int = 0) -> list[str]:
    """``options`` in an order drawn from ``seed`` and the question text: stable for a question,
    unrelated to where the right option was listed."""
    key = hashlib.sha256(f"{seed}:{question}".encode()).hexdigest()
    order = list(options)
    random.Random(int(key[:16], 16)).shuffle(order)
    return order


def _merge_numbers(scores: dict[str, float]) -> dict[str, float]:
    """Options naming the same number ("2", "two") become one option "2 (two)"."""
    groups: dict[str, list[str]] = {}
    for text in scores:
        groups.setdefault(number_value(text) or f"text:{text}", []).append(text)
    merged: dict[str, float] = {}
    for key, texts in groups.items():
        if key.startswith("text:") or len(texts) == 1:
            label = texts[0]
        else:
            digits = [t for t in texts if _DIGITS.fullmatch(t.strip())]
            first = digits[0] if digits else texts[0]
            label = f"{first} ({', '.join(t for t in texts if t != first)})"
        merged[label] = max(float(scores[t]) for t in texts)
    return merged


def _question(spec: dict, text: str, options: list[str] | None) -> str:
    """Task prefix, input prefix + input, output cue, options: one question text."""
    prefix = str(spec.get("task_prefix") or "").strip()
    in_prefix = str(spec.get("example_input_prefix") or "").lstrip("\n")
    body = (in_prefix + text).strip() if in_prefix.strip() else text.strip()
    cue = str(spec.get("example_output_prefix") or "")
    lines = [prefix] if prefix else []
    if options is not None and cue.strip().rstrip(":").strip().lower() in _GENERIC_CUES:
        cue = ""
    if cue.strip():
        if cue.startswith("\n") or options is not None:
            lines += [body, cue.strip()]
        else:  # " = " or " Answer: " continues the input's last line
            lines.append(f"{body} {cue.strip()}")
    else:
        lines.append(body)
    if options is not None:
        lines += [f"({LETTERS[i]}) {opt}" for i, opt in enumerate(options)]
    return "\n".join(lines)


def _example_id(name: str, index: int, example: dict) -> str:
    own = example.get("_id") or example.get("id")
    return f"{name}-{own}" if own not in (None, "") else f"{name}-{index:04d}"


def _choice_record(spec: dict, name: str, index: int, example: dict, seed: int,
                   skipped: dict[str, int]) -> dict | None:
    scores = example["target_scores"]
    if not isinstance(scores, dict) or len(scores) < 2:
        raise DataError(f"{name}: example {index + 1}: target_scores must map at least two "
                        f"options to scores")
    merged = _merge_numbers({str(k): v for k, v in scores.items()})
    best = max(merged.values())
    right = [t for t, v in merged.items() if v == best]
    if len(right) != 1:
        skipped["several right options"] = skipped.get("several right options", 0) + 1
        return None
    if len(merged) > len(LETTERS):
        skipped["more than 26 options"] = skipped.get("more than 26 options", 0) + 1
        return None
    text = str(example["input"])
    options = shuffle_options(list(merged), text, seed)
    letter = LETTERS[options.index(right[0])]
    return {"id": _example_id(name, index, example), "question": _question(spec, text, options),
            "answer": letter, "answer_text": right[0], "options": len(options)}


def _targets(name: str, index: int, example: dict) -> list[str]:
    target = example.get("target")
    targets = target if isinstance(target, list) else [target]
    targets = [str(t) for t in targets if t is not None and str(t).strip()]
    if not targets:
        raise DataError(f"{name}: example {index + 1}: no 'target' and no 'target_scores'")
    return targets


def convert_task(spec: dict, name: str, seed: int = 0) -> Converted:
    """Records and metric for one task.json (a task without subtasks). ``name`` prefixes the
    example ids; ``seed`` orders the options of multiple-choice questions."""
    examples = spec.get("examples")
    if not isinstance(examples, list) or not examples:
        raise DataError(f"{name}: task.json has no examples")
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict) or "input" not in ex:
            raise DataError(f"{name}: example {i + 1} is not an object with an 'input'")
    skipped: dict[str, int] = {}
    if all("target_scores" in ex for ex in examples):
        records = [_choice_record(spec, name, i, ex, seed, skipped) for i, ex in enumerate(examples)]
        records = [r for r in records if r is not None]
        if not records:
            raise DataError(f"{name}: no multiple-choice example is usable ({skipped})")
        return Converted(records, "choice", max(r.pop("options") for r in records), skipped)
    targets = [_targets(name, i, ex) for i, ex in enumerate(examples)]
    numeric = all(number_value(t) for refs in targets for t in refs)
    records = []
    for i, (ex, refs) in enumerate(zip(examples, targets)):
        aliases = refs[1:]
        if numeric:
            digits = number_value(refs[0])
            if digits != refs[0].strip() and digits not in aliases:
                aliases.append(digits)
        record = {"id": _example_id(name, i, ex), "question": _question(spec, str(ex["input"]), None),
                  "answer": refs[0]}
        if aliases:
            record["aliases"] = aliases
        records.append(record)
    return Converted(records, "numeric" if numeric else "exact", 0, skipped)
