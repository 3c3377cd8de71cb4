"""The README's "Serve" section runs as written: its ``agentarch serve`` line starts a server (on
the scripted backend here), its curl commands and its openai snippet get answers from it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import serve_server

README = Path(__file__).resolve().parent.parent / "README.md"


def section() -> str:
    text = README.read_text()
    start = text.index("\n## Serve\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section(), re.S)


def test_the_serve_section_runs_against_a_server(tmp_path):
    first = blocks("bash")[0].splitlines()[0].split("#")[0]
    words = shlex.split(first)
    assert words[:2] == [".venv/bin/agentarch", "serve"] and words[-2:] == ["--port", "8000"]
    server = serve_server.start(tmp_path, words[2:-2])
    try:
        port = str(server.port)
        for command in blocks("bash")[1].replace("\\\n", " ").splitlines():
            out = subprocess.run(command.replace("8000", port), shell=True, capture_output=True, text=True,
                                 timeout=60)
            assert out.returncode == 0, out.stderr
            data = json.loads(out.stdout)
            assert data.get("data") or data["choices"][0]["message"]["content"], data
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(blocks("python")[0].replace("8000", port), {"__name__": "readme"})
        lines = printed.getvalue().splitlines()
        assert lines[0] == "Answer: nothing" and "completion_tokens=" in lines[1]
        assert lines[2] == "Answer: nothing"  # the streamed answer
    finally:
        assert server.stop() == 0


def test_the_other_serve_command_uses_real_flags():
    line = blocks("bash")[0].splitlines()[1].split("#")[0]
    flags = [w for w in shlex.split(line) if w.startswith("--")]
    help_text = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "serve", "--help"],
                               capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}).stdout
    assert flags and all(f in help_text for f in flags), flags
