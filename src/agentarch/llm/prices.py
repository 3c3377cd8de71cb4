"""Dollar prices per million tokens (input, output) for hosted models. Plain data: edit freely.

Local and self-hosted models cost nothing. Prices are looked up once per model, never per call.
"""

from __future__ import annotations

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-3.5-turbo": (0.50, 1.50),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
}

FREE_BACKENDS = {"local", "scripted"}


def price_for(backend: str, model: str) -> tuple[float, float] | None:
    """(dollars per input token, dollars per output token), or None when unknown."""
    if backend in FREE_BACKENDS:
        return (0.0, 0.0)
    base = model.split("/")[-1].lower()
    for name in sorted(PRICES_PER_MTOK, key=len, reverse=True):
        if base == name or base.startswith(name + "-"):
            i, o = PRICES_PER_MTOK[name]
            return (i / 1e6, o / 1e6)
    return None
