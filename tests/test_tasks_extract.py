import pytest

from agentarch.tasks.extract import extract_code, extract_letter, extract_number, extract_text


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
