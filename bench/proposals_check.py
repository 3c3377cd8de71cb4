"""Bootstrapped demos and proposed instructions on the embedded model, outside a search: how many
demos and instructions are kept, a few of them, why the others were dropped, and the calls sent.

    .venv/bin/python bench/proposals_check.py --task word_problems --tries 8 --demos 8 --instructions 3

Writes everything to --db (a rerun replays it for free) and prints one JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


async def main(args) -> dict:
    from agentarch.blocks.context import Context
    from agentarch.llm.client import build
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.search.proposals import prepare_space
    from agentarch.search.space import Space
    from agentarch.store.db import Store
    from agentarch.tasks.registry import load_task

    task = load_task(args.task)
    train = task.split(seed=args.seed).train
    store = Store(args.db)
    stack = build(args.model, store=store, parallel=args.parallel)
    evaluator = Evaluator(task, stack, store, concurrency=args.parallel * 2)
    space = Space.from_registry(train=train, only=["cot", "direct", "fewshot", "self_consistency"])
    t0 = time.perf_counter()
    try:
        data = await prepare_space(space, evaluator, store, args.run_id, train, demos=args.demos,
                                   instructions=args.instructions, meta=Context(model=stack.model, max_tokens=256),
                                   meta_meter=stack.meter, task_description=task.description,
                                   max_tries=args.tries)
    finally:
        await stack.aclose()
    data["seconds"] = round(time.perf_counter() - t0, 1)
    data["cot_values"] = list(space.blocks["cot"].params["instruction"])
    return data


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="word_problems")
    p.add_argument("--model", default="qwen2.5-coder-0.5b")
    p.add_argument("--tries", type=int, default=8, help="training examples cot runs on")
    p.add_argument("--demos", type=int, default=8)
    p.add_argument("--instructions", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--db", default="runs/proposals_check.db")
    p.add_argument("--run-id", default="proposals-check")
    print(json.dumps(asyncio.run(main(p.parse_args())), indent=1))
