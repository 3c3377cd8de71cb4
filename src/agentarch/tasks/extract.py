"""Pull a final answer out of free model text.

Models rarely answer with the bare value, so every metric extracts first. Each extractor prefers
an explicit marker ("Answer: ...", "the answer is ...", "#### ...", ``\\boxed{...}``) and only
then falls back to a heuristic (last number, last line). Extractors are idempotent:
``f(f(text)) == f(text)``, so a block may vote on or return already extracted answers.

A prompt's own placeholder echoed back ("Answer: <final answer>") is no answer. Only what
follows the last such echo is read: the text before it is the echoed prompt (its numbers are
the question's), so a reply that ends on the placeholder gives "".

Numbers may be written in words ("twelve", "Twenty-one", "one hundred and five", "minus
three"): English cardinals only. "dozen", "pair" or "half" are units of count, not numerals
("3 dozen" answers "how many dozens?" with 3), so they are left alone. A lone "one" is as often
a pronoun ("each one costs $4") as a number, so it counts only where no other number does.
This module imports only the standard library: ``agentarch export`` copies it into a
standalone agent.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable

__all__ = ["extract_number", "extract_letter", "extract_text", "extract_code",
           "answer_segments", "canonical_number", "strip_template", "normalize_text",
           "number_words", "question_numbers"]

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
SCALES = {"thousand": 10 ** 3, "million": 10 ** 6, "billion": 10 ** 9, "trillion": 10 ** 12}
SIGN_WORDS = ("minus", "negative")

# "Answer: 42", "**Final answer:** 42", "... so Answer: 42": the rest of the line after the marker.
_ANSWER_LINE = re.compile(r"\b(?:final[ \t]+)?answer[ \t*_]*:[ \t*_]*(.*?)[ \t*_]*$",
                          re.I | re.M)
_ANSWER_IS = re.compile(r"\banswer(?:\s+\w+)?\s+(?:is|=|would\s+be|will\s+be)\s*:?\s*([^\n]*)", re.I)
_HASHES = re.compile(r"^\s*####\s*(.+)$", re.M)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")

# An answer marker followed by a placeholder instead of a value: "Answer: <final answer>",
# 'the answer is "<number>"', "Answer: [your answer]", "Answer: {answer}".
_TEMPLATE = re.compile(
    r"\banswer\b[ \t*_]*(?::|is|=)?[ \t*_]*[\"'`\u201c\u2018]?[ \t]*"
    r"(?:<[^<>\n]{0,60}?[A-Za-z]{2}[^<>\n]{0,60}>"
    r"|[\[{][^\[\]{}\n]{0,40}?\b(?:answer|number|letter|value|result)\b[^\[\]{}\n]{0,40}[\]}])",
    re.I)

# A number: optional sign, optional currency, 1,200 or 1200, optional decimals, optional /den.
# The look-behind keeps "x2" and the "-3" of "5-3" from being read as numbers.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-\u2212])?[$\u20ac\u00a3]?\s?"
    r"(?P<int>\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?P<frac>\.\d+)?(?:/(?P<den>\d+)(?![\d.]))?")
_WORD = re.compile(r"[A-Za-z]+")
_WORD_JOIN = re.compile(r"[ \t]+|-")  # "twenty one", "twenty-one"
_SIGN_BEFORE = re.compile(r"\b(?:minus|negative)[ \t]+$", re.I)


def strip_template(text: str) -> str:
    """What follows the last echoed answer placeholder ("Answer: <final answer>"); ``text``
    itself when there is none."""
    text = text or ""
    last = None
    for last in _TEMPLATE.finditer(text):
        pass
    return text if last is None else text[last.end():]


def answer_segments(text: str) -> list[str]:
    """The marked answer parts of ``text``, most explicit marker first (last occurrence wins).
    Nothing before an echoed placeholder counts (see ``strip_template``)."""
    text = strip_template(text)
    out = []
    for pattern in (_ANSWER_LINE, _BOXED, _HASHES, _ANSWER_IS):
        found = [m.group(1).strip() for m in pattern.finditer(text)]
        found = [f for f in found if f]
        if found:
            out.append(found[-1])
    return out


def canonical_number(value: Decimal) -> str:
    """``1200`` for whole values, trimmed decimals otherwise (``2.5``, never ``2.50`` or ``-0``)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --- numbers written in words -------------------------------------------------------------

def _below_hundred(words: list[str], k: int) -> tuple[int, int] | None:
    """"seven", "fifteen", "forty", "forty-two": (value, next index) or None."""
    w = words[k] if k < len(words) else ""
    if w in TENS:
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if nxt in UNITS and nxt != "zero":
            return TENS[w] + UNITS[nxt], k + 2
        return TENS[w], k + 1
    if w in TEENS:
        return TEENS[w], k + 1
    if w in UNITS:
        return UNITS[w], k + 1
    return None


def _below_thousand(words: list[str], k: int) -> tuple[int, int] | None:
    """Up to "nine hundred and ninety-nine" ("a hundred", "twelve hundred", "one hundred five")."""
    n = len(words)
    if k + 1 < n and words[k] == "a" and words[k + 1] == "hundred":
        value, j = 100, k + 2
    else:
        head = _below_hundred(words, k)
        if head is None:
            return None
        value, j = head
        if not (j < n and words[j] == "hundred" and value > 0):
            return head
        value, j = value * 100, j + 1
    tail = _below_hundred(words, j + 1) if j < n and words[j] == "and" else _below_hundred(words, j)
    return (value + tail[0], tail[1]) if tail else (value, j)


def _parse_words(words: list[str], k: int) -> tuple[int, int] | None:
    """The longest well-formed cardinal starting at ``words[k]``: (value, next index) or None."""
    n = len(words)
    total, j, last_scale = 0, k, None
    while j < n:
        if words[j] == "a" and j + 1 < n and words[j + 1] in SCALES:
            group = (1, j + 1)
        else:
            group = _below_thousand(words, j)
        if group is None:
            break
        value, g = group
        scale = SCALES.get(words[g]) if g < n else None
        if scale and value > 0 and (last_scale is None or scale < last_scale):
            total, j, last_scale = total + value * scale, g + 1, scale
            # "two thousand and five": "and" joins only when a smaller group follows.
            if j + 1 < n and words[j] == "and" and _below_thousand(words, j + 1):
                j += 1
            continue
        if last_scale is not None and value >= last_scale:
            break
        total, j = total + value, g
        break
    return None if j == k else (total, j)


def number_words(text: str) -> list[tuple[int, int, int, bool]]:
    """The numbers written in words in ``text``: (start, end, value, weak) in order of position.
    ``weak`` marks a lone "one", which may be a pronoun."""
    tokens = list(_WORD.finditer(text or ""))
    out = []
    i = 0
    while i < len(tokens):
        # the run of joined words from i ("twenty-one", "one hundred and five")
        run = [tokens[i]]
        while (len(run) < 12 and i + len(run) < len(tokens)
               and _WORD_JOIN.fullmatch(text[run[-1].end():tokens[i + len(run)].start()])):
            run.append(tokens[i + len(run)])
        words = [t.group().lower() for t in run]
        parsed = _parse_words(words, 0)
        if parsed is None:
            i += 1
            continue
        value, used = parsed
        out.append((run[0].start(), run[used - 1].end(), value, words[:used] == ["one"]))
        i += used
    return out


def _digit_numbers(segment: str) -> list[tuple[int, int, Decimal]]:
    out = []
    for m in _NUMBER.finditer(segment):
        try:
            value = Decimal(m.group("int").replace(",", "") + (m.group("frac") or ""))
            if m.group("den"):
                den = Decimal(m.group("den"))
                if den == 0:
                    continue
                value = value / den
        except InvalidOperation:  # pragma: no cover - the regex only admits digits
            continue
        if m.group("sign"):
            value = -value
        out.append((m.start(), m.end(), value))
    return out


def _numbers(segment: str) -> list[str]:
    """Every number in ``segment`` (digits or words) in order, canonical; a lone "one" only
    when there is no other number. "minus"/"negative" before a number negates it unless a
    number comes right before ("ten minus three" is a subtraction)."""
    found = [(s, e, v, False) for s, e, v in _digit_numbers(segment)]
    found += [(s, e, Decimal(v), weak) for s, e, v, weak in number_words(segment)]
    found.sort(key=lambda f: f[0])
    strong = [f for f in found if not f[3]]
    chosen = strong or found
    out = []
    for start, _end, value, _weak in chosen:
        sign = _SIGN_BEFORE.search(segment, 0, start)
        if sign and value > 0:
            before = [f for f in found if f[1] <= sign.start()]
            if not before or segment[before[-1][1]:sign.start()].strip():
                value = -value
        out.append(canonical_number(value))
    return out


def _number_in_answer(segment: str, given: frozenset[str] = frozenset()) -> str:
    # "Answer: 3 * 4 = 12" -> the part after the last "="; otherwise the first number
    # ("Answer: 42 apples (6 per box)" -> 42) that the question does not give ("Answer: in
    # 2 years she will be 35" -> 35 when the question says "in 2 years").
    if "=" in segment:
        after = _numbers(segment.rsplit("=", 1)[1])
        if after:
            return after[0]
    nums = _numbers(segment)
    fresh = [n for n in nums if n not in given]
    return (fresh or nums or [""])[0]


def question_numbers(question: str) -> frozenset[str]:
    """The numbers a question gives (canonical), for ``extract_number(text, given=...)``."""
    return frozenset(_numbers(question or ""))


def extract_number(text: str, given: frozenset[str] = frozenset()) -> str:
    """The final numeric answer as a canonical string ("1200", "2.5", "-3"), or "" if none.

    Tolerates "$1,200.00", "The answer is 1200.", "Answer: 42 apples", "-3.5", "1/2" (-> "0.5")
    and words ("Answer: twenty-one" -> "21"). ``given`` are numbers the question states: in an
    answer line with several numbers, the first one not given is the answer.
    """
    text = strip_template(text)
    for segment in answer_segments(text):
        found = _number_in_answer(segment, given)
        if found:
            return found
    nums = _numbers(text)
    return nums[-1] if nums else ""


# --- multiple-choice letters --------------------------------------------------------------

_NOT_PRONOUN = r"(?![Ii](?:\s+[a-z]|['\u2019]))"  # "I think ...", "I'm" are not option I


@lru_cache(maxsize=32)
def _letter_patterns(letters: str) -> dict[str, re.Pattern]:
    any_case = f"[{letters}{letters.lower()}]"
    upper = f"[{letters}]"
    return {
        "first": re.compile(rf"^\W*\(?{_NOT_PRONOUN}({any_case})(?:\)|\]|\.|:|,|\s|$)"),
        "paren": re.compile(rf"\(({any_case})\)"),
        "close": re.compile(rf"(?<![\w(])({upper})\)"),
        "word": re.compile(rf"\b(?:option|choice)\s+\(?({any_case})\b", re.I),
        # a bare capital, but not the article "A" or the pronoun "I" before a word
        "bare": re.compile(rf"\b{_NOT_PRONOUN}({upper})\b(?!\s+[a-z]|['\u2019])"),
    }


def extract_letter(text: str, letters: str = string.ascii_uppercase,
                   by_text: Callable[[str], str] | None = None) -> str:
    """The multiple-choice letter ("Answer: (B)", "B)", "the answer is C", "Answer: F"), or "".

    ``letters`` are the valid options (default A-Z). ``by_text`` maps an answer written as an
    option's text to its letter ("Answer: blue" -> "B"); it is consulted for the marked answer
    parts and the last line.
    """
    p = _letter_patterns(letters)
    text = strip_template(text).strip()
    for segment in answer_segments(text):
        for key in ("first", "paren", "word"):
            m = p[key].search(segment)
            if m:
                return m.group(1).upper()
        found = by_text(segment) if by_text else ""
        if found:
            return found
    for key in ("paren", "close", "word"):
        found = p[key].findall(text)
        if found:
            return found[-1].upper()
    m = p["first"].match(text)
    if m and len(text) <= 3:
        return m.group(1).upper()
    if by_text:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        found = by_text(lines[-1]) if lines else ""
        if found:
            return found
    found = p["bare"].findall(text)
    return found[-1] if found else ""


# --- free text and code -------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("\u2018\u2019\u201c\u201d")


def normalize_text(text: str) -> str:
    """Casefold, drop punctuation and the articles a/an/the, collapse whitespace."""
    text = "".join(ch for ch in (text or "").casefold() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


_QUOTES = "\"'`\u201c\u201d\u2018\u2019*_"


def _clean(line: str) -> str:
    line = line.strip().strip(_QUOTES).strip()
    while line.endswith((".", "!")) and not line.endswith(".."):
        line = line[:-1].rstrip().rstrip(_QUOTES).rstrip()
    return line.strip(_QUOTES).strip()


def extract_text(text: str) -> str:
    """The "Answer:" line if there is one, else the last non-empty line; without quotes or a
    trailing period. After an echoed placeholder, only what follows it counts."""
    text = strip_template(text)
    matches = [m.group(1) for m in _ANSWER_LINE.finditer(text) if m.group(1).strip()]
    if matches:
        return _clean(matches[-1])
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return _clean(lines[-1]) if lines else ""


_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(text: str) -> str:
    """The code in the first ```python fenced block (any fenced block if none is labelled python;
    an unclosed fence runs to the end), else the raw text. Indentation is kept: a completion may
    be a bare, indented function body."""
    text = text or ""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    chosen = next((b for lang, b in blocks if lang in ("python", "py", "python3")), None)
    if chosen is None and blocks:
        chosen = next((b for lang, b in blocks if not lang), blocks[0][1])
    code = text if chosen is None else chosen
    lines = code.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip() + ("\n" if lines else "")
