"""Find a task by name (built-in, or ``bigbench:NAME`` imported into the user's task folder) or
by path (a user's JSONL/JSON/CSV file)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from types import ModuleType
from typing import Callable

from agentarch.errors import AgentArchError, ConfigError
from agentarch.tasks.builtin import easy_qa, humaneval, word_problems
from agentarch.tasks.loaders import SUFFIXES, load_file
from agentarch.tasks.metrics import get_metric
from agentarch.tasks.task import Task

__all__ = ["TASKS", "list_tasks", "load_task"]

TASKS: dict[str, ModuleType] = {m.NAME: m for m in (word_problems, easy_qa, humaneval)}


def list_tasks() -> list[dict]:
    """One dict per built-in task: name, size, metric, origin, description.

    A task whose optional dependency is missing is listed with size 0 and the install hint.
    """
    out = []
    for name, module in TASKS.items():
        try:
            out.append(module.load().info())
        except AgentArchError as exc:
            out.append({"name": name, "size": 0, "metric": "", "origin": module.ORIGIN,
                        "description": f"{module.DESCRIPTION} (unavailable: {exc})"})
    return out


def _looks_like_path(text: str) -> bool:
    return text.lower().endswith(SUFFIXES) or "/" in text or "\\" in text or Path(text).is_file()


# "suite:name": a suite name of two or more characters, so "C:\\data.jsonl" stays a path.
_IMPORTED = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]+:")


def _named(key: str, progress, status) -> Task:
    if key in TASKS:
        return TASKS[key].load()
    from agentarch.tasks.bigbench import SUITE, load_bigbench

    if key.startswith(f"{SUITE}:"):
        return load_bigbench(key, progress, status)
    from agentarch.tasks.task_folder import read_task

    task = read_task(key)
    if task is None:
        raise ConfigError(f"no imported task '{key}'; 'agentarch tasks' lists the tasks")
    return task


def load_task(name_or_path: str | Path, input_field: str | None = None,
              target_field: str | None = None, metric: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              status: Callable[[str], None] | None = None) -> Task:
    """A built-in task by name, an imported one (``bigbench:NAME[/SUBTASK]``, imported on first
    use: ``progress(done, total)`` follows the download, ``status`` names the later steps), or a
    task from a .jsonl/.json/.csv file.

    For a named task, ``metric`` replaces its metric (targets are re-checked) and the field
    options are rejected: they only describe files.
    """
    key = str(name_or_path)
    if key in TASKS or _IMPORTED.match(key) and not Path(key).exists():
        if input_field or target_field:
            raise ConfigError(f"task '{key}' is named; input/target field options only apply "
                              f"to data files")
        task = _named(key, progress, status)
        if metric:
            task.metric = get_metric(metric)
            for ex in task.examples:
                problem = task.metric.validate_example(ex)
                if problem:
                    raise ConfigError(f"metric '{metric}' does not fit task '{key}': example "
                                      f"{ex.id}: {problem}")
        return task
    if _looks_like_path(key):
        return load_file(key, input_field=input_field or "question",
                         target_field=target_field or "answer", metric=metric or "exact")
    close = difflib.get_close_matches(key, list(TASKS), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown task '{key}'.{hint} Built-in tasks: {', '.join(TASKS)}; "
                      f"or give a {'/'.join(SUFFIXES)} file")
