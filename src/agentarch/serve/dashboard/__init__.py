"""``agentarch ui``: a local web dashboard, read-only over the store.

Runs, a run's anytime curve and accuracy-vs-tokens Pareto front, its designs with validation and
test scores, a design's tree and lineage, and one example's full trace, drawn in the browser from
JSON endpoints (``app.py``). FastAPI and uvicorn come with the ``serve`` extra and are imported
only when the dashboard is built.
"""

from __future__ import annotations

__all__ = ["create_dashboard_app"]


def create_dashboard_app(store_path):
    """The FastAPI app of the dashboard over the SQLite store at ``store_path`` (opened read-only)."""
    from agentarch.errors import require

    require("fastapi", "serve")
    from agentarch.serve.dashboard.app import create_dashboard_app as _create

    return _create(store_path)
