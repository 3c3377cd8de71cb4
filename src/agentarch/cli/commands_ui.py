"""``agentarch ui``: the local web dashboard over a store (read-only), served by uvicorn."""

from __future__ import annotations

import typer

from agentarch.cli.common import DbOpt, err


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(db: str = DbOpt,
       port: int = typer.Option(8501, "--port", min=0, max=65535, help="TCP port to listen on (0 picks a free one)."),
       host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; keep 127.0.0.1 unless others "
                                                             "should see the store's prompts and answers.")) -> None:
    """Open a web dashboard over the store: runs, anytime curves, Pareto fronts, designs and traces.

    Example:  agentarch ui --db runs/demo.db   then open http://127.0.0.1:8501

    The store is opened read-only; a search writing to it shows up while it runs. Ctrl-C stops.
    """
    import socket

    from agentarch.errors import ConfigError, require

    require("fastapi", "serve")
    require("uvicorn", "serve")
    import uvicorn

    from agentarch.serve.dashboard import create_dashboard_app

    app = create_dashboard_app(db)
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    err.print(f"dashboard at http://{shown}:{bound}/ over {db} (read-only); Ctrl-C stops",
              highlight=False, markup=False, soft_wrap=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
