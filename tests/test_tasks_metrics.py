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
