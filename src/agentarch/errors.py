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


class PromptTooLong(ModelError):
    """One request's prompt does not fit the model's context. It is that example's error (the
    evaluator scores it 0 and goes on), not the run's: the other examples still fit."""

    def __init__(self, prompt_tokens: int | None, context: int | None):
        self.prompt_tokens, self.context = prompt_tokens, context
        n = f"{prompt_tokens} tokens" if prompt_tokens is not None else "tokens"
        limit = f"the model's context of {context}" if context is not None else "the model's context"
        super().__init__(f"prompt of {n} exceeds {limit}")


class StoreFull(AgentArchError):
    """The disk holding the store (or SQLite's page limit) is full; what is stored stays valid."""


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
