"""Errors a user can cause. Each message says what went wrong and what to do about it.

The CLI prints an ``AgentArchError`` as one or two lines and exits non-zero; anything else is a bug
and keeps its traceback.
"""


class AgentArchError(Exception):
    """Base class for every error caused by input, configuration or environment."""


class ConfigError(AgentArchError):
    """A flag, option or design spec is invalid."""


class DataError(AgentArchError):
    """A task file or field is invalid. The message names the file, line and field."""


class ModelError(AgentArchError):
    """A model backend failed in a way retrying will not fix (bad key, server down, bad weights)."""


class DesignFailed(AgentArchError):
    """A design raised while answering a question (a generated agent crashed, a block failed)."""


class BudgetExceeded(AgentArchError):
    """A model call would cross the hard budget; it was not sent."""


class MissingExtra(AgentArchError):
    """An optional dependency is not installed; the message gives the install command."""


def require(module: str, extra: str):
    """Import an optional dependency, or raise ``MissingExtra`` with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtra(
            f"'{module}' is not installed. Install it with: pip install 'agentarch[{extra}]'"
        ) from exc
