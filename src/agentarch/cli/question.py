"""Where ``agentarch run`` reads its question: the argument, a file (``--file PATH``) or stdin
(``-``). A long question (a document, a 128 KB prompt) cannot travel in argv: Linux caps one
argument at 128 KB, so files and stdin are the way in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, Optional

from agentarch.errors import ConfigError


def read_question(question: Optional[str], file: Optional[str], stdin: Optional[BinaryIO] = None) -> str:
    """The question text from exactly one of: ``question`` (``"-"`` = stdin) or ``file``."""
    if question is not None and file is not None:
        raise ConfigError("give the question as an argument or with --file, not both")
    if file is not None:
        text = _decode(file, _read_file(Path(file)))
    elif question == "-":
        text = _decode("stdin", (stdin or sys.stdin.buffer).read())
    elif question is not None:
        text = question
    else:
        raise ConfigError("no question: give it as an argument, '-' to read it from stdin, or --file PATH")
    if not text.strip():
        raise ConfigError(f"the question{'' if file is None else f' in {file}'} is empty")
    return text.strip()


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise ConfigError(f"{path}: no such question file")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a question file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the question file ({exc.strerror})") from None


def _decode(where: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{where}:{line}: the question is not UTF-8 text") from None
