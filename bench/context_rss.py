"""Resident memory of the embedded model at several context sizes per slot, to choose
``llm.local.SETTINGS["n_ctx_per_slot"]``: one fresh process per setting, RSS after loading and
after every slot has decoded a prompt of ``--words`` words (llama.cpp allocates and clears the
whole KV cache when it loads, so the second number shows what decoding adds).

    .venv/bin/python bench/context_rss.py --ctx 2048,4096,8192 --parallel 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from concurrent.futures import ThreadPoolExecutor
from agentarch.llm.local import LocalModel
from agentarch.llm.weights import ensure_model

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

ctx, parallel = int(sys.argv[1]), int(sys.argv[2])
before = rss_mb()
t0 = time.perf_counter()
m = LocalModel(ensure_model("qwen2.5-coder-0.5b"), parallel=parallel, n_ctx_per_slot=ctx)
loaded, load_s = rss_mb(), time.perf_counter() - t0
words = int(sys.argv[3]) if len(sys.argv) > 3 else 200  # prompt length in words (about tokens)
body = {"messages": [{"role": "user", "content": "Summarise: " + "river " * words}], "max_tokens": 4,
        "temperature": 0.0}
t0 = time.perf_counter()
with ThreadPoolExecutor(parallel) as pool:
    replies = list(pool.map(lambda _: m._call(dict(body)), range(parallel)))
used = rss_mb()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"ctx_per_slot": ctx, "parallel": parallel, "rss_start_mb": round(before),
                  "rss_loaded_mb": round(loaded), "rss_after_decode_mb": round(used), "peak_mb": round(peak),
                  "load_s": round(load_s, 1), "decode_s": round(time.perf_counter() - t0, 1),
                  "prompt_tokens": (replies[0].get("usage") or {}).get("prompt_tokens"),
                  "errors": [r["error"] for r in replies if "error" in r]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ctx", default="2048,4096,8192")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--words", type=int, default=200, help="Prompt length in words (about as many tokens).")
    args = ap.parse_args()
    for ctx in (int(c) for c in args.ctx.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, str(ctx), str(args.parallel), str(args.words)], capture_output=True,
                             text=True, timeout=1800)
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else json.dumps({"error": out.stderr[-500:]})
        print(line, flush=True)


if __name__ == "__main__":
    main()
