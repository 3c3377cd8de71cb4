"""Metrics: how a model's free text is turned into an answer and scored against a target.

A metric does three jobs: ``extract`` (the canonical answer blocks vote on), ``score`` (0..1
against an example) and ``validate_target`` (catch bad reference answers when a file is loaded,
not halfway through a search). ``extractor(example)`` is ``extract`` bound to one example, for
metrics that need the question to read an answer (``choice`` maps an option's text to its
letter); ``score`` and the evaluator's per-example ``ctx.extract`` use it. ``code_tests`` has to run code, so it scores with ``score_async``
and a ``run_code`` callable the evaluator injects; ``is_async`` tells the evaluator which to call.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections import Counter
from decimal import Decimal
from typing import Any, Awaitable, Callable, ClassVar

from agentarch.errors import ConfigError
from agentarch.tasks.example import Example
from agentarch.tasks.extract import (_ARTICLES, _PUNCT, extract_code, extract_letter,  # noqa: F401
                                     extract_number, extract_text, normalize_text,
                                     question_numbers)
from agentarch.tasks.options import extract_choice, parse_options

# run_code(code, timeout=...) -> an object with ``.ok`` (agentarch.blocks.context.CodeResult;
# typed loosely because blocks sit above tasks).
RunCode = Callable[..., Awaitable[Any]]

__all__ = ["Metric", "ExactMatch", "Numeric", "TokenF1", "Choice", "CodeTests", "METRICS",
           "get_metric", "normalize_text", "RunCode"]


class Metric:
    """Base class. Subclasses set ``name``/``description`` and override ``extract``/``score``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    is_async: ClassVar[bool] = False

    def extract(self, text: str) -> str:
        """The canonical answer in ``text``; equal strings mean equal answers (used for voting)."""
        return (text or "").strip()

    def extractor(self, example: Example) -> Callable[[str], str]:
        """``extract`` for answers to ``example`` (default: ``extract`` itself, which needs no
        question)."""
        return self.extract

    def score(self, prediction_text: str, example: Example) -> float:
        raise NotImplementedError

    async def score_async(self, prediction_text: str, example: Example,
                          run_code: RunCode | None = None) -> float:
        """Async form every metric supports, so an evaluator can always await it."""
        return self.score(prediction_text, example)

    def validate_target(self, target: str) -> str | None:
        """A one-line problem with a reference answer, or None when it is usable."""
        if not str(target).strip():
            return "target is empty"
        return None

    def validate_example(self, example: Example) -> str | None:
        """Problems with a whole example (default: only its target)."""
        return self.validate_target(example.target)

    def fingerprint(self) -> str:
        """A hash of the metric's name, settings and the source of the code that extracts and
        scores answers (its class's modules and the agentarch task modules they import), so a
        stored score is reused only under the same metric code."""
        from agentarch.store.identity import digest, module_closure, source_fingerprint

        cls = type(self)
        roots = {cls.__module__} | {c.__module__ for c in cls.__mro__ if c.__module__.startswith("agentarch.")}
        code = source_fingerprint(module_closure(roots, follow=("agentarch.tasks.",)))
        return digest("metric", self.name, cls.__module__, cls.__qualname__, vars(self), code)

    def __repr__(self) -> str:
        return f"<metric {self.name}>"


# Text normalisation (SQuAD v1.1 evaluation script) lives in agentarch.tasks.extract.


def _references(example: Example) -> list[str]:
    """The target plus any ``meta["aliases"]`` (other acceptable answers)."""
    aliases = example.meta.get("aliases") or []
    return [example.target, *[str(a) for a in aliases]]


class ExactMatch(Metric):
    name = "exact"
    description = "normalized exact match of the answer line (casefold, no punctuation/articles)"

    def extract(self, text: str) -> str:
        return normalize_text(extract_text(text))

    def score(self, prediction_text: str, example: Example) -> float:
        pred = self.extractor(example)(prediction_text)
        return float(any(pred == normalize_text(ref) for ref in _references(example)))


class TokenF1(Metric):
    name = "f1"
    description = "token-overlap F1 of the answer line against the target (SQuAD style)"

    def extract(self, text: str) -> str:
        return normalize_text(extract_text(text))

    @staticmethod
    def f1(pred: str, ref: str) -> float:
        p, r = normalize_text(pred).split(), normalize_text(ref).split()
        if not p or not r:
            return float(p == r)
        common = sum((Counter(p) & Counter(r)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(p), common / len(r)
        return 2 * precision * recall / (precision + recall)

    def score(self, prediction_text: str, example: Example) -> float:
        pred = self.extractor(example)(prediction_text)
        return max(self.f1(pred, ref) for ref in _references(example))


class Numeric(Metric):
    name = "numeric"
    description = "final number equals the target within 1e-6 relative ('$1,200.00' == 1200)"
    rel_tol: ClassVar[float] = 1e-6

    def extract(self, text: str) -> str:
        return extract_number(text)

    def extractor(self, example: Example) -> Callable[[str], str]:
        given = question_numbers(example.input)
        return lambda text: extract_number(text, given)

    def same(self, a: str, b: str) -> bool:
        if not a or not b:
            return False
        x, y = Decimal(a), Decimal(b)
        return x == y or math.isclose(float(x), float(y), rel_tol=self.rel_tol, abs_tol=1e-12)

    def score(self, prediction_text: str, example: Example) -> float:
        pred = self.extractor(example)(prediction_text)
        return float(any(self.same(pred, extract_number(ref)) for ref in _references(example)))

    def validate_target(self, target: str) -> str | None:
        if extract_number(str(target)) == "":
            return f"target {str(target)[:40]!r} is not a number"
        return None


class Choice(Metric):
    """A letter A-Z; with the options listed in the question, the option's text counts too."""

    name = "choice"
    description = "multiple-choice letter (A-Z); an option's text counts when the question lists the options"

    def extract(self, text: str) -> str:
        return extract_letter(text)

    def extractor(self, example: Example) -> Callable[[str], str]:
        options = parse_options(example.input)
        if not options:
            return self.extract
        return lambda text: extract_choice(text, options)

    def score(self, prediction_text: str, example: Example) -> float:
        pred = self.extractor(example)(prediction_text)
        return float(pred != "" and pred == extract_letter(example.target))

    def validate_target(self, target: str) -> str | None:
        if extract_letter(str(target)) == "":
            return f"target {str(target)[:40]!r} is not a choice letter A-Z"
        return None

    def validate_example(self, example: Example) -> str | None:
        problem = self.validate_target(example.target)
        options = parse_options(example.input)
        if problem is None and options and extract_letter(example.target) not in options:
            listed = f"{next(iter(options))}-{list(options)[-1]}"
            return (f"target {str(example.target)[:40]!r} is not one of the options {listed} "
                    "listed in the question")
        return problem


class CodeTests(Metric):
    """HumanEval-style: the completion passes the example's unit tests.

    The program is ``prompt + completion + test + check(entry_point)``. A completion that
    repeats the whole ``def entry_point(...)`` follows the prompt's stub (given a ``pass``),
    which it simply redefines, so the prompt's imports and helper functions stay available;
    a prompt that is not Python (a user's plain-text task) is left out in that case.
    """

    name = "code_tests"
    description = "generated code passes the example's unit tests (HumanEval style)"
    is_async = True

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def extract(self, text: str) -> str:
        return extract_code(text)

    def score(self, prediction_text: str, example: Example) -> float:
        raise TypeError("metric 'code_tests' runs code: use 'await metric.score_async("
                        "text, example, run_code)'")

    def build_program(self, prediction_text: str, example: Example) -> str:
        meta = example.meta
        entry = meta["entry_point"]
        code = self.extract(prediction_text)
        tail = f"\n\n{meta['test']}\n\ncheck({entry})\n"
        prompt = meta.get("prompt", example.input)
        if not re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(entry)}\s*\(", code, re.M):
            lines = code.splitlines()
            first = next((ln for ln in lines if ln.strip()), "")
            if first and not first[0].isspace():  # an unindented bare body: indent it
                code = "\n".join(("    " + ln) if ln.strip() else ln for ln in lines) + "\n"
            return f"{prompt}{code}{tail}"
        return f"{_code_prefix(prompt)}{code}{tail}"

    async def score_async(self, prediction_text: str, example: Example,
                          run_code: RunCode | None = None) -> float:
        if run_code is None:
            raise TypeError("metric 'code_tests' needs a run_code callable")
        result = await run_code(self.build_program(prediction_text, example), timeout=self.timeout)
        return 1.0 if getattr(result, "ok", False) else 0.0

    def validate_target(self, target: str) -> str | None:
        return None  # the reference solution is optional; the tests are what count

    def validate_example(self, example: Example) -> str | None:
        missing = [k for k in ("test", "entry_point") if not example.meta.get(k)]
        if missing:
            return "missing field " + ", ".join(repr(k) for k in missing) + " needed to run tests"
        return None


def _code_prefix(prompt: str) -> str:
    """The prompt as a code prefix (imports, helpers, the stub) when it is Python; a stub with
    only a docstring gets ``pass`` so the completion's full definition can follow it."""
    for candidate in (prompt.rstrip() + "\n    pass\n", prompt):
        try:
            ast.parse(candidate)
        except SyntaxError:
            continue
        return candidate + "\n\n"
    return ""  # a natural-language prompt: the completion must stand alone


METRICS: dict[str, Metric] = {m.name: m for m in
                              (ExactMatch(), Numeric(), TokenF1(), Choice(), CodeTests())}


def get_metric(name: str | Metric) -> Metric:
    """The metric called ``name`` (a ``Metric`` passes through); ``ConfigError`` if unknown."""
    if isinstance(name, Metric):
        return name
    if name in METRICS:
        return METRICS[name]
    close = difflib.get_close_matches(str(name), list(METRICS), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown metric '{name}'.{hint} Known metrics: {', '.join(sorted(METRICS))}")
