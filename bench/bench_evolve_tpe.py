"""Evolution vs TPE at equal budgets on the embedded model: best test score against calls spent.

Each optimizer (and seed) searches with its own fresh store, so neither gets the other's cache
for free, under the same call budget and the same baselines. Afterwards, at a few checkpoints
(fractions of the budget), the design that was best *by validation* at that point is measured on
the test split (one shared store for test results, so a design is measured once). Prints a table
and writes a PNG of test score vs calls spent.

    .venv/bin/python bench/bench_evolve_tpe.py                       # small defaults (~minutes)
    .venv/bin/python bench/bench_evolve_tpe.py --budget-calls 1500 --val-limit 30 --test-limit 100 --seeds 3
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from agentarch.blocks.presets import baselines
from agentarch.cli.commands_search import _stack
from agentarch.llm.budget import Budget
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.base import SearchEnv
from agentarch.search.loop import run_search
from agentarch.search.plot import anytime_plot
from agentarch.search.registry import make_optimizer
from agentarch.search.space import Space
from agentarch.store.db import Store
from agentarch.tasks.registry import load_task
from agentarch.tasks.task import limit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="word_problems")
    ap.add_argument("--optimizers", default="evolve,tpe")
    ap.add_argument("--budget-calls", type=int, default=120)
    ap.add_argument("--val-limit", type=int, default=8)
    ap.add_argument("--test-limit", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--checkpoints", default="0.5,1.0", help="Fractions of the budget where test is measured.")
    ap.add_argument("--baselines", default="direct,cot")
    ap.add_argument("--blocks", default="direct,cot,self_consistency,refine,step_back,fewshot",
                    help="The typed space (comma list); empty for every block.")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--out", default="bench_evolve_tpe.png")
    a = ap.parse_args()

    task = load_task(a.task)
    parts = task.split(seed=0)
    val, test = limit(parts.val, a.val_limit), limit(parts.test, a.test_limit)
    only = [b for b in a.blocks.split(",") if b] or None
    tmp = Path(tempfile.mkdtemp(prefix="bench_evolve_tpe_"))
    test_store = Store(tmp / "test.db")
    test_stack = _stack(a.model, a.base_url, "OPENAI_API_KEY", test_store, None, a.parallel)
    test_eval = Evaluator(task, test_stack, test_store)
    fractions = [float(x) for x in a.checkpoints.split(",")]
    rows, curves = [], {}

    async def go():
        for name in a.optimizers.split(","):
            for seed in range(a.seeds):
                store = Store(tmp / f"{name}_{seed}.db")
                st = _stack(a.model, a.base_url, "OPENAI_API_KEY", store, Budget(calls=a.budget_calls), a.parallel)
                ev = Evaluator(task, st, store)
                env = SearchEnv(rng=random.Random(seed), train=parts.train,
                                options={"space": Space.from_registry(train=parts.train, only=only)})
                t0 = time.time()
                res = await run_search(task, make_optimizer(name, env), ev, store, f"{name}-{seed}", val=val,
                                       test=[], baselines=baselines(a.baselines.split(",")),
                                       max_rounds=a.rounds, patience=a.rounds)
                wall = time.time() - t0
                points = []
                for frac in fractions:
                    cap = frac * a.budget_calls
                    upto = [p for p in res.curve if p["calls"] <= cap and p["best"] is not None]
                    if not upto:
                        continue
                    # the best design by validation at this point of the search
                    best_id = max(((p["score"], -i, p["design"]) for i, p in enumerate(upto)
                                   if p["score"] is not None))[2]
                    spec = res.by_id(best_id).candidate.spec
                    summ = await test_eval.evaluate(spec, test, "test")
                    points.append((int(cap), summ.accuracy.mean))
                    rows.append((name, seed, int(cap), spec.label()[:50], res.by_id(best_id).score,
                                 summ.accuracy, res.spent["calls"], wall))
                curves[f"{name} seed {seed}"] = points
                await st.aclose()
        await test_stack.aclose()

    asyncio.run(go())
    print(f"\n{a.task}: val {len(val)}, test {len(test)}, budget {a.budget_calls} calls, space {only or 'all'}")
    print(f"{'optimizer':<9} {'seed':>4} {'calls<=':>7} {'val':>6} {'test [95% CI]':>24} {'spent':>6} {'wall s':>7}  design")
    for name, seed, cap, label, v, t, spent, wall in rows:
        print(f"{name:<9} {seed:>4} {cap:>7} {v:>6.3f} {str(t):>24} {spent:>6} {wall:>7.0f}  {label}")
    anytime_plot(curves, a.out, xlabel="model calls spent (search)", ylabel="test score of best-by-validation",
                 title=f"evolve vs tpe on {a.task} ({a.budget_calls} calls)")
    print(f"plot: {a.out}")


if __name__ == "__main__":
    sys.exit(main())
