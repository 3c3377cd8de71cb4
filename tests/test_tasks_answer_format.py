import pytest

from agentarch.tasks import Example, Task, load_task
from agentarch.tasks.answer_format import answer_format


def exs(*targets, question="q"):
    return [Example(id=str(i), input=question, target=t) for i, t in enumerate(targets)]


@pytest.mark.parametrize("targets, metric, expected", [
    (["12", "7", "1200"], "numeric", "a whole number in digits"),
    (["twelve", "7", "$1,200"], "numeric", "a whole number in digits"),
    (["2.5", "7"], "numeric", "a number in digits"),
    ([], "numeric", "a number in digits"),
    (["yes", "No", "yes"], "exact", "yes or no"),
    (["True", "False"], "exact", "True or False"),
    (["positive", "negative", "neutral", "positive", "negative", "neutral"], "exact",
     "one of: positive, negative, neutral"),
    (["Paris", "Rome", "Tokyo"], "exact", "one word"),
    (["Paris", "New York City", "Rome"], "f1", "a short phrase"),
    (["because the ice melts faster when it is warm", "x"], "f1", "a sentence"),
    (["12", "40"], "exact", "a whole number in digits"),
    ([], "exact", ""),
    (["def f(): pass"], "code_tests", ""),
])
def test_answer_format_from_targets(targets, metric, expected):
    assert answer_format(exs(*targets), metric) == expected


def test_distinct_free_answers_are_not_a_label_set():
    # four different one-word answers: no evidence of a closed set of labels
    assert answer_format(exs("cold", "down", "night", "slow"), "exact") == "one word"


def test_choice_letters_come_from_the_options_and_targets():
    six = "Q? (A) a (B) b (C) c (D) d (E) e (F) f"
    assert answer_format(exs("B", "C", question=six), "choice") == "one letter (A)-(F)"
    assert answer_format(exs("B", "D"), "choice") == "one letter (A)-(D)"
    assert answer_format([], "choice") == "one letter"


def test_task_hint_comes_from_the_training_split_only():
    train = exs("yes", "no", "yes")
    test = [Example(id=f"t{i}", input="q", target=t) for i, t in enumerate(["maybe", "perhaps"])]
    task = Task("t", "", train + test, metric="exact")
    assert task.answer_format(train) == "yes or no"
    assert task.answer_format(test) == "one word"


def test_builtin_tasks():
    wp = load_task("word_problems")
    assert wp.answer_format(wp.split().train) == "a whole number in digits"
    he = load_task("humaneval")
    assert he.answer_format(he.split().train) == ""
