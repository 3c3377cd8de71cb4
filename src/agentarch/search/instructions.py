"""Instruction proposals grounded in failures: a meta model reads training questions the model got
wrong with the plain chain-of-thought instruction and writes a task-specific instruction (APE,
Zhou et al., 2023, 'Large Language Models Are Human-Level Prompt Engineers'; OPRO, Yang et al.,
2024, 'Large Language Models as Optimizers').

Each call shows the meta model a different couple of failures (rotating through them) and asks
for one piece of advice starting "Remember to" (asked for "an instruction", the embedded 0.5B model
wrote about the request itself in 5 of 9 replies on word_problems and none passed the checks;
asked for advice, 3 of 3 did); a reply becomes a candidate only when it passes ``instruction_problem``: not
empty, between ``MIN_CHARS`` and ``MAX_CHARS``, no template placeholder, not about the request
itself ("write a new instruction that ...": the commonest bad proposal of the embedded 0.5B model),
no copy of a shown question or of a shown answer (an instruction must help on every question, not restate one),
and not a duplicate of an instruction already in the space. Calls are sampled through a
``Context``, whose sample counters make a rerun send the same requests (so the cache answers them).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Sequence

from agentarch.blocks.common import STEP_BY_STEP
from agentarch.blocks.context import Context
from agentarch.errors import BudgetExceeded
from agentarch.search.demos import PLACEHOLDERS, Failure

MIN_CHARS = 20
MAX_CHARS = 300
SHOWN = 2  # failures shown per call
CALLS_PER_INSTRUCTION = 3  # meta calls allowed per wanted instruction
TEMPERATURE = 0.8
MAX_TOKENS = 120
QUESTION_CHARS = 400  # a longer question is shortened in the prompt
MIN_NEW_WORDS = 3  # an instruction must hold this many words the request for it did not
REQUEST = ("Write one new piece of advice, one or two sentences, that would help it answer questions "
           "of this kind correctly. It must fit every question of the task: do not mention these "
           "questions, their names, numbers or answers. Reply with the advice only, starting with "
           "\"Remember to\".")
_WORD = re.compile(r"[a-z0-9']+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ABOUT_ITSELF = re.compile(r"\binstructions?\b|\b(?:the|these|given)\s+questions\b", re.I)

_LABEL = re.compile(r"^\W*(?:(?:new|better|improved|revised|the)\s+)*instruction\s*\d*\s*[:：-]\s*", re.I)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass
class Proposals:
    """Kept instructions, the rejected replies with the reason, and the meta calls made."""

    kept: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    calls: int = 0
    complete: bool = True  # False when the budget stopped the proposals


def _short(text: str, most: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= most else text[: most - 3] + "..."


def proposal_prompt(task_description: str, failures: Sequence[Failure], current: str = STEP_BY_STEP) -> str:
    """One self-contained prompt: the task, the instruction the model had, a few of its wrong
    answers, and the request for one general instruction."""
    shown = "\n\n".join(f"Question: {_short(f.question, QUESTION_CHARS)}\nCorrect answer: {f.target}\n"
                        f"The model's answer: {f.answer or '(none)'}" for f in failures)
    desc = _short(task_description or "answer the question correctly", 300)
    return (f"A small language model solves this task: {desc}\n"
            f'It was told "{current}" and got these questions wrong:\n\n{shown}\n\n'
            f"{REQUEST}")


def parse_instruction(reply: str) -> str:
    """The instruction in a reply: its first paragraph, without a label ("Instruction:"), list
    mark, markdown emphasis, code fence or surrounding quotes."""
    text = re.sub(r"```\w*", "", reply or "").strip()
    lines = [ln.strip() for ln in text.splitlines()]
    while lines and (not lines[0] or (lines[0].endswith(":") and len(lines) > 1)):  # blank or an intro line
        lines.pop(0)
    para: list[str] = []
    for ln in lines:
        if not ln:
            if para:
                break
            continue
        para.append(ln)
    out = " ".join(para)
    out = _LIST_MARK.sub("", out)
    out = _LABEL.sub("", out)
    out = out.replace("**", "").strip()
    if len(out) >= 2 and out[0] in "\"'“" and out[-1] in "\"'”":
        out = out[1:-1].strip()
    return out


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _mentions(text: str, value: str) -> bool:
    """True when ``value`` (an answer) appears in ``text`` as a whole word or number."""
    value = value.strip()
    if not value or (len(value) < 2 and not value.isdigit()):
        return False  # a single letter ("A") is an ordinary word
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)", text, re.I) is not None


def _details(text: str, common: set[str]) -> set[str]:
    """The numbers and longer words (5+ letters) of ``text`` that ``common`` does not hold: what
    ties a text to one particular question."""
    return {w for w in _WORD.findall(text.lower()) if (w[0].isdigit() or len(w) >= 5) and w not in common}


def instruction_problem(text: str, failures: Sequence[Failure] = (), existing: Sequence[str] = (),
                        task_description: str = "") -> str:
    """Why ``text`` cannot be an instruction ('' when it can). Sharing two details (numbers, longer
    words not in the request or the task description) with one shown question is retelling it."""
    if not text.strip():
        return "empty"
    if len(text) < MIN_CHARS:
        return "too short"
    if len(text) > MAX_CHARS:
        return "too long"
    for pat in PLACEHOLDERS:
        if pat.search(text):
            return "template"
    if _ABOUT_ITSELF.search(text):
        return "about the request, not the task"
    if len(set(_WORD.findall(text.lower())) - set(_WORD.findall(REQUEST.lower()))) < MIN_NEW_WORDS:
        return "repeats the request"
    norm = _norm(text)
    numbers = set(_NUMBER.findall(text))
    common = set(_WORD.findall(f"{REQUEST} {task_description}".lower()))
    details = _details(text, common)
    for f in failures:
        q = _norm(f.question)
        if q and (q in norm or (len(q) > 40 and q[:40] in norm)):
            return "copies a question"
        if len(numbers & set(_NUMBER.findall(f.question))) >= 2 or len(details & _details(f.question, common)) >= 2:
            return "copies a question"  # retold in other words
        for value in (f.target, f.answer):
            if _mentions(text, value):
                return "copies an example's answer"
    if any(_norm(e) == norm for e in existing):
        return "duplicate"
    return ""


async def propose_instructions(meta: Context, task_description: str, failures: Sequence[Failure], wanted: int,
                               existing: Sequence[str] = (), current: str = STEP_BY_STEP,
                               max_calls: int | None = None) -> Proposals:
    """Ask ``meta`` for up to ``wanted`` valid instructions, one per call, call ``i`` showing
    failures ``i*SHOWN ...`` (rotating); the calls still needed are sent together; at most
    ``max_calls`` calls (default ``CALLS_PER_INSTRUCTION * wanted``). No failures, no proposals.
    A spent budget ends the proposals (``complete`` False)."""
    out = Proposals()
    if wanted <= 0 or not failures:
        return out
    calls = max_calls if max_calls is not None else CALLS_PER_INSTRUCTION * wanted
    n = len(failures)
    k = min(SHOWN, n)
    i = 0
    while len(out.kept) < wanted and i < calls:
        # As many calls at once as instructions are still missing (they fill parallel slots); the
        # requests, their sample indices and the order replies are checked in depend only on i.
        batch = range(i, min(calls, i + wanted - len(out.kept)))
        i = batch.stop
        prompts = [proposal_prompt(task_description, [failures[(j * k + m) % n] for m in range(k)], current)
                   for j in batch]
        try:
            replies = await asyncio.gather(*(meta.ask(p, temperature=TEMPERATURE, max_tokens=MAX_TOKENS,
                                                      block="propose_instruction") for p in prompts))
        except BudgetExceeded:
            out.complete = False
            break
        for reply in replies:
            out.calls += 1
            text = parse_instruction(reply)
            why = instruction_problem(text, failures, [*existing, *out.kept], task_description)
            if why:
                out.rejected.append((_short(text or reply, 200), why))
            elif len(out.kept) < wanted:
                out.kept.append(text)
    return out
