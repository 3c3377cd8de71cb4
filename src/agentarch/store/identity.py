"""What identifies a stored result, so a score is reused only when everything that produced it is
unchanged.

A result is keyed by a hash of: the example's content, the metric (its name and the source of the
code that extracts and scores answers), the model stack, the design's canonical id, the source of
every block the design runs, the answer-length cap and a repeat index. Editing a data file, switching
the metric, editing a block's prompt or asking for a fresh repeat therefore gives new keys: the old
results are simply never looked up again.

``source_fingerprint`` hashes the source of Python modules and of the ``agentarch`` modules they
import (followed only inside the packages the caller names), read once per process.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from functools import lru_cache
from typing import Iterable

# Bump when the meaning of a result key changes: every stored result becomes unreachable at once.
KEY_VERSION = 1


def digest(*parts: object) -> str:
    """A sha256 hex digest of JSON-encoded parts (order matters; dict keys do not)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def result_key(example_fp: str, metric_fp: str, model_id: str, design_id: str, code_fp: str,
               max_tokens: int, repeat: int = 0, answer_format: str = "") -> str:
    """The identity of one result: equal keys mean the stored answer and score can be reused.
    The answer-format hint is part of the prompts, so it is part of the identity when set."""
    parts = ("result", KEY_VERSION, example_fp, metric_fp, model_id, design_id, code_fp,
             int(max_tokens), int(repeat))
    return digest(*parts, answer_format) if answer_format else digest(*parts)


@lru_cache(maxsize=None)
def module_source(name: str) -> str:
    """The source text of an importable module ('' when it has none, e.g. a compiled module)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # e.g. __main__ run as a script
        return ""
    if spec is None or spec.loader is None or not hasattr(spec.loader, "get_source"):
        return ""
    try:
        return spec.loader.get_source(name) or ""
    except (ImportError, OSError):
        return ""


def _imports(name: str, source: str) -> set[str]:
    """Every module ``source`` imports (at any depth of the file, relative imports resolved)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    package = name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


def module_closure(roots: Iterable[str], follow: tuple[str, ...], skip: frozenset[str] = frozenset()) -> list[str]:
    """``roots`` plus every module they import, directly or not, whose name starts with one of
    ``follow`` (and is not in ``skip``), sorted."""
    return list(_closure(tuple(sorted(set(roots))), tuple(follow), frozenset(skip)))


@lru_cache(maxsize=None)
def _closure(roots: tuple[str, ...], follow: tuple[str, ...], skip: frozenset[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    todo = [r for r in roots if r not in skip]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = module_source(name)
        seen.add(name)
        for dep in _imports(name, source):
            if dep not in seen and dep not in skip and dep.startswith(follow):
                try:
                    if importlib.util.find_spec(dep) is not None:
                        todo.append(dep)
                except (ImportError, ValueError):
                    continue
    return tuple(sorted(seen))


def source_fingerprint(modules: Iterable[str]) -> str:
    """A hash of the names and source texts of ``modules``."""
    return digest(*[(m, module_source(m)) for m in sorted(set(modules))])
