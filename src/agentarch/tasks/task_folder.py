"""The user's task folder: tasks imported from public suites, kept as JSONL to load by name.

``$AGENTARCH_TASKS``, else ``~/.agentarch/tasks``. A task named ``suite:name[/part]`` lives in
``<folder>/suite/name[/part].jsonl`` (one example a line: ``id``, ``question``, ``answer`` and
extra fields such as ``aliases``, the format ``agentarch eval --task FILE.jsonl`` reads) with
``<same>.task.json`` beside it: metric, origin, description and counts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from agentarch.errors import ConfigError, DataError
from agentarch.tasks.loaders import load_file
from agentarch.tasks.task import Task

__all__ = ["task_folder", "task_files", "write_task", "read_task", "list_imported"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*:[A-Za-z0-9_][A-Za-z0-9_-]*(?:/[A-Za-z0-9_][A-Za-z0-9_-]*)?")
INFO_SUFFIX = ".task.json"


def task_folder() -> Path:
    root = os.environ.get("AGENTARCH_TASKS")
    return Path(root) if root else Path.home() / ".agentarch" / "tasks"


def task_files(name: str) -> tuple[Path, Path]:
    """(examples .jsonl, info .task.json) for a task named ``suite:name[/part]``."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"'{name}' is not a task name of the form suite:name or suite:name/part "
                          f"(letters, digits, '_' and '-')")
    suite, rest = name.split(":", 1)
    base = task_folder() / suite / rest
    return base.with_name(base.name + ".jsonl"), base.with_name(base.name + INFO_SUFFIX)


def write_task(name: str, records: list[dict[str, Any]], info: dict[str, Any]) -> Path:
    """Write the examples and their info (replacing an older import atomically)."""
    data, meta = task_files(name)
    data.parent.mkdir(parents=True, exist_ok=True)
    for path, text in ((data, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)),
                       (meta, json.dumps({"name": name, **info}, indent=1, ensure_ascii=False) + "\n")):
        part = path.with_name(path.name + ".part")
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    return data


def _info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable task info ({exc}); import the task again") from None
    if not isinstance(info, dict) or not isinstance(info.get("metric"), str):
        raise DataError(f"{path}: field 'metric' is missing; import the task again")
    return info


def read_task(name: str) -> Task | None:
    """The imported task called ``name``, or None when it has not been imported."""
    data, meta = task_files(name)
    if not (data.exists() and meta.exists()):
        return None
    info = _info(meta)
    task = load_file(data, input_field="question", target_field="answer", metric=info["metric"],
                     name=name)
    task.origin = str(info.get("origin", task.origin))
    task.description = str(info.get("description", task.description))
    return task


def list_imported() -> list[dict[str, Any]]:
    """Name, size, metric, origin and description of every imported task (from the info files)."""
    root = task_folder()
    out = []
    for meta in sorted(root.glob(f"*/**/*{INFO_SUFFIX}")) if root.is_dir() else []:
        try:
            info = _info(meta)
        except DataError:
            continue
        out.append({"name": info.get("name", meta.name[:-len(INFO_SUFFIX)]),
                    "size": int(info.get("examples", 0)), "metric": info["metric"],
                    "origin": str(info.get("origin", "")), "description": str(info.get("description", "")),
                    "options": int(info.get("options", 0))})
    return out
