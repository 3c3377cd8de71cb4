"""The options of a multiple-choice question, read from its text, so an answer may give an
option's text instead of its letter ("(A) red (B) blue ... Answer: blue" is B).

Options are labelled with consecutive capital letters from A (any number, up to Z), written
"(A) text" inline or one per line, "A) text", "A. text" or "A: text" at the start of a line,
optionally after "Options:". When a question holds several such lists, the last one counts.
"""

from __future__ import annotations

import re

from agentarch.tasks.extract import answer_segments, extract_letter, normalize_text, strip_template

__all__ = ["parse_options", "letter_for_text", "extract_choice"]

# Option labels, tried in this order; the style giving the longest A, B, C, ... run wins.
_LABELS = (
    re.compile(r"\(([A-Z])\)[ \t]*"),                        # (A) red (B) blue / one per line
    re.compile(r"(?:(?<=^)|(?<=[ \t\n]))([A-Z])\)[ \t]+"),  # A) red B) blue
    re.compile(r"^[ \t]*([A-Z])[.:][ \t]+", re.M),          # A. red / A: red, one per line
)
_TRAILING = re.compile(r"(?:[\s,;]+(?:or|and)?)+$")


def _runs(matches: list[re.Match]) -> list[list[re.Match]]:
    """Runs of labels A, B, C, ... in order; a label that does not continue a run is text."""
    runs: list[list[re.Match]] = []
    for m in matches:
        letter = m.group(1)
        if letter == "A":
            runs.append([m])
        elif runs and ord(letter) == ord(runs[-1][-1].group(1)) + 1:
            runs[-1].append(m)
    return [r for r in runs if len(r) >= 2]


def parse_options(question: str) -> dict[str, str]:
    """``{"A": "red", "B": "blue", ...}`` from the question text; ``{}`` when it lists none."""
    question = question or ""
    best: list[re.Match] = []
    for pattern in _LABELS:
        runs = _runs(list(pattern.finditer(question)))
        if runs and len(runs[-1]) > len(best):
            best = runs[-1]
    options = {}
    for i, m in enumerate(best):
        end = best[i + 1].start() if i + 1 < len(best) else len(question)
        text = question[m.end():end].strip().split("\n", 1)[0]
        text = _TRAILING.sub("", text.strip()).rstrip(".").strip()
        options[m.group(1)] = text
    return options


def _contains(haystack: str, needle: str) -> bool:
    return re.search(rf"(?<!\S){re.escape(needle)}(?!\S)", haystack) is not None


def letter_for_text(answer: str, options: dict[str, str]) -> str:
    """The letter of the option whose text ``answer`` gives (normalised: case, punctuation and
    articles do not matter), or "". An answer naming several options is no answer, except that
    an option inside a longer named one ("red" in "dark red") yields to it."""
    said = normalize_text(answer)
    texts = {letter: normalize_text(t) for letter, t in options.items()}
    texts = {letter: t for letter, t in texts.items() if t}
    if not said:
        return ""
    exact = [letter for letter, t in texts.items() if t == said]
    if len(exact) == 1:
        return exact[0]
    named = [letter for letter, t in texts.items() if _contains(said, t)]
    named = [a for a in named
             if not any(texts[b] != texts[a] and _contains(texts[b], texts[a]) for b in named)]
    return named[0] if len(named) == 1 else ""


def _drop_listing(text: str, options: dict[str, str]) -> str:
    """``text`` without the lines that list options ("E) Dolphin: ..." at a line's start, or
    two or more labelled options on one line): going through the options one by one is not
    choosing the last one, while "so I pick (C) Mars" is kept."""
    pairs = [re.compile(rf"\(?\b{letter}[).:]\)?[ \t]*{re.escape(option)}(?!\w)", re.I)
             for letter, option in options.items() if option]
    kept = []
    for line in text.splitlines():
        starts = any(p.match(line.lstrip(" \t*-")) for p in pairs)
        if not starts and sum(1 for p in pairs if p.search(line)) < 2:
            kept.append(line)
    return "\n".join(kept)


def extract_choice(text: str, options: dict[str, str]) -> str:
    """The chosen letter among ``options``: a letter as ``extract_letter`` reads it, or an
    option's text in the marked answer or the last line. Outside the marked answer, lines
    listing the options are not a choice."""
    if not options:
        return extract_letter(text)
    letters = "".join(options)
    by_text = lambda part: letter_for_text(part, options)  # noqa: E731
    marked = extract_letter("\n".join(answer_segments(text)), letters, by_text)
    return marked or extract_letter(_drop_listing(strip_template(text), options), letters, by_text)
