"""Runs the app under uvicorn until SIGTERM or Ctrl-C, then shuts down gracefully: no new
connections, in-flight requests finish (within ``shutdown_timeout``, then they are cancelled), and
the model stack is closed. Nothing is left running when ``serve`` returns."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import Any, Callable, Iterable, Mapping

from agentarch.errors import require
from agentarch.serve.options import ServeOptions


def serve(designs: Iterable[Any] | Mapping[str, Any], *, model: str = "qwen2.5-coder-0.5b",
          base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY", stack=None,
          db: str | None = "agentarch.db", task: str | None = None, host: str = "127.0.0.1", port: int = 8000,
          budget_calls: int | None = None, budget_tokens: int | None = None,
          options: ServeOptions | None = None, log_level: str = "info", access_log: bool = True,
          on_ready: Callable[[list], None] | None = None, **option_fields: Any) -> None:
    """Serve ``designs`` as OpenAI-compatible models at ``http://host:port/v1`` until stopped.

    ``designs``: block names, JSON specs, ``.json`` files, search run ids (their winner, looked up
    in ``db``) or ``DesignSpec``s; a mapping or ``NAME=DESIGN`` names them. The model is the
    embedded one, or the server at ``base_url``; or pass a ready ``stack`` (``llm.client.build``,
    whose budget then applies). ``db`` holds the call cache (``None``: no cache). ``options`` (or
    its fields as keywords, e.g. ``max_calls_per_request=20``) sets the per-request limits and the
    API keys. ``on_ready(served_designs)`` is called once the designs are resolved."""
    require("fastapi", "serve")
    uvicorn = require("uvicorn", "serve")
    from agentarch.llm.budget import Budget
    from agentarch.serve.app import create_app
    from agentarch.serve.designs import resolve
    from agentarch.store.db import Store

    options = options.model_copy(update=option_fields) if options else ServeOptions(**option_fields)
    store = Store(db) if db else None
    try:
        served = resolve(designs, store, task)
        if stack is None:
            from agentarch.llm.client import build

            stack = build(model, base_url, api_key_env, store, Budget(calls=budget_calls, tokens=budget_tokens))
        if on_ready:
            on_ready(served)
        app = create_app(served, stack, options, tools=_sandbox())
        config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level=log_level,
                                access_log=access_log, timeout_graceful_shutdown=options.shutdown_timeout)
        _run_loop(_run(uvicorn.Server(config), stack), config.get_loop_factory())
    finally:
        if store is not None:
            store.close()


def _run_loop(main, loop_factory) -> None:
    """``main`` on the event loop uvicorn would pick (uvloop when installed)."""
    if loop_factory is None or sys.version_info < (3, 11):
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)


async def _run(server, stack) -> None:
    """Serve until a signal; SIGTERM is taken over so uvicorn's graceful shutdown ends in a normal
    return (uvicorn re-raises the signal it caught, which would kill the process mid-cleanup)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: None) if main else None
    try:
        await server.serve()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        await stack.aclose()


def _sandbox() -> dict:
    """``run_code``/``run_agent`` for designs that run generated code (in the sandbox)."""
    from agentarch.runtime.sandbox import run_agent, run_code

    return {"run_code": run_code, "run_agent": run_agent}
