"""Answer extraction on replies the embedded model really wrote (tests/fixtures/replies_*.json,
captured by bench/capture_replies.py), and on the same replies with the answer in words or the
prompt's placeholder echoed back."""

import json
from pathlib import Path

import pytest

from agentarch.tasks import Example, get_metric

FIXTURES = Path(__file__).parent / "fixtures"


def records(name):
    data = json.loads((FIXTURES / name).read_text())
    assert data["model"].startswith("local:")  # captured from the embedded model
    return {(r["design"], r["id"]): r for r in data["records"]}


WP = records("replies_word_problems.json")
CHOICE = records("replies_choice6.json")

# What each real reply answers, read by a person (not always the target: the model errs).
WP_READ = {
    ("direct", "wp-146"): "10", ("direct", "wp-145"): "150", ("direct", "wp-032"): "-10",
    ("direct", "wp-118"): "40", ("direct", "wp-261"): "20", ("direct", "wp-216"): "31",
    ("direct", "wp-073"): "66",
    ("direct", "wp-063"): "17",  # "Answer: Jonah will be 17 years old in 7 years."
    ("cot", "wp-146"): "17", ("cot", "wp-145"): "180", ("cot", "wp-032"): "78",
    ("cot", "wp-118"): "25", ("cot", "wp-261"): "5", ("cot", "wp-216"): "46",
    ("cot", "wp-073"): "66", ("cot", "wp-063"): "27",
}
WORDS = {"10": "ten", "150": "one hundred and fifty", "40": "forty", "20": "twenty",
         "31": "thirty-one", "66": "Sixty-six", "17": "seventeen", "180": "one hundred eighty",
         "78": "seventy-eight", "25": "twenty-five", "5": "five", "46": "forty six", "27": "Twenty-seven",
         "-10": "minus ten"}


def example(r):
    return Example(id=r["id"], input=r["input"], target=r["target"])


def echo(question):
    """The cot prompt as the model would echo it back (agentarch.blocks.common.solve_prompt)."""
    return (f"Question: {question}\n\nLet's think step by step.\n"
            'Show your work, then finish with a line "Answer: <final answer>".')


def test_fixtures_cover_the_table():
    assert set(WP) == set(WP_READ)


@pytest.mark.parametrize("key", sorted(WP_READ))
def test_word_problem_replies_read_as_written(key):
    r, m = WP[key], get_metric("numeric")
    got = m.extractor(example(r))(r["reply"])
    assert got == WP_READ[key]
    assert m.score(r["reply"], example(r)) == float(got == r["target"])


@pytest.mark.parametrize("key", sorted(WP_READ))
def test_word_problem_replies_with_the_answer_in_words(key):
    r, m = WP[key], get_metric("numeric")
    value = WP_READ[key]
    reply = r["reply"].rstrip() + f"\n\nAnswer: {WORDS[value]}"
    assert m.extractor(example(r))(reply) == value
    # and a target in words is the same number
    assert m.score(f"Answer: {r['target']}", Example(id="w", input=r["input"],
                                                     target=WORDS.get(r["target"], r["target"]))) == 1.0


@pytest.mark.parametrize("key", sorted(WP_READ))
def test_echoed_prompt_is_no_answer_not_a_question_number(key):
    r = WP[key]
    m = get_metric("numeric")
    assert m.extractor(example(r))(echo(r["input"])) == ""
    assert m.extract(echo(r["input"])) == ""
    # the echo followed by the model's real work: the work counts, not the question
    assert m.extractor(example(r))(echo(r["input"]) + "\n\n" + r["reply"]) == WP_READ[key]


# What each real six-option reply chooses, read by a person ("" = no choice made).
CHOICE_READ = {
    ("direct", "choice6-0"): "E", ("direct", "choice6-1"): "E", ("direct", "choice6-2"): "C",
    ("direct", "choice6-3"): "B",
    ("direct", "choice6-4"): "C",  # "Answer: 100": option C's text
    ("direct", "choice6-5"): "F",  # "Answer: Pacific": option F's text
    ("direct", "choice6-6"): "B", ("direct", "choice6-7"): "C",
    ("cot", "choice6-0"): "E",
    ("cot", "choice6-1"): "",  # goes through A) .. E) and is cut off before choosing
    ("cot", "choice6-2"): "B",  # "the answer is (B) 63" ... \boxed{63}
    ("cot", "choice6-3"): "B",
    ("cot", "choice6-4"): "E",  # lists "A. 50 ... F. 212", then "Answer: E. 150"
    ("cot", "choice6-5"): "A",  # "Answer: Atlantic"
    ("cot", "choice6-6"): "B", ("cot", "choice6-7"): "A",  # \boxed{A}
}


def test_choice_fixtures_cover_the_table():
    assert set(CHOICE) == set(CHOICE_READ)
    assert {r["target"] for r in CHOICE.values()} >= {"E", "F"}  # beyond the old A-E limit


@pytest.mark.parametrize("key", sorted(CHOICE_READ))
def test_six_option_replies_read_as_written(key):
    r, m = CHOICE[key], get_metric("choice")
    assert m.validate_example(example(r)) is None
    got = m.extractor(example(r))(r["reply"])
    assert got == CHOICE_READ[key]
    assert m.score(r["reply"], example(r)) == float(got == r["target"])


@pytest.mark.parametrize("key", sorted(CHOICE_READ))
def test_six_option_echoed_prompt_is_no_answer(key):
    r, m = CHOICE[key], get_metric("choice")
    assert m.extractor(example(r))(echo(r["input"])) == ""
