"""Plain data that crosses the model boundary: a request, its completion and its token usage."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, field, replace

import orjson

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _messages_json(messages) -> bytes:
    """``_COMPACT(messages)`` as UTF-8, byte for byte. Plain dicts whose values are all strings (or
    ``None``) go through orjson, which writes such JSON exactly as ``_COMPACT`` does (same escapes,
    no spaces, non-ASCII kept) at a tenth of the cost; anything else (numbers, content parts, dict
    subclasses, keys orjson refuses) takes ``_COMPACT`` itself, so the cache keys never change."""
    try:
        for m in messages:
            if type(m) is not dict:
                raise TypeError
            for v in m.values():
                if type(v) is not str and v is not None:
                    raise TypeError
        return orjson.dumps(messages)
    except (TypeError, AttributeError):  # orjson.JSONEncodeError is a TypeError
        return _COMPACT(messages).encode()


def _number(x) -> str:
    """JSON of a number as ``_COMPACT`` writes it; the common cases without the encoder's set-up."""
    if type(x) is int or (type(x) is float and math.isfinite(x)):
        return repr(x)
    return _COMPACT(x)


@functools.lru_cache(maxsize=256, typed=True)
def _parts(backend, model, temperature, max_tokens, stop, sample, repeat) -> tuple[bytes, bytes, str]:
    """What comes before the messages in a cache key's JSON, what follows them there (both UTF-8),
    and what follows them in the stored request's JSON. A handful of settings recur on every call
    of a run, so these are built once per setting; ``typed``: ``1`` and ``1.0`` (or ``True``) are
    written differently, so they are kept apart."""
    head = _COMPACT([backend, model])[:-1] + ","
    stop_json = _COMPACT(list(stop)) if stop else "[]"
    key_sample = sample if temperature > 0 else 0
    key_repeat = f',{{"repeat":{_number(repeat)}}}' if repeat > 0 else ""  # repeat 0 keeps old keys
    key_tail = (f",{_number(round(temperature, 4))},{_number(max_tokens)},{stop_json},{_number(key_sample)}"
                f"{key_repeat}]")
    record_tail = (f',"temperature":{_number(temperature)},"max_tokens":{_number(max_tokens)},"stop":{stop_json},'
                   f'"sample":{_number(sample)},"repeat":{_number(repeat)}}}')
    return head.encode(), key_tail.encode(), record_tail


GREEDY_SEED = 42  # the one seed every greedy call sends, so greedy runs differ only by the server's batching


@dataclass(slots=True)
class Request:
    """One chat call for a single sample.

    ``sample`` tells apart repeated identical requests at temperature > 0 (self-consistency asks
    the same thing n times); it is part of the cache key and seeds the sampler, so the i-th sample
    is distinct from the others and reproducible.

    ``repeat`` re-measures the same request as a fresh call: when > 0 it is part of the cache key
    (repeat r is sent once, cached under its own key, and reused on a rerun) but not of the seed,
    so repeat r asks exactly what repeat 0 asked; any difference in the reply is the backend's
    own noise (e.g. llama.cpp's batching across parallel slots), not a different question.
    """

    messages: list[Message]
    temperature: float = 0.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    sample: int = 0
    repeat: int = 0
    model: str = ""  # a named model of the stack (a design node's ``model``); "" is the stack's own

    def key(self, backend: str, model: str) -> str:
        """Stable cache key over everything that changes the answer. A named ``model`` other than
        the stack's own ``model`` takes its place; the stack's own name keeps the usual keys."""
        head, key_tail, _ = self._parts(backend, model)
        return hashlib.sha256(head + _messages_json(self.messages) + key_tail).hexdigest()

    def cache_entry(self, backend: str, model: str) -> tuple[str, str]:
        """(``key``, the request as the cache stores it in JSON), encoding the messages once: on a
        long prompt that encoding is most of the cache's cost per call."""
        messages = _messages_json(self.messages)
        head, key_tail, record_tail = self._parts(backend, model)
        return hashlib.sha256(head + messages + key_tail).hexdigest(), '{"messages":' + messages.decode() + record_tail

    def _parts(self, backend: str, model: str) -> tuple[bytes, bytes, str]:
        # The key hashes the compact JSON of [backend, model, messages, temperature, max_tokens,
        # stop, sample (, {"repeat": r})], assembled from parts: a list's JSON is its items' JSON
        # joined by ",". ``_parts`` holds what comes before and after the messages.
        if self.model and self.model != model:
            model = f"{model}>{self.model}"
        args = (backend, model, self.temperature, self.max_tokens, self.stop, self.sample, self.repeat)
        try:
            return _parts(*args)
        except TypeError:  # unhashable (a list of stop strings): the same text, not remembered
            return _parts.__wrapped__(*args)

    def seed(self, backend: str, model: str) -> int:
        """The sampler seed: one fixed seed for greedy calls; for sampled calls one drawn from the
        key without ``repeat``, so every repeat of a sample uses the same seed."""
        if self.temperature <= 0:
            return GREEDY_SEED
        first = self if self.repeat == 0 else replace(self, repeat=0)
        return int(first.key(backend, model)[:8], 16)

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
