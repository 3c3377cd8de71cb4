import pytest

from agentarch.tasks.extract import (extract_code, extract_letter, extract_number, extract_text,
                                     strip_template)
from agentarch.tasks.options import extract_choice, letter_for_text, parse_options


@pytest.mark.parametrize("text, expected", [
    ("$1,200.00", "1200"),
    ("The answer is 1200.", "1200"),
    ("Answer: 42 apples", "42"),
    ("It dropped to -3.5 degrees", "-3.5"),
    ("-7", "-7"),
    ("2.50", "2.5"),
    ("0.125", "0.125"),
    ("1/2", "0.5"),
    ("1,234,567 people", "1234567"),
    ("I computed 3 + 4 = 7, then 7 * 2 = 14.", "14"),
    ("She had 5 apples. Answer: 12\nCheck: 12 - 5 = 7", "12"),
    ("Answer: 3 * 4 = 12", "12"),
    ("**Answer:** $7.50", "7.5"),
    ("blah 3\n#### 72", "72"),
    (r"so \boxed{15} is it; 99 is not", "15"),
    ("So the answer is $25, because 5 * 5", "25"),
    ("5-3", "3"),  # "-3" here is subtraction, not a negative number
    ("Answer: unknown\nI guessed 4, then 5", "5"),
    ("So 3 + 4 = 7. Answer: 7 apples", "7"),
    ("no numbers here", ""),
    ("", ""),
])
def test_extract_number(text, expected):
    assert extract_number(text) == expected


@pytest.mark.parametrize("text", ["$1,200.00", "Answer: -3.5", "1/4", "Answer: 42 apples"])
def test_extract_number_is_idempotent(text):
    once = extract_number(text)
    assert extract_number(once) == once


@pytest.mark.parametrize("text, expected", [
    ("Answer: (B)", "B"),
    ("Answer: b", "B"),
    ("B)", "B"),
    ("the answer is C", "C"),
    ("After thinking, I pick (D).", "D"),
    ("A good guess would be option E", "E"),
    ("C", "C"),
    ("A is wrong, so B", "B"),
    ("I have no idea", ""),
])
def test_extract_letter(text, expected):
    assert extract_letter(text) == expected


@pytest.mark.parametrize("text, expected", [
    ('I think...\nAnswer: "Paris".', "Paris"),
    ("Answer: Cold", "Cold"),
    ("The capital is Rome. Final answer: **Rome**", "Rome"),
    ("Let me see.\nIt is Tokyo.\n\n", "It is Tokyo"),
    ("'negative'", "negative"),
    ("", ""),
])
def test_extract_text(text, expected):
    assert extract_text(text) == expected


def test_extract_code_prefers_python_block_and_keeps_indentation():
    text = "Sure:\n```text\nnot code\n```\n```python\n    return x + 1\n```\nDone."
    assert extract_code(text) == "    return x + 1\n"


def test_extract_code_unclosed_fence_and_raw_text():
    assert extract_code("```python\ndef f():\n    return 1") == "def f():\n    return 1\n"
    assert extract_code("def g():\n    return 2\n\n") == "def g():\n    return 2\n"
    assert extract_code(extract_code("```py\nx = 1\n```")) == "x = 1\n"


# --- numbers written in words -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("twelve", "12"),
    ("Twenty-one", "21"),
    ("twenty one", "21"),
    ("one hundred and five", "105"),
    ("one hundred five", "105"),
    ("a hundred", "100"),
    ("nineteen hundred and ninety-nine", "1999"),
    ("two thousand and five", "2005"),
    ("one million two hundred thousand", "1200000"),
    ("zero", "0"),
    ("Answer: minus three", "-3"),
    ("The temperature is negative 5 degrees.", "-5"),
    ("Answer: ten minus three = seven", "7"),
    ("ten minus three", "3"),  # a subtraction, not "-3"
    ("Answer: Fifteen apples", "15"),
    ("So she has forty-two cookies left.", "42"),
    ("Answer: one", "1"),
    ("Each one costs $4.", "4"),  # "one" is a pronoun when another number is there
    ("Answer: the one with 6 pens", "6"),
    ("one two three", "3"),  # three numbers, not 123 or 6
    ("three and four", "4"),  # "and" joins only after hundred or a scale
    ("3 dozen eggs", "3"),  # "dozen" is a unit of count, not a numeral
    ("someone gave them money", ""),
    ("often, the tone was low", ""),
])
def test_extract_number_reads_words(text, expected):
    assert extract_number(text) == expected


@pytest.mark.parametrize("text", ["twelve", "Answer: minus three", "one hundred and five"])
def test_extract_number_words_idempotent(text):
    once = extract_number(text)
    assert once and extract_number(once) == once


# --- an echoed answer placeholder is no answer --------------------------------------------

ECHO = ('Question: A pen costs $3. How much do 7 pens cost?\n\nLet\'s think step by step.\n'
        'Show your work, then finish with a line "Answer: <final answer>".')


@pytest.mark.parametrize("text", [
    "Answer: <final answer>",
    "**Answer:** <final answer>",
    "Answer: <answer>",
    "The answer is <number>.",
    "Answer: [your answer]",
    ECHO,
    "3 * 7 = 21 apples, 4 left\nAnswer: <final answer>",
])
def test_placeholder_is_no_answer(text):
    assert strip_template(text).strip(' ".') == ""
    assert extract_number(text) == ""
    assert extract_letter(text) == ""
    assert extract_text(text) == ""


def test_only_what_follows_the_last_placeholder_counts():
    assert extract_number(ECHO + "\n\n7 pens cost 7 * 3 = 21 dollars.\nAnswer: 21") == "21"
    assert extract_number(ECHO + "\n\n7 * 3 = 21") == "21"
    assert extract_letter("(A) x (B) y\nAnswer: <letter>\nI choose (B)") == "B"
    assert extract_text("Answer: <final answer>\nAnswer: Paris") == "Paris"


@pytest.mark.parametrize("text, expected", [
    ("Answer: <12>", "12"),  # a value in brackets is still a value
    ("Answer: [12]", "12"),
    ("Answer: 12 <- final", "12"),
])
def test_bracketed_values_are_not_placeholders(text, expected):
    assert extract_number(text) == expected


# --- letters beyond E ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Answer: F", "F"),
    ("Answer: (F)", "F"),
    ("the answer is G", "G"),
    ("I pick (K).", "K"),
    ("Answer: I think it is F", "F"),  # the pronoun "I" is not option I
    ("I'm sure: H", "H"),
    ("Answer: I", "I"),
])
def test_extract_letter_any_option(text, expected):
    assert extract_letter(text) == expected


def test_extract_letter_only_given_letters():
    assert extract_letter("Answer: (G)", "ABCDEF") == ""
    assert extract_letter("Answer: (G) or rather (C)", "ABCDEF") == "C"


# --- options read from the question -------------------------------------------------------

SIX = {"A": "Venus", "B": "Jupiter", "C": "Mars", "D": "Saturn", "E": "Mercury", "F": "Neptune"}


@pytest.mark.parametrize("question", [
    "Which planet? (A) Venus (B) Jupiter (C) Mars (D) Saturn (E) Mercury (F) Neptune",
    "Which planet?\n(A) Venus\n(B) Jupiter\n(C) Mars\n(D) Saturn\n(E) Mercury\n(F) Neptune\n",
    "Which planet?\nA) Venus\nB) Jupiter\nC) Mars\nD) Saturn\nE) Mercury\nF) Neptune",
    "Which planet?\nA. Venus\nB. Jupiter\nC. Mars\nD. Saturn\nE. Mercury\nF. Neptune.",
    "Which planet? Options: (A) Venus, (B) Jupiter, (C) Mars, (D) Saturn, (E) Mercury, or (F) Neptune",
    "Which planet?\nOptions:\nA: Venus\nB: Jupiter\nC: Mars\nD: Saturn\nE: Mercury\nF: Neptune\nAnswer:",
])
def test_parse_options_styles(question):
    assert parse_options(question) == SIX


def test_parse_options_many_and_none():
    many = "Pick one: " + " ".join(f"({chr(65 + i)}) item{i}" for i in range(12))
    assert list(parse_options(many)) == [chr(65 + i) for i in range(12)]
    assert parse_options("A pen costs $3. How much do 7 pens cost?") == {}
    assert parse_options("Is (A) bigger than (C)?") == {}  # no A, B, ... run
    # several lists: the last one is the question's
    demo = "Q: x? (A) 1 (B) 2\nAnswer: B\n\nQ: y? (A) cat (B) dog (C) cow"
    assert parse_options(demo) == {"A": "cat", "B": "dog", "C": "cow"}


@pytest.mark.parametrize("reply, expected", [
    ("Answer: Mars", "C"),
    ("Answer: mars.", "C"),
    ("The answer is Neptune", "F"),
    ("Thinking about it...\nThe Red Planet is Mars", "C"),
    ("Answer: (C) Mars", "C"),
    ("Answer: F", "F"),
    ("Answer: Mars or Venus", ""),  # two options named: no answer
    ("Answer: Pluto", ""),
    ("Answer: <final answer>", ""),
])
def test_extract_choice_by_letter_or_option_text(reply, expected):
    assert extract_choice(reply, SIX) == expected


def test_letter_for_text_prefers_the_longer_named_option():
    options = {"A": "red", "B": "dark red", "C": "blue"}
    assert letter_for_text("dark red", options) == "B"
    assert letter_for_text("it is dark red", options) == "B"
    assert letter_for_text("red", options) == "A"
    assert letter_for_text("", options) == ""


def test_listing_the_options_is_not_choosing_one():
    listing = "Let's look at each option:\nA) Venus: hot.\nE) Mercury: small.\nF) Neptune: cold, and"
    assert extract_choice(listing, SIX) == ""
    assert extract_choice(listing + "\nSo I pick (C) Mars", SIX) == "C"
    assert extract_choice("(A) Venus (B) Jupiter (C) Mars\nHmm", SIX) == ""
