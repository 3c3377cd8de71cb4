"""The server's settings as data: limits per request, the accepted API keys and the shutdown grace."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ServeOptions(BaseModel):
    """``max_calls_per_request`` caps the model calls one request's design may make (cache hits
    included: it bounds the work of one request); the global budget lives in the model stack.
    ``api_keys`` empty means no key is asked for. ``max_tokens`` caps every underlying call."""

    model_config = ConfigDict(extra="forbid")

    max_calls_per_request: int | None = Field(100, ge=1)
    max_request_bytes: int = Field(1_000_000, ge=1)
    max_tokens: int = Field(512, ge=1)
    api_keys: tuple[str, ...] = ()
    shutdown_timeout: float = Field(30.0, ge=0)
    keepalive_seconds: float = Field(10.0, gt=0)
