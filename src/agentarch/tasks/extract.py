"""Pull a final answer out of free model text.

Models rarely answer with the bare value, so every metric extracts first. Each extractor prefers
an explicit marker ("Answer: ...", "the answer is ...", "#### ...", ``\\boxed{...}``) and only
then falls back to a heuristic (last number, last line). Extractors are idempotent:
``f(f(text)) == f(text)``, so a block may vote on or return already extracted answers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["extract_number", "extract_letter", "extract_text", "extract_code",
           "answer_segments", "canonical_number"]

# "Answer: 42", "**Final answer:** 42", "... so Answer: 42": the rest of the line after the marker.
_ANSWER_LINE = re.compile(r"\b(?:final[ \t]+)?answer[ \t*_]*:[ \t*_]*(.*?)[ \t*_]*$",
                          re.I | re.M)
_ANSWER_IS = re.compile(r"\banswer(?:\s+\w+)?\s+(?:is|=|would\s+be|will\s+be)\s*:?\s*([^\n]*)", re.I)
_HASHES = re.compile(r"^\s*####\s*(.+)$", re.M)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")

# A number: optional sign, optional currency, 1,200 or 1200, optional decimals, optional /den.
# The look-behind keeps "x2" and the "-3" of "5-3" from being read as numbers.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-\u2212])?[$\u20ac\u00a3]?\s?"
    r"(?P<int>\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?P<frac>\.\d+)?(?:/(?P<den>\d+)(?![\d.]))?")


def answer_segments(text: str) -> list[str]:
    """The marked answer parts of ``text``, most explicit marker first (last occurrence wins)."""
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


def _numbers(segment: str) -> list[str]:
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
        out.append(canonical_number(value))
    return out


def _number_in_answer(segment: str) -> str:
    # "Answer: 3 * 4 = 12" -> the part after the last "="; otherwise the first number
    # ("Answer: 42 apples (6 per box)" -> 42).
    if "=" in segment:
        after = _numbers(segment.rsplit("=", 1)[1])
        if after:
            return after[0]
    nums = _numbers(segment)
    return nums[0] if nums else ""


def extract_number(text: str) -> str:
    """The final numeric answer as a canonical string ("1200", "2.5", "-3"), or "" if none.

    Tolerates "$1,200.00", "The answer is 1200.", "Answer: 42 apples", "-3.5" and "1/2" (-> "0.5").
    """
    text = text or ""
    for segment in answer_segments(text):
        found = _number_in_answer(segment)
        if found:
            return found
    nums = _numbers(text)
    return nums[-1] if nums else ""


_LETTER_FIRST = re.compile(r"^\W*\(?([A-Ea-e])(?:\)|\]|\.|:|,|\s|$)")
_LETTER_PAREN = re.compile(r"\(([A-Ea-e])\)")
_LETTER_CLOSE = re.compile(r"(?<![\w(])([A-E])\)")
_LETTER_WORD = re.compile(r"\b(?:option|choice)\s+\(?([A-Ea-e])\b", re.I)
_LETTER_BARE = re.compile(r"\b([A-E])\b(?!\s+[a-z])")  # skip the article "A" before a word


def extract_letter(text: str) -> str:
    """The multiple-choice letter A-E ("Answer: (B)", "B)", "the answer is C"), or ""."""
    text = (text or "").strip()
    for segment in answer_segments(text):
        for pattern in (_LETTER_FIRST, _LETTER_PAREN, _LETTER_WORD):
            m = pattern.search(segment)
            if m:
                return m.group(1).upper()
    for pattern in (_LETTER_PAREN, _LETTER_CLOSE, _LETTER_WORD):
        found = pattern.findall(text)
        if found:
            return found[-1].upper()
    m = _LETTER_FIRST.match(text)
    if m and len(text) <= 3:
        return m.group(1).upper()
    found = _LETTER_BARE.findall(text)
    return found[-1] if found else ""


_QUOTES = "\"'`\u201c\u201d\u2018\u2019*_"


def _clean(line: str) -> str:
    line = line.strip().strip(_QUOTES).strip()
    while line.endswith((".", "!")) and not line.endswith(".."):
        line = line[:-1].rstrip().rstrip(_QUOTES).rstrip()
    return line.strip(_QUOTES).strip()


def extract_text(text: str) -> str:
    """The "Answer:" line if there is one, else the last non-empty line; without quotes or a
    trailing period."""
    text = text or ""
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
