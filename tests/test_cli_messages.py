"""Mistakes that used to end in a traceback or a misleading message, through the real CLI: each
gives one line naming the file and what is wrong, a non-zero exit, and leaves the store intact."""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest

from cli_run import AGENTARCH, cli, one_line_error, settle, snapshot, write_rules


@pytest.fixture
def work(tmp_path):
    """A data file, a scripted model and a store holding one finished eval run."""
    data = tmp_path / "d.jsonl"
    data.write_text('{"question": "2 + 2", "answer": "4"}\n{"question": "1 + 3", "answer": "4"}\n')
    model = write_rules(tmp_path / "rules.json", [[r"MARK-(\d+)-END", r"The answer is \1."],
                                                  [".*", "The answer is 4."]],
                        log=str(tmp_path / "calls.jsonl"))
    db = tmp_path / "s.db"
    made = cli("eval", "--task", str(data), "--metric", "numeric", "-d", "cot", "--model", model, "--db", str(db))
    assert made.returncode == 0, made.stderr
    settle(db)
    run_id = json.loads(snapshot(db)["runs"][0])[0]
    return {"tmp": tmp_path, "data": str(data), "model": model, "db": str(db), "run": run_id}


def _eval(work, *extra):
    return cli("eval", "--task", work["data"], "--metric", "numeric", "--model", work["model"],
               "--db", work["db"], *extra)


# -- export ---------------------------------------------------------------------------------------

def test_export_of_an_eval_run_says_export_takes_a_search_run(work):
    before = snapshot(work["db"])
    out = work["tmp"] / "agent.py"
    msg = one_line_error(cli("export", work["run"][:8], "-o", str(out), "--db", work["db"]))
    assert f"run {work['run']} is an eval run; export takes a search run" in msg
    assert not out.exists() and snapshot(work["db"]) == before


# -- design files -----------------------------------------------------------------------------------

def test_binary_design_file(work):
    design = work["tmp"] / "design.json"
    design.write_bytes(b'{"block": "cot"}\n\x00\x9f\x92\x96 GGUF')
    before = snapshot(work["db"])
    msg = one_line_error(_eval(work, "-d", str(design)))
    assert f"{design}:2: not a design file: binary data" in msg
    assert snapshot(work["db"]) == before


def test_design_given_a_directory(work):
    folder = work["tmp"] / "designs"
    folder.mkdir()
    msg = one_line_error(_eval(work, "-d", str(folder)))
    assert f"{folder}: is a folder, not a design file" in msg


def test_design_file_that_is_not_json_names_the_line(work):
    design = work["tmp"] / "design.json"
    design.write_text('{\n  "block": "self_consistency",\n  params: {"n": 3}\n}\n')
    msg = one_line_error(_eval(work, "-d", str(design)))
    assert f"{design}:3: not valid JSON" in msg
    assert "unknown block" not in msg and "params" not in msg.split("JSON")[0]

    notes = work["tmp"] / "notes.txt"
    notes.write_text("use chain of thought, then vote\n")
    msg = one_line_error(_eval(work, "-d", str(notes)))
    assert f"{notes}:1: not valid JSON" in msg and "unknown block" not in msg


def test_missing_design_path_is_not_read_as_a_block_name(work):
    msg = one_line_error(_eval(work, "-d", str(work["tmp"] / "nope" / "design")))
    assert "no such design file" in msg and "unknown block" not in msg


# -- data files -------------------------------------------------------------------------------------

def test_encoding_error_names_the_line(work):
    data = work["tmp"] / "latin1.jsonl"
    data.write_bytes('{"question": "2 + 2", "answer": "4"}\n{"question": "1 + 3", "answer": "4"}\n'
                     '{"question": "caf\u00e9 au lait", "answer": "2"}\n'.encode("latin-1"))
    msg = one_line_error(cli("eval", "--task", str(data), "-d", "cot", "--model", work["model"], "--db", work["db"]))
    assert f"{data}:3: not UTF-8 text (byte 0xe9 at column 18)" in msg


# -- read commands ------------------------------------------------------------------------------------

def test_read_commands_refuse_a_missing_store_and_do_not_create_it(work):
    typo = work["tmp"] / "typo.db"
    msg = one_line_error(cli("runs", "--db", str(typo)))
    assert f"{typo}: no such store" in msg
    msg = one_line_error(cli("runs", work["run"][:6], "--db", str(typo)))
    assert f"{typo}: no such store" in msg
    msg = one_line_error(cli("export", work["run"][:6], "--db", str(typo)))
    assert f"{typo}: no such store" in msg
    assert not typo.exists() and not Path(f"{typo}-wal").exists()


def test_read_commands_do_not_write_the_store(work):
    before = snapshot(work["db"])
    assert cli("runs", "--db", work["db"]).returncode == 0
    assert cli("runs", work["run"][:6], "--db", work["db"]).returncode == 0
    assert snapshot(work["db"]) == before


def test_not_a_store(work):
    junk = work["tmp"] / "junk.db"
    junk.write_text("these are my notes, not a database\n" * 200)
    msg = one_line_error(cli("runs", "--db", str(junk)))
    assert f"{junk}: not an agentarch database" in msg
    assert junk.read_text().startswith("these are my notes")


@pytest.mark.parametrize("pattern", ["%", "_", "a%", "%e%", "____"])
def test_wildcards_in_run_ids_are_literal(work, pattern):
    msg = one_line_error(cli("runs", pattern, "--db", work["db"]))
    assert f"no run '{pattern}'" in msg
    msg = one_line_error(cli("export", pattern, "--db", work["db"]))
    assert f"no run '{pattern}'" in msg


def test_run_id_prefix_still_works(work):
    shown = cli("runs", work["run"][:5], "--db", work["db"])
    assert shown.returncode == 0 and f"run {work['run']} (eval, done)" in shown.stdout


# -- agentarch run -------------------------------------------------------------------------------------

def _sandbox_or_skip():
    from agentarch.runtime.sandbox import SandboxUnavailable, run_code_sync

    try:
        run_code_sync("pass")
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


def _agent(tmp: Path, name: str, source: str) -> str:
    path = tmp / name
    path.write_text(json.dumps({"block": "code_agent", "params": {"source": source}}))
    return str(path)


def test_run_when_the_design_raises(work):
    _sandbox_or_skip()
    design = _agent(work["tmp"], "failing.json", "def forward(inputs, ctx):\n    x = 0\n    return 1 / x\n")
    before = snapshot(work["db"])
    proc = cli("run", design, "What is 2 + 2?", "--model", work["model"], "--db", work["db"])
    msg = one_line_error(proc)
    assert "design code_agent #" in msg and "failed on this question: ZeroDivisionError: division by zero" in msg
    assert "(agent.py, line 3)" in msg
    settle(work["db"])
    assert snapshot(work["db"]) == before


def test_sandboxed_agent_flooding_stdout_is_not_a_success(work):
    _sandbox_or_skip()
    design = _agent(work["tmp"], "flood.json",
                    "import sys\ndef forward(inputs, ctx):\n    sys.stdout.write('x' * 300000)\n    return '4'\n")
    msg = one_line_error(cli("run", design, "What is 2 + 2?", "--model", work["model"], "--db", work["db"]))
    assert "output limit exceeded: wrote 300000 bytes to stdout, only the first 64 KB were kept" in msg

    # In an evaluation the example scores 0 and its stored result carries the reason.
    proc = _eval(work, "-d", design, "--split", "test")
    assert proc.returncode == 0, proc.stderr
    settle(work["db"])
    rows = [json.loads(r) for r in snapshot(work["db"])["results"]]
    errors = [r for r in rows if r[13] and "output limit exceeded" in r[13]]
    assert errors and all(r[8] == 0.0 for r in errors)


def test_sandboxed_agent_result_reports_truncation():
    _sandbox_or_skip()
    import asyncio

    from agentarch.llm.scripted import ScriptedModel
    from agentarch.runtime.sandbox import run_agent

    r = asyncio.run(run_agent("def forward(q, ctx):\n    print('y' * 200000)\n    return 'done'\n", "q",
                              ScriptedModel("ok")))
    assert not r.ok and r.error.startswith("output limit exceeded: wrote 200001 bytes")
    assert r.stdout.startswith("y" * 1000)
    quiet = asyncio.run(run_agent("def forward(q, ctx):\n    print('y' * 1000)\n    return 'done'\n", "q",
                                  ScriptedModel("ok")))
    assert quiet.ok and quiet.answer == "done" and quiet.error == ""


BIG = 128 * 1024


def _long_question() -> str:
    return "Read this carefully. " + "x" * BIG + " MARK-1234567-END"


def test_run_reads_a_128kb_question_from_a_file(work):
    question = work["tmp"] / "question.txt"
    question.write_text(_long_question() + "\n")
    proc = cli("run", "direct", "--file", str(question), "--model", work["model"], "--db", work["db"])
    assert proc.returncode == 0, proc.stderr
    assert "answer: The answer is 1234567." in proc.stdout
    sent = [json.loads(line)["text"] for line in (work["tmp"] / "calls.jsonl").read_text().splitlines()]
    assert any(_long_question() in text for text in sent)


def test_run_reads_a_128kb_question_from_stdin(work):
    proc = cli("run", "direct", "-", "--model", work["model"], "--db", work["db"], input=_long_question())
    assert proc.returncode == 0, proc.stderr
    assert "answer: The answer is 1234567." in proc.stdout


def test_argv_cannot_carry_a_128kb_question(work):
    """Why --file and stdin exist: the kernel refuses one argument of 128 KB."""
    with pytest.raises(OSError) as exc:
        subprocess.run([*AGENTARCH, "run", "direct", _long_question()], capture_output=True)
    assert exc.value.errno == errno.E2BIG


def test_run_question_mistakes(work):
    common = ["--model", work["model"], "--db", work["db"]]
    msg = one_line_error(cli("run", "direct", *common))
    assert "no question" in msg and "--file" in msg and "'-'" in msg
    question = work["tmp"] / "q.txt"
    question.write_text("What is 2 + 2?")
    msg = one_line_error(cli("run", "direct", "What?", "--file", str(question), *common))
    assert "not both" in msg
    msg = one_line_error(cli("run", "direct", "--file", str(work["tmp"] / "none.txt"), *common))
    assert "none.txt: no such question file" in msg
    msg = one_line_error(cli("run", "direct", "--file", str(work["tmp"]), *common))
    assert "is a folder, not a question file" in msg
    binary = work["tmp"] / "q.bin"
    binary.write_bytes(b"What is\n\xff\xfe 2 + 2?")
    msg = one_line_error(cli("run", "direct", "--file", str(binary), *common))
    assert f"{binary}:2: the question is not UTF-8 text" in msg
    msg = one_line_error(cli("run", "direct", "-", *common, input="  \n"))
    assert "the question is empty" in msg


# -- bare --baselines ------------------------------------------------------------------------------

def test_bare_baselines_before_another_option(work):
    """The README's first command: a bare --baselines means all of them, wherever it stands."""
    from agentarch.blocks.presets import BASELINES

    for args in (["--baselines", "--limit", "1"], ["--limit", "1", "--baselines"], ["-b", "--limit", "1"]):
        proc = _eval(work, *args)
        assert proc.returncode == 0, proc.stderr
        assert f"{len(BASELINES)} design(s) x 1 test examples" in proc.stderr
    proc = _eval(work, "--baselines", "direct,cot", "--limit", "1")
    assert proc.returncode == 0 and "2 design(s) x 1 test examples" in proc.stderr, proc.stderr


def test_fill_optional_values():
    from agentarch.cli.optional_value import fill_optional_values

    v = {"--baselines": "all"}
    assert fill_optional_values(["--baselines", "--limit", "2"], v) == ["--baselines", "all", "--limit", "2"]
    assert fill_optional_values(["--limit", "2", "--baselines"], v) == ["--limit", "2", "--baselines", "all"]
    assert fill_optional_values(["--baselines", "cot"], v) == ["--baselines", "cot"]
    assert fill_optional_values(["--", "--baselines"], v) == ["--", "--baselines"]


# -- text in square brackets is printed as written ------------------------------------------------------

def test_model_text_in_brackets_is_not_markup(work):
    """'[/INST]' or '[red]' in a reply used to end 'agentarch run' with a MarkupError traceback."""
    model = write_rules(work["tmp"] / "brackets.json", [[".*", "[/INST] The answer is [red]4[/b]"]])
    proc = cli("run", "cot", "2 + 2?", "--trace", "--model", model, "--db", work["db"])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "answer: [/INST] The answer is [red]4[/b]" in proc.stdout
    assert "completion: [/INST] The answer is [red]4[/b]" in proc.stdout


def test_design_labels_keep_their_children(work):
    """A label such as self_consistency(n=2)[cot] lost its '[cot]' in tables and progress lines."""
    proc = _eval(work, "-d", '{"block": "self_consistency", "params": {"n": 2}, "children": [{"block": "cot"}]}',
                 "-d", '{"block": "self_consistency", "params": {"n": 2}, "children": [{"block": "step_back"}]}')
    assert proc.returncode == 0, proc.stderr
    assert "self_consistency(n=2)[cot]" in proc.stdout and "self_consistency(n=2)[step_back]" in proc.stdout


def test_error_quoting_bracketed_text(work):
    data = work["tmp"] / "b.csv"
    data.write_text("question,answer\nhow many?,3\nwhat colour?,[/b]\n")
    msg = one_line_error(cli("eval", "--task", str(data), "-d", "cot", "--metric", "numeric", "--db", work["db"]))
    assert f"{data}:3: target '[/b]' is not a number" in msg
