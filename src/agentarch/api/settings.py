"""Process-wide defaults of the Python API, set with ``aa.configure(model=..., db=...)`` (as DSPy
users set ``dspy.configure(lm=...)``): the model and the store that ``evaluate``, ``search`` and
``load_run`` use when a call does not name them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

DEFAULTS = {"db": "agentarch.db"}


@dataclass
class Settings:
    model: Optional[Any] = None  # an api.model.Model; None means the embedded default
    db: str = DEFAULTS["db"]


settings = Settings()


def configure(model: Any = None, db: Optional[str] = None) -> Settings:
    """Set the default ``model`` (an ``aa.Model`` or an embedded model name) and ``db`` (the SQLite
    file of runs, results and the call cache, ``agentarch.db`` like the command line). Arguments
    left out keep their value; returns the settings."""
    from agentarch.api.model import as_model

    if model is not None:
        settings.model = as_model(model)
    if db is not None:
        settings.db = str(db)
    return settings


def db_path(db: Any = None) -> str:
    """``db`` or the configured default."""
    return str(db) if db is not None else settings.db
