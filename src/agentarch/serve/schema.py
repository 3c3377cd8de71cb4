"""The request body of ``/v1/chat/completions`` (the part of OpenAI's schema a design can honour)
and the response objects, built as plain dicts in OpenAI's shape."""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Optional[Union[str, list[ContentPart]]] = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """Unknown fields are accepted and ignored (as OpenAI-compatible servers do), except those a
    design cannot honour, which ``unsupported`` reports."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[Message] = Field(min_length=1)
    temperature: Optional[float] = Field(None, ge=0, le=2)
    max_tokens: Optional[int] = Field(None, ge=1)
    max_completion_tokens: Optional[int] = Field(None, ge=1)
    n: int = 1
    stream: bool = False
    stream_options: Optional[StreamOptions] = None
    stop: Optional[Union[str, list[str]]] = None

    def stops(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def unsupported(self) -> tuple[str, str] | None:
        """(field, why) for the first option a design cannot honour, else None."""
        if self.n != 1:
            return "n", "only n=1 is supported: a design gives one answer per request"
        extra = self.model_extra or {}
        for key in ("tools", "functions"):
            if extra.get(key):
                return key, f"'{key}' is not supported: designs answer in text and call no tools"
        if extra.get("logprobs"):
            return "logprobs", "'logprobs' is not supported: a design's answer has no token log-probabilities"
        return None

    def plain_messages(self) -> list[dict]:
        return [m.model_dump(exclude_none=False) for m in self.messages]


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion(cid: str, model: str, fingerprint: str, text: str, use: dict, extra: dict[str, Any]) -> dict:
    return {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
            "system_fingerprint": fingerprint,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": use, "agentarch": extra}


def chunk(cid: str, model: str, fingerprint: str, created: int, delta: dict,
          finish_reason: str | None = None) -> dict:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": fingerprint,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}


def usage_chunk(cid: str, model: str, fingerprint: str, created: int, use: dict) -> dict:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": fingerprint, "choices": [], "usage": use}
