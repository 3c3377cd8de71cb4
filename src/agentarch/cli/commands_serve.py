"""``agentarch serve``: designs behind an OpenAI-compatible API (``/v1/chat/completions``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from agentarch.cli.common import BaseUrlOpt, DbOpt, KeyEnvOpt, ModelOpt, ParallelOpt, err, model_stack


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)


def serve_cmd(
    designs: List[str] = typer.Argument(..., help="Designs to serve: a block name, a JSON spec, a .json file or a "
                                                  "search run id (its winner). NAME=DESIGN sets the model name."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    model: str = ModelOpt, base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    parallel: int = ParallelOpt, db: str = DbOpt,
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not cache model calls in --db."),
    task: Optional[str] = typer.Option(None, "--task", "-t", help="Compare answers (votes) with this task's answer "
                                                                  "extraction; a run's own task is the default."),
    max_calls_per_request: int = typer.Option(100, "--max-calls-per-request", min=1,
                                              help="Model calls one request's design may make (429 past it)."),
    budget_calls: Optional[int] = typer.Option(None, "--budget-calls", min=1, help="Hard cap on model calls sent over the "
                                                                            "server's life (429 once spent)."),
    budget_tokens: Optional[int] = typer.Option(None, "--budget-tokens", min=1, help="Hard cap on tokens, likewise."),
    key_env: str = typer.Option("AGENTARCH_API_KEY", "--key-env",
                                help="Environment variable with the API key(s) clients must send (comma-separated); "
                                     "unset or empty: no key is asked for."),
    max_request_bytes: int = typer.Option(1_000_000, "--max-request-bytes", min=1, help="Larger bodies get a 413."),
    max_tokens: int = typer.Option(512, "--max-tokens", min=1, help="Cap on tokens of each underlying model call."),
    shutdown_timeout: float = typer.Option(30.0, "--shutdown-timeout", min=0,
                                           help="On SIGTERM/Ctrl-C, seconds in-flight requests get to finish."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log every request."),
) -> None:
    """Serve designs as OpenAI-compatible models: /v1/chat/completions, /v1/models and /health.

    Examples:

      agentarch serve cot self_consistency --port 8000

      agentarch serve best=3f2a my_design.json --db runs/demo.db

    Then any OpenAI client works with base_url http://127.0.0.1:8000/v1 and model "cot".
    """
    from agentarch.errors import require
    from agentarch.llm.budget import Budget
    from agentarch.serve import resolve_designs, serve

    require("fastapi", "serve")  # before the model is loaded
    require("uvicorn", "serve")
    from agentarch.serve.options import ServeOptions
    from agentarch.store.db import Store

    keys = tuple(k.strip() for k in os.environ.get(key_env, "").split(",") if k.strip())
    options = ServeOptions(max_calls_per_request=max_calls_per_request, max_request_bytes=max_request_bytes,
                           max_tokens=max_tokens, api_keys=keys, shutdown_timeout=shutdown_timeout)
    # without the cache the store is only read (for run ids), and not created when missing
    store = (Store(db, readonly=True) if Path(db).exists() else None) if no_cache else Store(db)
    served = resolve_designs(designs, store, task)
    stack = model_stack(model, base_url, api_key_env, None if no_cache else store,
                        Budget(calls=budget_calls, tokens=budget_tokens), parallel)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/v1"
    err.print(f"serving {len(served)} design(s) on {escape(stack.id)} at [bold]{escape(url)}[/]", highlight=False)
    for d in served:
        err.print(f"  model [bold]{escape(d.name)}[/]: {escape(d.spec.label())} ({escape(d.source)})", highlight=False)
    if keys:
        err.print(f"clients must send one of the {len(keys)} key(s) in ${key_env} as 'Authorization: Bearer <key>'")
    elif host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning: no API key is asked for on {host}; set ${key_env} to require one[/]")
    try:
        serve(served, stack=stack, db=None, host=host, port=port, options=options, access_log=access_log)
    finally:
        if store is not None:
            store.close()
