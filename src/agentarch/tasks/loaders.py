"""Load a user's examples from JSONL, JSON or CSV into a ``Task``.

Every mistake in the file raises ``DataError`` with one line ``<file>:<line>: <problem>``, so
the user can jump straight to it. Fields other than input/target/id are kept in ``meta``
(e.g. ``test`` and ``entry_point`` for the ``code_tests`` metric, or ``aliases``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterator

from agentarch.errors import DataError
from agentarch.tasks.example import Example
from agentarch.tasks.metrics import Metric, get_metric
from agentarch.tasks.task import Task

__all__ = ["load_file", "SUFFIXES"]

SUFFIXES = (".jsonl", ".json", ".csv")
DEFAULT_ID_FIELD = "id"  # used for example ids when present, without --id-field
Record = tuple[int, dict[str, Any]]  # (line number, fields)


def _read_text(path: Path) -> str:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    return decode_utf8(path, data)


def decode_utf8(path: Path | str, data: bytes) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped), or ``DataError`` naming the line and column
    of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                        f"save the file as UTF-8") from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _jsonl_records(path: Path, text: str) -> Iterator[Record]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})"
                            ) from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object, got {_kind(record)}")
        yield lineno, record


def _json_records(path: Path, text: str) -> Iterator[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # one object per line in a .json file: read it as JSONL
            yield from _jsonl_records(path, text)
            return
        raise DataError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})"
                        ) from None
    if isinstance(data, dict) and isinstance(data.get("examples"), list):
        data = data["examples"]
    if isinstance(data, dict):
        yield 1, data
        return
    if not isinstance(data, list):
        raise DataError(f"{path}:1: expected a list of objects, got {_kind(data)}")
    # Line numbers of list items are not kept by the json module; find each item's start line.
    starts = _item_lines(text, len(data))
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise DataError(f"{path}:{starts[i]}: item {i + 1} is {_kind(record)}, "
                            f"expected an object")
        yield starts[i], record


def _item_lines(text: str, count: int) -> list[int]:
    """1-based line where each top-level item of a JSON array starts (1 if unknown)."""
    decoder = json.JSONDecoder()
    lines, pos = [], text.index("[") + 1
    try:
        for _ in range(count):
            while text[pos] in " \t\r\n,":
                pos += 1
            lines.append(text.count("\n", 0, pos) + 1)
            _, pos = decoder.raw_decode(text, pos)
    except (ValueError, IndexError):  # pragma: no cover - the text already parsed
        lines += [1] * (count - len(lines))
    return lines


def _csv_records(path: Path, text: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    try:
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                dupes = sorted({h for h in header if header.count(h) > 1})
                if dupes:
                    raise DataError(f"{path}:{lineno}: duplicate column {dupes[0]!r} in the header")
                continue
            if len(row) != len(header):
                raise DataError(f"{path}:{lineno}: {len(row)} values but the header has "
                                f"{len(header)} columns")
            yield lineno, dict(zip(header, row))
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: invalid CSV ({exc})") from None


def _text_field(path: Path, lineno: int, record: dict, key: str, role: str) -> str:
    if key not in record:
        fields = ", ".join(str(k) for k in record) or "none"
        raise DataError(f"{path}:{lineno}: missing field '{key}' (fields here: {fields})")
    value = record[key]
    if value is None:
        raise DataError(f"{path}:{lineno}: field '{key}' is null")
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise DataError(f"{path}:{lineno}: field '{key}' must be text or a number, "
                        f"got {_kind(value)}")
    text = str(value)
    if role == "input" and not text.strip():
        raise DataError(f"{path}:{lineno}: field '{key}' is empty")
    return text


def load_file(path: str | Path, input_field: str = "question", target_field: str = "answer",
              metric: str | Metric = "exact", id_field: str | None = None,
              name: str | None = None) -> Task:
    """A task from a .jsonl, .json (a list of objects) or .csv file (header row first).

    Ids come from ``id_field`` when given, else from an ``id`` field when a record has one, else
    ``line<N>`` so an id points at its line; a duplicate id is a ``DataError`` naming both lines.
    An unknown metric raises ``ConfigError`` before the file is read.
    """
    m = get_metric(metric)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type '{path.suffix or '(none)'}' "
                        f"(use {', '.join(SUFFIXES)})")
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{path}: empty file")
    records = {".jsonl": _jsonl_records, ".json": _json_records, ".csv": _csv_records}[suffix]

    examples: list[Example] = []
    first_line: dict[str, int] = {}
    for lineno, record in records(path, text):
        question = _text_field(path, lineno, record, input_field, "input")
        target = _text_field(path, lineno, record, target_field, "target")
        key = id_field or (DEFAULT_ID_FIELD if DEFAULT_ID_FIELD in record else None)
        ex_id = _text_field(path, lineno, record, key, "input").strip() if key else f"line{lineno}"
        used = {input_field, target_field, key}
        if ex_id in first_line:
            raise DataError(f"{path}:{lineno}: duplicate id '{ex_id}' (first on line "
                            f"{first_line[ex_id]})")
        first_line[ex_id] = lineno
        meta = {k: v for k, v in record.items() if k not in used}
        example = Example(id=ex_id, input=question, target=target, meta=meta)
        problem = m.validate_example(example)
        if problem:
            raise DataError(f"{path}:{lineno}: {problem} (metric '{m.name}')")
        examples.append(example)
    if not examples:
        raise DataError(f"{path}: no examples (only a header or blank lines)")
    return Task(name=name or path.stem, examples=examples, metric=m, origin=f"user file {path}",
                description=f"{len(examples)} examples from {path.name} (input '{input_field}', "
                            f"target '{target_field}', metric '{m.name}')")
