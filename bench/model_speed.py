"""Prompt and generation speed of each embedded model preset on this machine: the figures behind
``llm/relative_prices.py`` (a bigger model's token costs the default model's speed over its own).

One slot, the runtime's thread count, greedy; a fresh prompt each round (no prompt cache reuse);
llama.cpp's own timings (prompt tokens/s, generated tokens/s), the median of ``--rounds``.
Only presets already fetched are measured unless ``--fetch`` is given (the 1.5B is 1.1 GB).

    .venv/bin/python bench/model_speed.py --models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b --rounds 3
"""

from __future__ import annotations

import argparse
import statistics

import xllamacpp

from agentarch.llm.local import SETTINGS
from agentarch.llm.weights import PRESETS, cache_dir, ensure_model

PROMPT = ("Here are some facts. " + " ".join(f"Item {i} costs {i * 3 % 17} dollars and weighs {i % 5} kilos."
                                             for i in range(30)) + " Question {r}: which items are cheapest? Explain.")


def speeds(name: str, rounds: int, max_tokens: int) -> tuple[float, float]:
    p = xllamacpp.CommonParams()
    p.model.path = str(ensure_model(name))
    p.n_parallel, p.n_ctx = 1, 4096
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = SETTINGS["threads"]
    p.verbosity, p.warmup = -1, False
    server = xllamacpp.Server(p)
    prompt_tps, gen_tps = [], []
    for r in range(rounds):
        out = server.handle_chat_completions({"messages": [{"role": "user", "content": PROMPT.format(r=r)}],
                                              "temperature": 0.0, "max_tokens": max_tokens, "seed": 1,
                                              "cache_prompt": False})
        t = out["timings"]
        prompt_tps.append(t["prompt_per_second"])
        gen_tps.append(t["predicted_per_second"])
    return statistics.median(prompt_tps), statistics.median(gen_tps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(PRESETS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--fetch", action="store_true", help="fetch presets not yet in the cache")
    args = ap.parse_args()
    for name in args.models.split(","):
        if not args.fetch and not (cache_dir() / PRESETS[name].filename).exists():
            print(f"{name}: not fetched, skipped (use --fetch)")
            continue
        pin, pout = speeds(name, args.rounds, args.max_tokens)
        print(f"{name}: prompt {pin:.0f} tok/s, generated {pout:.0f} tok/s")


if __name__ == "__main__":
    main()
