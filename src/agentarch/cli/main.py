"""Entry point: builds the typer app from the command modules and turns user errors into one line."""

from __future__ import annotations

import sys

import typer

from agentarch.cli import (commands_eval, commands_info, commands_route, commands_search, commands_serve,
                           commands_tasks, commands_team, commands_ui)

app = typer.Typer(
    name="agentarch",
    help="Design, test and serve LLM agent systems.\n\n"
         "Start with:  agentarch eval --task word_problems --baselines --limit 20",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
commands_info.register(app)
commands_tasks.register(app)
commands_eval.register(app)
commands_search.register(app)
commands_team.register(app)
commands_route.register(app)
commands_serve.register(app)
commands_ui.register(app)


def main() -> None:
    from agentarch.errors import AgentArchError

    try:
        app()
    except AgentArchError as exc:
        from rich.markup import escape

        from agentarch.cli.common import err

        # escaped: a message may hold brackets ("bigbench:NAME[/SUBTASK]", a JSON value)
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
