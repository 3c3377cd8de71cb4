"""The dashboard's FastAPI app: the page (``static/index.html``, drawn by ``static/dashboard.js``
with the vendored Chart.js) and the JSON it draws from.

``GET /api/runs`` the runs; ``GET /api/runs/{run}`` one run (anytime curve, Pareto front, designs);
``GET /api/runs/{run}/designs/{design}`` a design's tree, lineage and results; ``GET
/api/results/{key}`` one example's full trace. Every request opens the store read-only and closes
it, so a search writing to the same file shows up on the next poll and nothing can be changed.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from agentarch.serve.dashboard import queries
from agentarch.serve.dashboard.readonly import check_store, connect

STATIC = Path(__file__).parent / "static"


def create_dashboard_app(store_path) -> FastAPI:
    """The dashboard over the store at ``store_path``; a missing or foreign file is a ``ConfigError``."""
    path = check_store(store_path)
    app = FastAPI(title="agentarch dashboard", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store_path = path

    def read(fn, *args):
        try:
            with closing(connect(path)) as con:
                return fn(con, *args)
        except queries.NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)

    @app.get("/api/store")
    def store_info() -> dict:
        """Which file the dashboard reads."""
        return {"path": str(path), "read_only": True}

    @app.get("/api/runs")
    def runs(limit: int = 200):
        """Runs, newest first: task, model, optimizer, budget spent, status, best design."""
        return read(queries.list_runs, limit)

    @app.get("/api/runs/{run_id}")
    def run(run_id: str):
        """One run: the anytime curve, the accuracy-vs-tokens Pareto front and the designs table."""
        return read(queries.run_detail, run_id)

    @app.get("/api/runs/{run_id}/designs/{design_id}")
    def design(run_id: str, design_id: str):
        """A design's tree, lineage and stored results on the run's task and model."""
        return read(queries.design_detail, run_id, design_id)

    @app.get("/api/results/{key}")
    def result(key: str):
        """One example's full trace: every prompt and reply, per block, with tokens and cache hits."""
        return read(queries.result_trace, key)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
