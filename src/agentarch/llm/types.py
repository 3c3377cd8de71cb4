"""Plain data that crosses the model boundary: a request, its completion and its token usage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


@dataclass(slots=True)
class Request:
    """One chat call for a single sample.

    ``sample`` tells apart repeated identical requests at temperature > 0 (self-consistency asks
    the same thing n times); it is part of the cache key and seeds the sampler, so the i-th sample
    is distinct from the others and reproducible.
    """

    messages: list[Message]
    temperature: float = 0.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    sample: int = 0

    def key(self, backend: str, model: str) -> str:
        """Stable cache key over everything that changes the answer."""
        blob = json.dumps(
            [backend, model, self.messages, round(self.temperature, 4), self.max_tokens,
             list(self.stop), self.sample if self.temperature > 0 else 0],
            separators=(",", ":"), ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def seed(self, backend: str, model: str) -> int:
        return int(self.key(backend, model)[:8], 16)

    def prompt_bound(self) -> int:
        """An upper bound on prompt tokens (a token is at least one byte, plus template overhead)."""
        return sum(len((m.get("content") or "").encode()) + 8 for m in self.messages) + 16


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class Completion:
    """The answer to one ``Request``."""

    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"
    cached: bool = False
    latency: float = 0.0


def completion_from_openai(data: dict, latency: float = 0.0) -> Completion:
    """A ``Completion`` from an OpenAI-format chat response (HTTP servers and the embedded one)."""
    choice = data["choices"][0]
    usage = data.get("usage") or {}
    return Completion(
        text=(choice.get("message") or {}).get("content") or "",
        usage=Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
        finish_reason=choice.get("finish_reason") or "stop",
        latency=latency,
    )
