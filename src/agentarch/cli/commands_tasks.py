"""``agentarch tasks``: list the tasks (built-in and imported; the default) and import public
suites (``tasks import bigbench:NAME``)."""

from __future__ import annotations

from typing import List

import typer
from rich.table import Table

from agentarch.cli.common import console

tasks_app = typer.Typer(invoke_without_command=True,
                        no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")


def download_bar():
    """The bar shown while the BIG-bench sdist is fetched (only the first time)."""
    from agentarch.cli.download_bar import DownloadBar
    from agentarch.tasks.bigbench.fetch import SDIST

    return DownloadBar(f"downloading {SDIST} (once)")


@tasks_app.callback()
def tasks_main(ctx: typer.Context) -> None:
    """List the tasks (built-in and imported), or import BIG-bench tasks.

    Examples:  agentarch tasks        agentarch tasks import bigbench:sports_understanding
    """
    if ctx.invoked_subcommand is None:
        list_cmd()


@tasks_app.command("list")
def list_cmd() -> None:
    """List the built-in tasks and the imported ones.

    Example:  agentarch tasks list
    Your own data:  agentarch eval --task data.jsonl --input-field question --target-field answer --metric numeric
    """
    from agentarch.tasks.registry import list_tasks
    from agentarch.tasks.task_folder import list_imported, task_folder

    table = Table("task", "examples", "metric", "origin", title="Built-in tasks")
    for t in list_tasks():
        table.add_row(t["name"], str(t["size"]), t["metric"], t["origin"])
    console.print(table)
    imported = list_imported()
    if imported:
        table = Table("task", "examples", "metric", "options", title=f"Imported tasks ({task_folder()})")
        for t in imported:
            table.add_row(t["name"], str(t["size"]), t["metric"], str(t["options"] or "-"))
        console.print(table)


@tasks_app.command("import")
def import_cmd(names: List[str] = typer.Argument(..., help="bigbench:NAME or bigbench:NAME/SUBTASK; several at once "
                                                           "read the archive once.")) -> None:
    """Import BIG-bench tasks into your task folder, to use as --task bigbench:NAME.

    The bigbench==1.0.0 source package (~358 MB) is fetched once from the package index into
    ~/.cache/agentarch/bigbench/ and checked against its pinned sha256.

    Example:  agentarch tasks import bigbench:sports_understanding bigbench:word_sorting
    """
    from agentarch.tasks.bigbench import import_tasks

    with download_bar() as bar:
        done = import_tasks(list(names), progress=bar, status=bar.note)
    table = Table("task", "examples", "metric", "options", "left out", "file", title="Imported")
    for t in done:
        left = ", ".join(f"{n} ({why})" for why, n in t.skipped.items()) or "-"
        table.add_row(t.name, str(t.examples), t.metric, str(t.options or "-"), left, str(t.path))
    console.print(table)
