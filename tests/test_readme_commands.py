"""Every ``agentarch ...`` command line in README.md's code blocks parses with the real typer app:
the command exists, every option is known and every value has the right type. Nothing runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.main import get_command

from agentarch.cli.main import app

README = Path(__file__).resolve().parents[1] / "README.md"
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def readme_commands(text: str) -> list[tuple[int, list[str]]]:
    """(line number, argv after 'agentarch') of every agentarch command in the shell code blocks."""
    out, block, pending, start = [], None, "", 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        fence = line.strip().startswith("```")
        if fence:
            block = None if block is not None else (line.strip()[3:].strip() or "sh")
            continue
        if block not in ("bash", "sh", "shell", "console"):
            continue
        if not pending:
            start = lineno
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        words = shlex.split(pending + line, comments=True)
        pending = ""
        segment: list[str] = []
        for word in [*words, "&&"]:
            if word in ("&&", "||", ";", "|"):
                while segment and ENV_ASSIGNMENT.match(segment[0]):
                    segment.pop(0)
                if segment and Path(segment[0]).name == "agentarch":
                    out.append((start, segment[1:]))
                segment = []
            else:
                segment.append(word)
    return out


COMMANDS = readme_commands(README.read_text())


def test_the_readme_shows_commands():
    used = {argv[0] for _, argv in COMMANDS}
    assert len(COMMANDS) >= 15 and {"search", "eval", "run", "export", "runs", "fit-router"} <= used


@pytest.mark.parametrize("lineno,argv", COMMANDS, ids=[f"README.md:{n}" for n, _ in COMMANDS])
def test_readme_command_parses(lineno, argv):
    group = get_command(app)
    ctx = group.make_context("agentarch", list(argv))
    name, command, rest = group.resolve_command(ctx, list(argv))
    assert command is not None, f"README.md:{lineno}: unknown command {argv[0]!r}"
    try:
        command.make_context(name, list(rest), parent=ctx)  # parses and validates; does not run
    except Exception as exc:  # noqa: BLE001 - report which line of the README broke
        pytest.fail(f"README.md:{lineno}: agentarch {shlex.join(argv)}: {exc}")


def test_a_broken_command_line_is_caught():
    """The check above can fail: an unknown option, a bad value and an unknown command are errors."""
    group = get_command(app)
    for argv in (["eval", "--task", "x", "--desing", "cot"], ["eval", "--task", "x", "--limit", "many"],
                 ["search"]):
        ctx = group.make_context("agentarch", list(argv))
        name, command, rest = group.resolve_command(ctx, list(argv))
        with pytest.raises(Exception):
            command.make_context(name, list(rest), parent=ctx)
    ctx = group.make_context("agentarch", ["serach"])
    with pytest.raises(Exception):
        group.resolve_command(ctx, ["serach"])
