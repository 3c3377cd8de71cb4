import json

import pytest

from agentarch.errors import ConfigError, DataError
from agentarch.tasks import load_file


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error(path, **kw):
    with pytest.raises(DataError) as err:
        load_file(path, **kw)
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_jsonl_ok_skips_blank_lines_and_keeps_extra_fields(tmp_path):
    p = write(tmp_path, "data.jsonl",
              '{"question": "2+2?", "answer": 4, "source": "me"}\n\n'
              '{"question": "3+3?", "answer": "6"}\n')
    task = load_file(p, metric="numeric")
    assert [e.id for e in task.examples] == ["line1", "line3"]
    assert task.examples[0].target == "4" and task.examples[0].meta == {"source": "me"}
    assert task.name == "data" and task.metric.name == "numeric" and str(p) in task.origin


def test_jsonl_invalid_json(tmp_path):
    p = write(tmp_path, "data.jsonl", '{"question": "a", "answer": "b"}\n' * 6
              + '{"question": "a" "answer": "b"}\n')
    assert error(p) == f"{p}:7: invalid JSON (Expecting ',' delimiter at column 18)"


def test_no_such_file(tmp_path):
    p = tmp_path / "data.jsonl"
    assert error(p) == f"{p}: no such file"


def test_missing_field_lists_fields_here(tmp_path):
    p = write(tmp_path, "data.jsonl", '{"question": "a", "answer": "b"}\n\n'
              '{"question": "a", "solution": "b"}\n')
    assert error(p) == f"{p}:3: missing field 'answer' (fields here: question, solution)"


def test_numeric_target_not_a_number(tmp_path):
    p = write(tmp_path, "data.jsonl", "".join(
        json.dumps({"question": "q", "answer": a}) + "\n" for a in ["1", "2", "$3", "4", "abc"]))
    assert error(p, metric="numeric") == f"{p}:5: target 'abc' is not a number (metric 'numeric')"


def test_empty_files(tmp_path):
    for name in ("data.csv", "data.jsonl", "data.json"):
        p = write(tmp_path, name, "\n  \n")
        assert error(p) == f"{p}: empty file"
    p = write(tmp_path, "head.csv", "question,answer\n")
    assert error(p) == f"{p}: no examples (only a header or blank lines)"


def test_unknown_metric_is_config_error(tmp_path):
    p = write(tmp_path, "data.jsonl", '{"question": "a", "answer": "b"}\n')
    with pytest.raises(ConfigError, match="Did you mean 'exact'"):
        load_file(p, metric="exakt")


def test_not_an_object_null_and_wrong_types(tmp_path):
    p = write(tmp_path, "a.jsonl", '[1, 2]\n')
    assert error(p) == f"{p}:1: expected a JSON object, got a list"
    p = write(tmp_path, "b.jsonl", '{"question": null, "answer": "x"}\n')
    assert error(p) == f"{p}:1: field 'question' is null"
    p = write(tmp_path, "c.jsonl", '{"question": ["x"], "answer": "x"}\n')
    assert error(p) == f"{p}:1: field 'question' must be text or a number, got a list"
    p = write(tmp_path, "d.jsonl", '{"question": " ", "answer": "x"}\n')
    assert error(p) == f"{p}:1: field 'question' is empty"
    p = write(tmp_path, "e.jsonl", '{"question": "q", "answer": ""}\n')
    assert error(p) == f"{p}:1: target is empty (metric 'exact')"


def test_custom_fields_ids_and_duplicates(tmp_path):
    rows = [{"k": "x1", "q": "a", "a": "b"}, {"k": "x2", "q": "c", "a": "d"}]
    p = write(tmp_path, "data.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    task = load_file(p, input_field="q", target_field="a", id_field="k")
    assert [(e.id, e.input, e.target) for e in task.examples] == \
        [("x1", "a", "b"), ("x2", "c", "d")]
    p = write(tmp_path, "dup.jsonl", "".join(json.dumps(r) + "\n" for r in rows + rows[:1]))
    assert error(p, input_field="q", target_field="a", id_field="k") == \
        f"{p}:3: duplicate id 'x1' (first on line 1)"


def test_csv_ok_and_errors(tmp_path):
    p = write(tmp_path, "data.csv", 'question,answer\n"multi\nline?",yes\n\nb,c\n')
    task = load_file(p)
    assert [(e.id, e.input) for e in task.examples] == [("line3", "multi\nline?"), ("line5", "b")]
    p = write(tmp_path, "bad.csv", "question,answer\na,b\nc,d,e\n")
    assert error(p) == f"{p}:3: 3 values but the header has 2 columns"
    p = write(tmp_path, "miss.csv", "question,solution\na,b\n")
    assert error(p) == f"{p}:2: missing field 'answer' (fields here: question, solution)"


def test_json_array_with_item_lines_and_jsonl_in_json(tmp_path):
    p = write(tmp_path, "data.json", '[\n  {"question": "a", "answer": "b"},\n'
              '  {"question": "c"}\n]\n')
    assert error(p) == f"{p}:3: missing field 'answer' (fields here: question)"
    p = write(tmp_path, "lines.json", '{"question": "a", "answer": "b"}\n'
              '{"question": "c", "answer": "d"}\n')
    assert len(load_file(p)) == 2
    p = write(tmp_path, "broken.json", '[\n {"question": "a",,}\n]')
    assert error(p).startswith(f"{p}:2: invalid JSON (")


def test_unsupported_suffix_and_directory(tmp_path):
    p = write(tmp_path, "data.txt", "hi")
    assert error(p) == f"{p}: unsupported file type '.txt' (use .jsonl, .json, .csv)"
    d = tmp_path / "dir.jsonl"
    d.mkdir()
    assert error(d) == f"{d}: is a directory, not a data file"


def test_code_tests_metric_needs_test_fields(tmp_path):
    p = write(tmp_path, "code.jsonl", json.dumps({"question": "Write f", "answer": ""}) + "\n")
    assert error(p, metric="code_tests") == \
        f"{p}:1: missing field 'test', 'entry_point' needed to run tests (metric 'code_tests')"
