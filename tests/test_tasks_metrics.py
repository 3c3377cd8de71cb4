import pytest

from agentarch.errors import ConfigError
from agentarch.tasks import Example, METRICS, get_metric, normalize_text


def ex(target, **meta):
    return Example(id="e", input="q", target=target, meta=meta)


def test_registry_names_and_async_flags():
    assert set(METRICS) == {"exact", "numeric", "f1", "choice", "code_tests"}
    assert [n for n, m in METRICS.items() if m.is_async] == ["code_tests"]


def test_unknown_metric_suggests_and_lists():
    with pytest.raises(ConfigError) as err:
        get_metric("numerc")
    msg = str(err.value)
    assert "unknown metric 'numerc'" in msg
    assert "Did you mean 'numeric'?" in msg
    assert "choice, code_tests, exact, f1, numeric" in msg


def test_normalize_text_squad_style():
    assert normalize_text("  The  Eiffel-Tower! ") == "eiffeltower"
    assert normalize_text("an Apple, a day") == "apple day"


def test_exact():
    m = get_metric("exact")
    assert m.score("Thinking...\nAnswer: The Paris.", ex("Paris")) == 1.0
    assert m.score("Answer: Lyon", ex("Paris")) == 0.0
    assert m.score("Answer: quick", ex("fast", aliases=["quick"])) == 1.0
    assert m.extract("Answer: The Paris.") == m.extract("paris")
    assert m.validate_target("  ") == "target is empty"
    assert m.validate_target("x") is None


def test_numeric():
    m = get_metric("numeric")
    assert m.score("so 600 * 2 = 1200\nAnswer: $1,200", ex("$1,200.00")) == 1.0
    assert m.score("The answer is 1200.", ex("1200")) == 1.0
    assert m.score("Answer: 1200.0000001", ex("1200")) == 1.0  # within 1e-6 relative
    assert m.score("Answer: 1201", ex("1200")) == 0.0
    assert m.score("Answer: 0.5", ex("1/2")) == 1.0
    assert m.score("no idea", ex("0")) == 0.0
    assert m.score("Answer: 0", ex("0")) == 1.0
    assert m.extract("Answer: $1,200.00") == "1200"


def test_numeric_validate_target():
    m = get_metric("numeric")
    assert m.validate_target("abc") == "target 'abc' is not a number"
    assert m.validate_target("$1,200.00") is None
    assert m.validate_target("#### 72") is None


def test_f1():
    m = get_metric("f1")
    assert m.score("Answer: the quick brown fox", ex("quick brown fox")) == 1.0
    assert m.score("Answer: brown fox", ex("quick brown fox")) == pytest.approx(0.8)
    assert m.score("Answer: dog", ex("quick brown fox")) == 0.0


def test_choice():
    m = get_metric("choice")
    assert m.score("I reason... Answer: (B)", ex("B")) == 1.0
    assert m.score("the answer is C", ex("(C)")) == 1.0
    assert m.score("Answer: A", ex("B")) == 0.0
    assert m.score("no letter here", ex("B")) == 0.0
    assert m.validate_target("7") == "target '7' is not a choice letter A-Z"
    assert m.validate_target("Z") is None  # any number of options
    assert m.validate_target("D") is None


def test_code_tests_sync_score_refuses_and_validates_meta():
    m = get_metric("code_tests")
    with pytest.raises(TypeError, match="score_async"):
        m.score("x", ex(""))
    assert "'test'" in m.validate_example(ex("", entry_point="f"))
    assert m.validate_example(ex("", entry_point="f", test="def check(c): pass")) is None


def test_code_tests_program_handles_body_full_def_and_unindented_body():
    m = get_metric("code_tests")
    e = Example(id="t", input="Complete it", target="",
                meta={"prompt": 'def add(a, b):\n    """Sum."""\n', "entry_point": "add",
                      "test": "def check(c):\n    assert c(2, 3) == 5\n"})
    namespace: dict = {}
    for completion in ("    return a + b\n",
                       "```python\ndef add(a, b):\n    return a + b\n```",
                       "return a + b"):
        program = m.build_program(completion, e)
        exec(compile(program, "<test>", "exec"), dict(namespace))  # raises if tests fail
    with pytest.raises(AssertionError):
        exec(compile(m.build_program("    return a - b\n", e), "<test>", "exec"), {})


def test_code_tests_natural_language_prompt_is_not_prepended():
    m = get_metric("code_tests")
    e = Example(id="t", input="Write add(a, b) returning the sum.", target="",
                meta={"entry_point": "add", "test": "def check(c):\n    assert c(1, 1) == 2\n"})
    program = m.build_program("```python\ndef add(a, b):\n    return a + b\n```", e)
    assert "Write add" not in program
    exec(compile(program, "<test>", "exec"), {})


def mc(target, question):
    return Example(id="mc", input=question, target=target)


SIX_INLINE = ("Which planet is known as the Red Planet? (A) Venus (B) Jupiter (C) Mars "
              "(D) Saturn (E) Mercury (F) Neptune")


def test_numeric_number_words_in_replies_and_targets():
    m = get_metric("numeric")
    assert m.validate_target("twelve") is None
    assert m.validate_target("one hundred and five") is None
    assert m.score("Answer: 12", ex("twelve")) == 1.0
    assert m.score("Answer: twelve", ex("12")) == 1.0
    assert m.score("The answer is Twenty-one.", ex("21")) == 1.0
    assert m.score("Answer: minus four", ex("-4")) == 1.0
    assert m.score("Answer: one hundred and five", ex("105", aliases=["one hundred five"])) == 1.0
    assert m.score("Answer: eleven", ex("twelve")) == 0.0


@pytest.mark.parametrize("name, target", [
    ("numeric", "3"), ("exact", "3"), ("f1", "3"), ("choice", "A"),
])
def test_echoed_placeholder_is_no_answer_in_every_metric(name, target):
    m = get_metric(name)
    echo = ('Question: A pen costs $3. (A) 3 (B) 21\n\nShow your work, then finish with a line '
            '"Answer: <final answer>".')
    e = mc(target, "A pen costs $3. How much? (A) 3 (B) 21")
    assert m.extractor(e)(echo) == ""
    assert m.extract(echo) == ""
    assert m.score(echo, e) == 0.0


def test_choice_option_text_counts_when_the_question_lists_options():
    m = get_metric("choice")
    e = mc("C", SIX_INLINE)
    assert m.score("Answer: Mars", e) == 1.0
    assert m.score("The Red Planet is Mars.", e) == 1.0
    assert m.score("Answer: Venus", e) == 0.0
    assert m.extractor(e)("Answer: mars") == "C"
    assert m.extract("Answer: Mars") == ""  # without the question there is no option text
    colours = mc("B", "(A) red (B) blue (C) green")
    assert m.score("Answer: blue", colours) == 1.0


def test_choice_six_options_and_more():
    m = get_metric("choice")
    assert m.validate_target("F") is None
    assert m.validate_example(mc("F", SIX_INLINE)) is None
    assert m.score("Answer: F", mc("F", SIX_INLINE)) == 1.0
    assert m.score("Answer: (F) Neptune", mc("F", SIX_INLINE)) == 1.0
    assert m.validate_example(mc("G", SIX_INLINE)) == (
        "target 'G' is not one of the options A-F listed in the question")
    many = "Pick: " + " ".join(f"({chr(65 + i)}) w{i}" for i in range(26))
    assert m.score("Answer: Z", mc("Z", many)) == 1.0
    assert m.score("Answer: w25", mc("Z", many)) == 1.0


def test_default_extractor_is_extract():
    for name in ("exact", "f1", "code_tests"):
        m = get_metric(name)
        assert m.extractor(ex("1")) == m.extract


def test_numeric_extractor_skips_numbers_the_question_gives():
    m = get_metric("numeric")
    e = Example(id="e", input="Lucas is 24. How old will he be in 2 years?", target="26")
    reply = "Answer: Lucas' age in 2 years will be 26 years."  # a real reply's shape
    assert m.extract(reply) == "2"  # without the question: the first number
    assert m.extractor(e)(reply) == "26"
    assert m.score(reply, e) == 1.0
    assert m.extractor(e)("Answer: 2") == "2"  # a given number may still be the answer
    assert m.extractor(e)("Answer: 24 + 2 = 26") == "26"


def test_six_option_file_loads(tmp_path):
    import json

    from agentarch.tasks import load_file

    p = tmp_path / "mc.jsonl"
    rows = [{"question": SIX_INLINE, "answer": "F"},
            {"question": "Pick:\nA) a\nB) b\nC) c\nD) d\nE) e\nF) f\nG) g", "answer": "G"}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_file(p, metric="choice")
    assert [e.target for e in task.examples] == ["F", "G"]
