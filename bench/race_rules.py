"""Racing's settings at an equal call budget, on the scripted toy with a known optimum.

Plain evaluation (every candidate on the whole validation split) against racing with its defaults
(survivors cheapest first, a candidate never better on a single example dropped), with survivors
best first-rung value first (``order="value"``) and with only significantly worse candidates
dropped (``drop="worse"``), each with the same optimizer, seeds and call budget.
``--flip`` makes the toy noisy the way real designs are: each answer flips (right <-> wrong) with
that probability, drawn from a hash of the prompt and sampling settings, so two designs are right
on different examples rather than on nested sets. ``--easy K`` makes the first K validation examples
right for every design (an easy first rung, where the incumbent leaves no room to be better). Prints how often the search returned the toy's
optimum (a greedy ``cot`` with the "careful" instruction) and how many designs it screened.
No model, no network: the scripted toy of ``tests/search_toy.py``.

    .venv/bin/python bench/race_rules.py                               # 16 seeds, flip 0.2 (~8 min)
    .venv/bin/python bench/race_rules.py --flip 0 --optimizers random,tpe,evolve --seeds 8
    .venv/bin/python bench/race_rules.py --easy 8 --arms plain,defaults            # an easy first rung
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import search_toy as toy  # noqa: E402
from test_search_race import SMALL_SPACE, search  # noqa: E402

from agentarch.llm.scripted import ScriptedModel  # noqa: E402
from agentarch.search.race import RaceConfig  # noqa: E402

ARMS = {"plain": None, "defaults": {}, "order=value": {"order": "value"}, "drop=worse": {"drop": "worse"}}
N = 120  # toy examples


def noisy(flip: float, easy: int = 0):
    """The toy's responder with each answer flipped with probability ``flip``; the numbers of the
    first ``easy`` validation examples are always answered right."""
    base = toy.responder()
    right = {ex.target for ex in toy.task(N).split(seed=0).val[:easy]}

    def respond(req):
        text = "\n".join(m.get("content") or "" for m in req.messages)
        m = toy.NUMBER.search(text)
        if m and m.group(1) in right:
            return f"Answer: {m.group(1)}"
        out = base(req)
        key = f"{text}|{req.temperature}|{req.sample}|{req.repeat}".encode()
        if int(hashlib.sha256(key).hexdigest(), 16) % 10_000 >= flip * 10_000:
            return out
        m = toy.NUMBER.search(text)
        return "Answer: 0" if out != "Answer: 0" or not m else f"Answer: {m.group(1)}"

    return respond


def is_optimum(res) -> bool:
    spec = res.best.candidate.spec if res.best else None
    return bool(spec and spec.block == "cot" and spec.params.get("instruction") == "careful"
                and spec.params.get("temperature", 0) == 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--optimizers", default="random,tpe,evolve")
    ap.add_argument("--calls", type=int, default=1000, help="call budget of every search")
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--flip", type=float, default=0.2, help="probability that an answer flips")
    ap.add_argument("--easy", type=int, default=0, help="the first K validation examples are right for every design")
    ap.add_argument("--arms", default=",".join(ARMS), help=f"evaluations to compare, among {', '.join(ARMS)}")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="race_rules_"))
    arms = {a: ARMS[a] for a in args.arms.split(",")}
    print(f"toy: {N} examples, call budget {args.calls}, {args.seeds} seeds, answer flip {args.flip}, "
          f"easy prefix {args.easy}")
    print("| optimizer | evaluation | optimum returned | designs screened / run | reached full validation / run |")
    print("|---|---|---|---|---|")
    for opt in args.optimizers.split(","):
        for arm, (name, settings) in enumerate(arms.items()):
            race = None if settings is None else RaceConfig(**settings)
            hits = screened = full = 0
            for seed in range(args.seeds):
                res = search(tmp / f"{opt}-{arm}-{seed}", optimizer=opt, seed=seed, calls=args.calls, n=N,
                             only=SMALL_SPACE, race=race, model=ScriptedModel(noisy(args.flip, args.easy)))[0]
                hits += is_optimum(res)
                raced = res.race if res.race and res.race.get("enabled") else None
                screened += raced["screened"] if raced else len(res.history)
                full += raced["reached_full"] if raced else len(res.history)
            n = args.seeds
            print(f"| {opt} | {name if settings is None else 'racing, ' + name} | {hits}/{n} | {screened / n:.1f} | {full / n:.1f} |", flush=True)


if __name__ == "__main__":
    main()
