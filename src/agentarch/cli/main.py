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
    from rich.markup import escape
    from typer._click import exceptions as click  # typer (pinned) carries its own click

    from agentarch.cli.common import err
    from agentarch.errors import AgentArchError

    from agentarch.cli.lifecycle import Terminated, terminate_on_sigterm

    terminate_on_sigterm()
    try:
        code = app(standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # bare 'agentarch' or a group: the help text
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # a bad option or value: one line, and where to read more
        where = exc.ctx.command_path.replace(exc.ctx.find_root().info_name, "agentarch", 1) if exc.ctx else "agentarch"
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}", highlight=False, soft_wrap=True)
        err.print(f"see: {escape(where)} --help", highlight=False)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except AgentArchError as exc:
        # escaped: a message may hold brackets ("bigbench:NAME[/SUBTASK]", a JSON value)
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, click.Abort):
        code = 130
    if code == 130:  # typer turns Ctrl-C into exit code 130
        _exit_now(143 if Terminated.seen else 130)  # 143: the shell's code for an end by SIGTERM
    sys.exit(code if isinstance(code, int) else 0)


def _exit_now(code: int) -> None:
    """Leave at once after Ctrl-C or SIGTERM. The run is already marked and the store committed (every write
    is, and the batched call-cache writes are when the event loop shuts down); what remains are model calls the embedded model cannot drop mid-batch (llama.cpp finishes
    the batch it is decoding), which a normal exit would wait for, many seconds on a busy machine."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
