"""agentarch: automatically design, test and serve LLM agent systems.

A task is examples plus a metric; a design is an agent system (a tree of building blocks, or
generated Python); agentarch evaluates designs honestly on held-out data and keeps everything
in an embedded SQLite store.

``import agentarch as aa`` gives the whole Python API (``aa.evaluate``, ``aa.search``,
``aa.Model``, ``aa.blocks``, ...). Names are imported on first use, so the import itself stays fast.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

# ``aa.search`` and ``aa.serve`` are functions of the API, and also the names of subpackages
# (``agentarch.search``: the optimizers; ``agentarch.serve``: the server). Importing a subpackage
# sets it as an attribute of this package, so each such subpackage is made callable: calling it
# calls the API function, and it stays the same importable package.
_CALLABLE_PACKAGES = {"search": "agentarch.api.search:search", "serve": "agentarch.api.serving:serve"}


def _callable_package(target: str) -> type:
    module, attr = target.split(":")

    class CallablePackage(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    CallablePackage.__call__.__doc__ = f"Calls {module}.{attr} (see its docstring)."
    return CallablePackage


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        target = _CALLABLE_PACKAGES.get(name)
        if target and type(value) is types.ModuleType:
            value.__class__ = _callable_package(target)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

from agentarch.errors import AgentArchError, BudgetExceeded  # noqa: E402

# Public name -> "module:attribute" (or a module), imported on first access.
_LAZY = {
    "Task": "agentarch.tasks.task:Task",
    "Example": "agentarch.tasks.example:Example",
    "load_task": "agentarch.tasks.registry:load_task",
    "Block": "agentarch.blocks.base:Block",
    "Params": "agentarch.blocks.base:Params",
    "register": "agentarch.blocks.registry:register",
    "DesignSpec": "agentarch.blocks.spec:DesignSpec",
    "Context": "agentarch.blocks.context:Context",
    "Budget": "agentarch.llm.budget:Budget",
    "blocks": "agentarch.blocks",
    "design": "agentarch.api.designs:design",
    "Model": "agentarch.api.model:Model",
    "configure": "agentarch.api.settings:configure",
    "evaluate": "agentarch.api.evaluate:evaluate",
    "aevaluate": "agentarch.api.evaluate:aevaluate",
    "EvalResult": "agentarch.api.evaluate:EvalResult",
    "search": "agentarch.search",  # the optimizers package, callable as aa.search(...)
    "asearch": "agentarch.api.search:asearch",
    "SearchRun": "agentarch.api.search:SearchRun",
    "load_run": "agentarch.api.runs:load_run",
    "RunRecord": "agentarch.api.runs:RunRecord",
    "serve": "agentarch.serve",  # the server package, callable as aa.serve(...); see __getattr__
}

__all__ = sorted(["AgentArchError", "BudgetExceeded", "__version__", *_LAZY])


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'agentarch' has no attribute '{name}'")
    module, _, attr = target.partition(":")
    try:
        value = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if name != "serve" or exc.name != module:
            raise
        from agentarch.api.serving import serve  # says the server is not in this build

        return serve
    if attr:
        value = getattr(value, attr)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
