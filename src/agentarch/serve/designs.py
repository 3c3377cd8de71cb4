"""Which designs a server answers with, and under which model names.

A design is given as a block name (``cot``), a JSON spec or a ``.json`` file, a search run id (its
winner), a ``DesignSpec`` or a dict; ``NAME=DESIGN`` picks the name clients send as ``model``.
Default names: the block name, the file's stem, the run id as typed, or the spec's label.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from agentarch.blocks.spec import DesignSpec, parse_design
from agentarch.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+$")


def _identity(text: str) -> str:
    return text.strip()


@dataclass
class ServedDesign:
    """One design behind one model name; ``extract`` is the task's answer extractor (votes compare
    answers with it) and ``answer_format`` the answer hint its prompts carry, both from the run's
    task or ``task``, so it sends the prompts it was measured with; ``source`` says where it came from."""

    name: str
    spec: DesignSpec
    extract: Callable[[str], str] = _identity
    source: str = ""
    answer_format: str = ""
    block: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.block is None:
            self.block = self.spec.build()

    def card(self, created: int) -> dict:
        """The ``/v1/models`` entry: OpenAI's fields plus the design itself."""
        return {"id": self.name, "object": "model", "created": created, "owned_by": "agentarch",
                "design": self.spec.to_dict(), "design_id": self.spec.id, "label": self.spec.label(),
                "source": self.source}


def _extractor(metric: str | None) -> Callable[[str], str] | None:
    if not metric:
        return None
    from agentarch.tasks.metrics import get_metric

    try:
        return get_metric(metric).extract
    except Exception:  # an unknown or renamed metric: answers are compared as plain text
        return None


def _task_settings(task: str | None) -> tuple[Callable[[str], str], str]:
    """(answer extractor, answer format) of a task; plain text and no hint without one."""
    if not task:
        return _identity, ""
    from agentarch.tasks.registry import load_task

    t = load_task(task)
    return t.metric.extract, t.answer_format()


def _from_text(text: str, store) -> tuple[str, DesignSpec, tuple | None, str]:
    """(default name, spec, (extractor, answer format) of its run or None, source) for one
    command-line design."""
    from agentarch.blocks.registry import all_blocks

    stripped = text.strip()
    if stripped.startswith("{"):
        spec = parse_design(stripped)
        return spec.label(), spec, None, "json"
    path = Path(stripped)
    if path.suffix == ".json" or path.exists():
        return path.stem, parse_design(stripped), None, str(path)
    if stripped in all_blocks():
        return stripped, parse_design(stripped), None, "block"
    if store is None:
        raise ConfigError(f"'{stripped}' is not a block, a JSON spec or a .json file (and no --db to look up runs)")
    from agentarch.search.export import run_design, task_answer_format, task_metric

    try:
        run, _row, spec = run_design(store, stripped, purpose="serve")
    except ConfigError as exc:
        if store.run(stripped) is None:
            raise ConfigError(f"'{stripped}' is not a block, a JSON spec, a .json file or a run in {store.path} "
                              f"(see 'agentarch blocks' and 'agentarch runs')") from None
        raise exc
    config = json.loads(run["config"])
    extract = _extractor(config.get("metric") or task_metric(config.get("task"))) or _identity
    answer_format = config.get("answer_format")
    if answer_format is None:
        answer_format = task_answer_format(config.get("task"))
    return stripped, spec, (extract, answer_format), f"run {run['id']}"


def _as_spec(design: Any) -> Any:
    """A design object that knows its spec (``.spec`` or ``.to_spec()``, as Python-built block
    trees do) as that ``DesignSpec``; anything else unchanged."""
    for attr in ("spec", "to_spec"):
        value = getattr(design, attr, None)
        value = value() if callable(value) and not isinstance(value, DesignSpec) else value
        if isinstance(value, DesignSpec):
            return value
    return design


def resolve(designs: Iterable[Any] | Mapping[str, Any], store=None, task: str | None = None) -> list[ServedDesign]:
    """The designs to serve, each under a unique name; a bad design or name is a ``ConfigError``."""
    default = _task_settings(task)
    items = list(designs.items()) if isinstance(designs, Mapping) else [(None, d) for d in designs]
    served: list[ServedDesign] = []
    for name, design in items:
        if name is None and isinstance(design, str) and "=" in design and not design.lstrip().startswith("{"):
            name, design = design.split("=", 1)
        if isinstance(design, ServedDesign):
            if any(s.name == design.name for s in served):
                raise ConfigError(f"two designs are served as '{design.name}'; name them with NAME=DESIGN")
            served.append(design)
            continue
        design = _as_spec(design)
        if isinstance(design, DesignSpec):
            auto, spec, from_run, source = design.label(), design, None, "spec"
        elif isinstance(design, dict):
            spec = parse_design(json.dumps(design))
            auto, from_run, source = spec.label(), None, "spec"
        elif isinstance(design, str):
            auto, spec, from_run, source = _from_text(design, store)
        else:
            raise ConfigError(f"cannot serve {design!r}: give a block name, a JSON spec, a .json file, a run id or a DesignSpec")
        name = (name or auto).strip()
        if not name or (name != auto and not _NAME.match(name)):
            raise ConfigError(f"model name '{name}' may use only letters, digits and . _ : -")
        if any(s.name == name for s in served):
            raise ConfigError(f"two designs are served as '{name}'; name them with NAME=DESIGN")
        extract, answer_format = from_run if (from_run and not task) else default
        served.append(ServedDesign(name, spec, extract, source, answer_format))
    if not served:
        raise ConfigError("nothing to serve: give at least one design (a block name, a .json file or a run id)")
    return served
