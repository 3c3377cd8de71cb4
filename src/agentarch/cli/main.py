"""Entry point: builds the typer app from the command modules and turns user errors into one line."""

from __future__ import annotations

import sys

import typer

from agentarch.cli import commands_eval, commands_info, commands_route, commands_search, commands_team

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
commands_eval.register(app)
commands_search.register(app)
commands_team.register(app)
commands_route.register(app)


def main() -> None:
    from typer._click import exceptions as click  # typer (pinned) carries its own click

    from agentarch.cli.common import err
    from agentarch.errors import AgentArchError

    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # bare 'agentarch' or a group: the help text
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # a bad option or value: one line, and where to read more
        where = exc.ctx.command_path.replace(exc.ctx.find_root().info_name, "agentarch", 1) if exc.ctx else "agentarch"
        err.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
        err.print(f"see: {where} --help", highlight=False)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        err.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except AgentArchError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, click.Abort):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
