"""``agentarch serve``: every design served as an OpenAI-compatible model.

``/v1/chat/completions`` (the design's name is the ``model``; streaming; ``usage`` adds up every
model call the design made), ``/v1/models`` and ``/health``, with FastAPI and uvicorn (the
``serve`` extra, imported only when used). ``create_app`` builds the app for mounting elsewhere;
``serve`` runs it until SIGTERM/Ctrl-C, finishing in-flight requests first.
"""

from __future__ import annotations

from agentarch.serve.options import ServeOptions

__all__ = ["ServeOptions", "create_app", "resolve_designs", "serve"]


def serve(designs, **kwargs) -> None:
    """Serve designs until stopped; see ``agentarch.serve.server.serve`` for the options."""
    from agentarch.serve.server import serve as _serve

    _serve(designs, **kwargs)


def create_app(designs, stack, options: ServeOptions | None = None, tools: dict | None = None):
    """The FastAPI app over resolved designs (``resolve_designs``) and a model stack."""
    from agentarch.errors import require

    require("fastapi", "serve")
    from agentarch.serve.app import create_app as _create

    return _create(designs, stack, options, tools)


def resolve_designs(designs, store=None, task: str | None = None):
    """``ServedDesign``s from block names, JSON, files, run ids or specs (``NAME=DESIGN`` names one)."""
    from agentarch.serve.designs import resolve

    return resolve(designs, store, task)
