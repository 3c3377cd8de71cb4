"""Every user mistake gives one short line naming the file, line and field, exit code 2 and no
traceback. Runs the real ``agentarch`` command in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]


def cli(*args, env=None, cwd=None):
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*AGENTARCH, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300)


def one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@pytest.fixture
def data(tmp_path):
    def write(name, text):
        p = tmp_path / name
        p.write_text(text)
        return str(p)

    return write


def test_missing_file(tmp_path):
    msg = one_line_error(cli("eval", "--task", str(tmp_path / "nope.jsonl"), "-d", "cot", "--db", str(tmp_path / "x.db")))
    assert "nope.jsonl" in msg and "no such file" in msg


def test_bad_json_line(data, tmp_path):
    path = data("d.jsonl", '{"question": "a", "answer": "1"}\n{"question": "b", "answer": 2,,}\n')
    msg = one_line_error(cli("eval", "--task", path, "-d", "cot", "--metric", "numeric", "--db", str(tmp_path / "x.db")))
    assert "d.jsonl:2:" in msg and "invalid JSON" in msg


def test_missing_field(data, tmp_path):
    path = data("d.jsonl", '{"question": "a", "answer": "1"}\n{"question": "b", "solution": "2"}\n')
    msg = one_line_error(cli("eval", "--task", path, "-d", "cot", "--db", str(tmp_path / "x.db")))
    assert "d.jsonl:2:" in msg and "missing field 'answer'" in msg


def test_unknown_metric(data, tmp_path):
    path = data("d.jsonl", '{"question": "a", "answer": "1"}\n')
    msg = one_line_error(cli("eval", "--task", path, "-d", "cot", "--metric", "numerc", "--db", str(tmp_path / "x.db")))
    assert "unknown metric 'numerc'" in msg and "numeric" in msg


def test_non_numeric_target_with_numeric_metric(data, tmp_path):
    path = data("d.csv", "question,answer\nhow many?,3\nwhat colour?,blue\n")
    msg = one_line_error(cli("eval", "--task", path, "-d", "cot", "--metric", "numeric", "--db", str(tmp_path / "x.db")))
    assert "d.csv:3:" in msg and "'blue' is not a number" in msg


def test_unknown_block_in_a_design(data, tmp_path):
    design = data("design.json", json.dumps({"block": "self_consistency", "children": [{"block": "cott"}]}))
    msg = one_line_error(cli("eval", "--task", "easy_qa", "-d", design, "--db", str(tmp_path / "x.db")))
    assert "unknown block 'cott'" in msg and "Did you mean 'cot'" in msg


def test_bad_parameter_in_a_design(tmp_path):
    msg = one_line_error(cli("eval", "--task", "easy_qa", "-d", '{"block": "self_consistency", "params": {"n": "many"}}',
                             "--db", str(tmp_path / "x.db")))
    assert "self_consistency" in msg and "'n'" in msg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down(tmp_path):
    msg = one_line_error(cli("eval", "--task", "easy_qa", "-d", "direct", "--limit", "1",
                             "--base-url", f"http://127.0.0.1:{_free_port()}/v1", "--db", str(tmp_path / "x.db")))
    assert "cannot reach http://127.0.0.1" in msg and "is the server running" in msg


@pytest.mark.model
def test_wrong_api_key(tmp_path, keyed_server):
    msg = one_line_error(cli("eval", "--task", "easy_qa", "-d", "direct", "--limit", "1",
                             "--base-url", keyed_server.listening_address, "--api-key-env", "MY_KEY",
                             "--db", str(tmp_path / "x.db"), env={"MY_KEY": "wrong-key"}))
    assert "refused the API key (HTTP 401)" in msg and "MY_KEY" in msg and "wrong-key" not in msg


def test_corrupted_model_file(tmp_path):
    from agentarch.llm.weights import PRESETS

    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    (models / PRESETS["qwen2.5-coder-0.5b"].filename).write_bytes(b"GGUF" + bytes(4096))
    msg = one_line_error(cli("eval", "--task", "easy_qa", "-d", "direct", "--limit", "1",
                             "--db", str(tmp_path / "x.db"), env={"AGENTARCH_CACHE": str(tmp_path / "cache")}))
    assert "sha256 check failed" in msg and "agentarch setup" in msg


def test_help_teaches_with_examples():
    for cmd in ("eval", "run", "tasks", "runs", "blocks", "setup", "search", "export", "team-optimize", "fit-router", "fit-policy"):
        out = cli(cmd, "--help")
        assert out.returncode == 0 and "Example" in out.stdout, cmd


def test_fit_router_bad_features_and_unknown_route(tmp_path):
    db = str(tmp_path / "x.db")
    msg = one_line_error(cli("fit-router", "--task", "easy_qa", "--features", "bert", "--db", db))
    assert "--features must be one of text, embedding" in msg
    msg = one_line_error(cli("fit-router", "--task", "easy_qa", "--route", "direct,cott", "--db", db))
    assert "unknown block 'cott'" in msg and "Did you mean 'cot'?" in msg
