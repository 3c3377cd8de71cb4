"""``bigbench:NAME[/SUBTASK]``: import BIG-bench tasks into the user's task folder and load them.

A task with subtasks (``modified_arithmetic``) imported by its name gets all of its subtasks'
examples, each id naming its subtask; ``NAME/SUBTASK`` imports one. The import is done once: later
loads read the JSONL in the task folder.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from agentarch.errors import ConfigError, DataError
from agentarch.tasks.bigbench.archive import read_task_files
from agentarch.tasks.bigbench.convert import Converted, convert_task
from agentarch.tasks.bigbench.fetch import SDIST, Progress, ensure_sdist
from agentarch.tasks.task import Task
from agentarch.tasks.task_folder import read_task, task_files, write_task

__all__ = ["SUITE", "Imported", "parse_ref", "import_tasks", "load_bigbench"]

SUITE = "bigbench"
ORIGIN = f"BIG-bench (Srivastava et al., 2022), {SDIST} from the package index"


@dataclass
class Imported:
    """One imported task: its name, file, size, metric, options and left-out examples."""

    name: str
    path: Path
    examples: int
    metric: str
    options: int
    skipped: dict[str, int]


def parse_ref(ref: str) -> tuple[str, str]:
    """("NAME", "SUBTASK" or "") from "bigbench:NAME[/SUBTASK]" (or "NAME[/SUBTASK]")."""
    rest = ref.split(":", 1)[1] if ref.startswith(f"{SUITE}:") else ref
    if ":" in rest:
        raise ConfigError(f"'{ref}': only BIG-bench tasks can be imported, as bigbench:NAME[/SUBTASK]")
    name, _, sub = rest.partition("/")
    task_files(f"{SUITE}:{rest}")  # checks the characters
    return name, sub


def _merge(parts: dict[str, Converted], ref: str) -> Converted:
    metrics = {c.metric for c in parts.values()}
    if len(metrics) > 1:
        listed = ", ".join(f"{sub} ({c.metric})" for sub, c in parts.items())
        raise DataError(f"{ref}: its subtasks use different metrics ({listed}); import one as "
                        f"{ref}/SUBTASK")
    skipped: dict[str, int] = {}
    for c in parts.values():
        for why, n in c.skipped.items():
            skipped[why] = skipped.get(why, 0) + n
    return Converted([r for c in parts.values() for r in c.records], metrics.pop(),
                     max(c.options for c in parts.values()), skipped)


def _convert(name: str, sub: str, files: dict[str, dict], seed: int) -> tuple[Converted, str]:
    ref = f"{SUITE}:{name}" + (f"/{sub}" if sub else "")
    if sub:
        if sub not in files:
            subs = sorted(s for s in files if s)
            raise ConfigError(f"{ref}: no such subtask; {name} has "
                              f"{', '.join(subs) if subs else 'no subtasks'}")
        return convert_task(files[sub], f"{name}-{sub}", seed), str(files[sub].get("description", ""))
    own = files.get("", {})
    parts = {s: spec for s, spec in files.items() if s and spec.get("examples")}
    if own.get("examples"):
        parts = {"": own, **parts}
    if not parts:
        raise DataError(f"{ref}: task.json holds no examples and the task has no subtasks with examples")
    converted = {s: convert_task(spec, f"{name}-{s}" if s else name, seed) for s, spec in parts.items()}
    return _merge(converted, ref), str(own.get("description", ""))


def import_tasks(refs: list[str], progress: Progress | None = None, seed: int = 0,
                 status: Callable[[str], None] | None = None) -> list[Imported]:
    """Import each ``bigbench:NAME[/SUBTASK]`` (fetching the sdist once if needed)."""
    wanted = [(ref, *parse_ref(ref)) for ref in refs]
    sdist = ensure_sdist(progress)
    if status:
        status(f"reading {', '.join(sorted({n for _, n, _ in wanted}))} from {sdist.name}")
    files = read_task_files(sdist, {name for _, name, _ in wanted})
    done = []
    for ref, name, sub in wanted:
        if name not in files.found:
            close = difflib.get_close_matches(name, sorted(files.names), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(f"bigbench has no task '{name}'.{hint}")
        converted, about = _convert(name, sub, files.found[name], seed)
        full = f"{SUITE}:{name}" + (f"/{sub}" if sub else "")
        left_out = "".join(f"; {n} left out ({why})" for why, n in converted.skipped.items())
        options = f", {converted.options} options at most" if converted.options else ""
        info = {"metric": converted.metric, "examples": len(converted.records),
                "options": converted.options, "skipped": converted.skipped,
                "origin": f"{ORIGIN}, benchmark_tasks/{name}" + (f"/{sub}" if sub else ""),
                "description": f"{about.strip()} ({len(converted.records)} examples, metric "
                               f"{converted.metric}{options}{left_out})"}
        path = write_task(full, converted.records, info)
        done.append(Imported(full, path, len(converted.records), converted.metric, converted.options,
                             converted.skipped))
    return done


def load_bigbench(ref: str, progress: Progress | None = None,
                  status: Callable[[str], None] | None = None) -> Task:
    """The task ``bigbench:NAME[/SUBTASK]``, imported first if the task folder lacks it."""
    name, sub = parse_ref(ref)
    full = f"{SUITE}:{name}" + (f"/{sub}" if sub else "")
    task = read_task(full)
    if task is None:
        import_tasks([full], progress, status=status)
        task = read_task(full)
    if task is None:
        raise DataError(f"{full}: the import wrote no readable task into {task_files(full)[0].parent}")
    return task
