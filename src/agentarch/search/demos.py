"""Bootstrapped few-shot demonstrations: the model's own chain-of-thought traces on training
examples, kept only when the metric scores them correct and the reasoning is real (DSPy's
BootstrapFewShot, Khattab et al., 2024, with a guard it lacks).

A small model asked for a structured "reasoning" field often fills it with a placeholder ("Not
supplied", "<reasoning>", the instruction echoed back) and still lands on the right answer; shown
as a demo, that teaches the model to skip reasoning. So a correct trace is kept only when its
reasoning (the text before the final answer line) is long enough, says something the prompt did
not, is not a template, ends in an answer the metric still scores correct once the trace is cut
after its answer line, and fits in a small context (``MAX_DEMO_CHARS``).

``bootstrap`` runs ``cot`` on training examples through the evaluator (cached, metered, capped, and
stored: a rerun reads the stored results and sends no call) and returns the kept demos, why the
others were dropped, and the wrong answers (for instruction proposals, ``search/instructions.py``).
``demo_sets`` turns kept demos into the few-shot block's candidate values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from agentarch.blocks.common import STEP_BY_STEP, answer_line, solve_prompt
from agentarch.blocks.spec import DesignSpec

TEACHER = DesignSpec(block="cot")  # the design whose traces become demos
MIN_NEW_WORDS = 6  # the reasoning must hold at least this many words the prompt did not contain
MAX_DEMO_CHARS = 1200  # a demo longer than this is dropped (3 demos must fit a 2048-token slot)
DEMO_COUNTS = (1, 2, 3)  # demos per few-shot design
SETS_PER_COUNT = 3  # candidate demo sets of each size
CORRECT = 1.0  # a trace is correct when the metric gives it at least this

_ANSWER_LINE = re.compile(r"^[\W_]*(?:the\s+)?(?:final\s+)?answer\s*(?:is)?\s*[:：]", re.I | re.M)
PLACEHOLDERS = [re.compile(p, re.I) for p in (
    r"\bnot\s+(?:supplied|provided|given|available|applicable)\b",
    r"<\s*(?:final\s+answer|answer|reasoning|your[^<>\n]{0,30}|work|steps?|explanation|rationale|"
    r"number|thoughts?)\s*>",
    r"\[\s*(?:your\s+|the\s+)?(?:reasoning|work|steps?|answer|explanation|rationale)[^\]\n]{0,30}\]",
    r"\b(?:reasoning|work|explanation|rationale|steps?)\s+(?:goes\s+)?here\b",
    r"\b(?:TODO|TBD|lorem ipsum)\b",
    r"(?<![\\\w}^_])\{\{?\s*[a-z_]{2,}\s*\}?\}",  # an unfilled {field} of a template (not LaTeX: \\boxed{42})
)]
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class Failure:
    """A training question ``cot`` got wrong: what was asked, what was right, what it said."""

    question: str
    target: str
    answer: str  # the extracted answer
    reply: str  # the whole reply

    def to_dict(self) -> dict:
        return {"question": self.question, "target": self.target, "answer": self.answer, "reply": self.reply}


@dataclass
class Bootstrap:
    """What bootstrapping found: ``demos`` as (question, trace) pairs, drop reasons by count,
    the wrong answers, how many examples were tried and how many of those were correct."""

    demos: list[tuple[str, str]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    tried: int = 0
    correct: int = 0
    complete: bool = True  # False when the budget ran out before the wanted examples were tried


def split_trace(trace: str) -> tuple[str, str]:
    """(reasoning, answer line) of a reply: the text before its first answer line, and that line
    ('' when the reply has none)."""
    m = _ANSWER_LINE.search(trace)
    if not m:
        return trace.strip(), ""
    end = trace.find("\n", m.start())
    line = trace[m.start(): end if end >= 0 else len(trace)]
    return trace[: m.start()].strip(), line.strip()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def reasoning_problem(reasoning: str, prompt: str) -> str:
    """Why ``reasoning`` is not real reasoning for a demo ('' when it is): empty, a placeholder or
    template, or (almost) nothing but words of the prompt it answered (an echoed instruction)."""
    if not reasoning.strip():
        return "empty reasoning"
    for pat in PLACEHOLDERS:
        if pat.search(reasoning):
            return "template reasoning"
    new = _words(reasoning) - _words(prompt)
    if len(new) < MIN_NEW_WORDS:
        return "reasoning repeats the prompt"
    return ""


def demo_from_trace(question: str, trace: str, example, metric) -> tuple[str, str]:
    """(demo text, '') for a correct reply worth showing, else ('', why not).

    The demo is the reply cut after its answer line. A reply without one must end on its answer
    (its last line holds the extracted answer, so a reply cut off by the token limit is dropped);
    an answer line saying so is then added, so every demo shows the format asked for."""
    trace = (trace or "").strip()
    reasoning, line = split_trace(trace)
    prompt = solve_prompt(question, STEP_BY_STEP) + "\n" + answer_line()
    why = reasoning_problem(reasoning, prompt)
    if why:
        return "", why
    if line:
        demo = f"{reasoning}\n\n{line}"
    else:
        answer = metric.extract(trace)
        last = trace.splitlines()[-1] if trace else ""
        if not answer or (answer not in last and metric.extract(last) != answer):
            return "", "no final answer line"
        demo = f"{reasoning}\n\nAnswer: {answer}"
    if len(demo) > MAX_DEMO_CHARS:
        return "", "too long"
    if not metric.is_async and metric.score(demo, example) < CORRECT:
        return "", "wrong once cut at its answer line"
    return demo, ""


async def bootstrap(evaluator, train: Sequence, wanted: int, *, run_id: str | None = None,
                    max_tries: int | None = None, failures_wanted: int = 0) -> Bootstrap:
    """Run ``cot`` on the training examples in order, ``wanted`` at a time, until ``wanted`` demos
    are kept and ``failures_wanted`` wrong answers are seen, or ``max_tries`` examples (default
    ``2 * wanted``) were tried. Results go to the store as ``split="train"``, ``role="bootstrap"``."""
    out = Bootstrap()
    limit = min(len(train), max_tries if max_tries is not None else 2 * wanted)
    step = max(1, wanted, 4 if failures_wanted else 1)
    metric = evaluator.task.metric
    start = 0
    while start < limit and (len(out.demos) < wanted or len(out.failures) < failures_wanted):
        chunk = list(train[start: min(limit, start + step)])
        start += len(chunk)
        got = []
        summary = await evaluator.evaluate(TEACHER, chunk, "train", run_id, on_result=got.append, role="bootstrap")
        by_id = {r.example_id: r for r in got}
        for ex in chunk:
            r = by_id.get(ex.id)
            if r is None:
                continue
            out.tried += 1
            if r.score < CORRECT or r.error:
                out.failures.append(Failure(ex.input, ex.target, r.extracted, r.answer))
                continue
            out.correct += 1
            if len(out.demos) >= wanted:
                continue
            demo, why = demo_from_trace(ex.input, r.answer, ex, metric)
            if demo:
                out.demos.append((ex.input, demo))
            else:
                out.dropped[why] = out.dropped.get(why, 0) + 1
        if not summary.complete:
            out.complete = False
            break
    return out


def demo_sets(demos: Sequence[Sequence[str]], counts: Sequence[int] = DEMO_COUNTS,
              per_count: int = SETS_PER_COUNT) -> list[list[list[str]]]:
    """Candidate values of the few-shot block's ``demos``: for each size k, ``per_count`` sets of
    k consecutive demos (wrapping around), so every demo is in some set. Deterministic."""
    pool = [[str(q), str(a)] for q, a in demos]
    n = len(pool)
    out: list[list[list[str]]] = []
    for k in counts:
        if k > n:
            continue
        for i in range(min(per_count, max(1, n // k + (n % k > 0)))):
            s = [pool[(i * k + j) % n] for j in range(k)]
            if s not in out:
                out.append(s)
    return out
