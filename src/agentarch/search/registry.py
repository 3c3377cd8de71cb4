"""Optimizer names -> import paths, imported lazily (TPE needs optuna; meta and mcts are their own
modules). Every optimizer subclasses ``search.base.Optimizer`` and is built as ``cls(env)``."""

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


def make_optimizer(name: str, env):
    return optimizer_class(name)(env)
