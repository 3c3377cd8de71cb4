"""What a token of each embedded model costs next to a token of the default 0.5B model: plain data
first, edit freely.

A local model costs no dollars, but a bigger one costs time: its relative price is the default
model's speed over its own, for prompt tokens and generated tokens apart. Figures measured on
these 2-core machines (MODELS.md; ``bench/model_speed.py`` measures them again):
0.5B 197 prompt tok/s and 57 generated tok/s, 1.5B 86 and 34. Re-measured with
``bench/model_speed.py`` on a busy machine (load 8 on 2 cores): 0.5B 36 / 5, 1.5B 23 / 3, so the
generation ratio (1.67) agrees and the prompt ratio (1.57) is lower under load; the quiet-machine
figures are kept. A model not listed costs 1.0.
The cost-aware objective weighs each model's tokens by these prices.
"""

from __future__ import annotations

from typing import Mapping

# model -> (tokens per second for the prompt, generated tokens per second)
SPEED_TOK_PER_S: dict[str, tuple[float, float]] = {
    "qwen2.5-coder-0.5b": (197.0, 57.0),
    "qwen2.5-coder-1.5b": (86.0, 34.0),
}
REFERENCE_MODEL = "qwen2.5-coder-0.5b"


def relative_price(model: str, speeds: Mapping[str, tuple[float, float]] = SPEED_TOK_PER_S) -> tuple[float, float]:
    """(prompt, completion) price of one token of ``model`` in reference-model tokens."""
    ref, own = speeds.get(REFERENCE_MODEL), speeds.get(model)
    if ref is None or own is None:
        return (1.0, 1.0)
    return (ref[0] / own[0], ref[1] / own[1])


def weighted_tokens(by_model: Mapping[str, Mapping[str, int]], default_model: str = "",
                    speeds: Mapping[str, tuple[float, float]] = SPEED_TOK_PER_S) -> float:
    """Tokens priced in reference-model tokens, from ``{model: {"prompt_tokens", "completion_tokens"}}``
    (the key "" is the stack's own model, ``default_model``)."""
    total = 0.0
    for name, used in by_model.items():
        pin, pout = relative_price(name or default_model, speeds)
        total += used.get("prompt_tokens", 0) * pin + used.get("completion_tokens", 0) * pout
    return total
