"""The ``agentarch`` command line (typer + rich)."""
