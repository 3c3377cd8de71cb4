"""Read ``bigbench/benchmark_tasks/NAME[/SUBTASK]/task.json`` files out of the sdist.

The archive is gzip-compressed, so it is read front to back once for any number of tasks: only
the wanted ``task.json`` files are parsed; every task name met on the way is kept for messages.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from agentarch.errors import DataError

__all__ = ["TaskFiles", "read_task_files"]

TASKS_DIR = "bigbench/benchmark_tasks/"


@dataclass
class TaskFiles:
    """``found[name]`` maps "" (the task's own task.json) and subtask names to parsed JSON;
    ``names`` holds every task in the archive."""

    found: dict[str, dict[str, dict]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)


def _split(member: str) -> tuple[str, str] | None:
    """(task, subtask or "") for a benchmark task.json path inside the archive, else None."""
    at = member.find(TASKS_DIR)
    if at < 0 or not member.endswith("/task.json"):
        return None
    parts = member[at + len(TASKS_DIR):].split("/")[:-1]
    if len(parts) == 1:
        return parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1]
    return None


def read_task_files(sdist: Path, names: set[str]) -> TaskFiles:
    """The task.json files of the tasks in ``names`` (with their subtasks), in one pass."""
    out = TaskFiles()
    try:
        with tarfile.open(sdist, mode="r|gz") as archive:
            for member in archive:
                where = _split(member.name) if member.isfile() else None
                if where is None:
                    continue
                task, sub = where
                out.names.add(task)
                if task not in names:
                    continue
                handle = archive.extractfile(member)
                try:
                    out.found.setdefault(task, {})[sub] = json.loads(handle.read().decode("utf-8"))
                except ValueError as exc:
                    raise DataError(f"{sdist}: {member.name}: invalid JSON ({exc})") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{sdist}: not a readable .tar.gz ({exc}); delete it and import again") from None
    return out
