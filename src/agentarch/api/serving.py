"""``aa.serve``: a lazy hook onto ``agentarch.serve.serve`` (the OpenAI-compatible server for designs),
imported on first use so ``import agentarch`` stays light; a missing module or web dependency gives
one line saying what to install."""

from __future__ import annotations

import importlib
from typing import Any

from agentarch.errors import MissingExtra


def load_serve():
    """The ``agentarch.serve.serve`` function, or ``MissingExtra`` saying why it is unavailable."""
    try:
        module = importlib.import_module("agentarch.serve")
    except ModuleNotFoundError as exc:
        if exc.name in ("agentarch.serve", "agentarch"):
            raise MissingExtra("aa.serve is not available in this build of agentarch "
                               "(the agentarch.serve module is missing); upgrade agentarch") from None
        raise MissingExtra(f"aa.serve needs '{exc.name}', which is not installed. Install it with: "
                           "pip install 'agentarch[serve]'") from None
    fn = getattr(module, "serve", None)
    if not callable(fn):
        raise MissingExtra("aa.serve is not available in this build of agentarch "
                           "(agentarch.serve has no serve function); upgrade agentarch")
    return fn


def serve(*args: Any, **kwargs: Any) -> Any:
    """Serve a design as an OpenAI-compatible ``/v1/chat/completions`` model; the arguments are
    those of ``agentarch.serve.serve``."""
    return load_serve()(*args, **kwargs)
