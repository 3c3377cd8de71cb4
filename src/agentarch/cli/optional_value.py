"""Options that may be given bare: ``agentarch eval --baselines`` means ``--baselines all``.

Typer (0.29) has no option with an optional value, so a bare ``--baselines`` followed by another
option swallowed that option as its value (``--baselines --limit 20`` failed with "unexpected
extra argument (20)"). A command built with ``optional_values({"--baselines": "all"})`` fills in
the value before parsing when the option is last or followed by another option."""

from __future__ import annotations

from typer.core import TyperCommand


def fill_optional_values(args: list[str], values: dict[str, str]) -> list[str]:
    """``args`` with ``values[opt]`` inserted after each bare ``opt`` (last, or before an option)."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--":
            return out + args[i + 1:]
        if arg in values:
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or (following.startswith("-") and following != "-"):
                out.append(values[arg])
    return out


def optional_values(values: dict[str, str]) -> type[TyperCommand]:
    """A command class whose options ``values`` (option -> value when bare) may be given bare."""

    class OptionalValueCommand(TyperCommand):
        def parse_args(self, ctx, args: list[str]) -> list[str]:
            return super().parse_args(ctx, fill_optional_values(list(args), values))

    return OptionalValueCommand
