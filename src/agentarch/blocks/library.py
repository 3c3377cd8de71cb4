"""Imports every block module in this package so each registers itself."""

import importlib
import pkgutil

import agentarch.blocks as _pkg

_INFRA = {"base", "context", "registry", "spec", "library", "common", "presets", "verify", "stepwise"}

for _mod in pkgutil.iter_modules(_pkg.__path__):
    if _mod.name not in _INFRA and not _mod.name.startswith("_"):
        importlib.import_module(f"agentarch.blocks.{_mod.name}")
