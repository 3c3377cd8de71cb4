"""Optimizer names -> import paths, imported lazily (TPE needs optuna; meta and mcts are their own
modules). Every optimizer subclasses ``search.base.Optimizer`` and is built as
``cls(env, options)``, its options validated by its typed ``Options`` model."""

from __future__ import annotations

import importlib

from agentarch.errors import ConfigError

OPTIMIZERS: dict[str, str] = {
    "evolve": "agentarch.search.evolve:Evolve",
    "tpe": "agentarch.search.tpe:TPE",
    "random": "agentarch.search.evolve:RandomSearch",
    "meta": "agentarch.search.meta:MetaAgentSearch",
    "mcts": "agentarch.search.mcts:WorkflowMCTS",
}


def optimizer_class(name: str):
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer '{name}'; choose one of {', '.join(OPTIMIZERS)}")
    module, attr = OPTIMIZERS[name].split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise ConfigError(f"optimizer '{name}' is not available in this build ({module} is missing)") from None
        raise
    return getattr(mod, attr)


def check_options(name: str, options=None):
    """``options`` validated by optimizer ``name``'s typed options model (``ConfigError`` if bad)."""
    from agentarch.search.base import parse_options

    cls = optimizer_class(name)
    return parse_options(name, cls.Options, options)


def option_fields(name: str) -> dict[str, tuple[object, str]]:
    """Optimizer ``name``'s options: name -> (default, description)."""
    fields = optimizer_class(name).Options.model_fields
    return {k: (f.default, f.description or "") for k, f in fields.items()}


def make_optimizer(name: str, env, options=None):
    return optimizer_class(name)(env, options)
