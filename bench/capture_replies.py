"""Capture real replies of the embedded model, as JSON fixtures for the answer-extraction tests.

Runs the baselines ``direct`` and ``cot`` through agentarch's own stack (evaluator, context,
cache, store) on a handful of word problems and on multiple-choice questions with six options
written below in the four option styles the choice metric reads. Each record keeps the
question, the target and the model's reply verbatim, so tests read what the model really wrote.

    .venv/bin/python bench/capture_replies.py                 # ~30 model calls, a few minutes
    .venv/bin/python bench/capture_replies.py --word-problems 4 --db /tmp/capture.db
    # answers already in a store (an earlier 'agentarch eval --db') are reused, not paid again:
    .venv/bin/python bench/capture_replies.py --split test --word-problems 8 --db /tmp/answers.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from agentarch.blocks.spec import parse_design
from agentarch.llm.budget import Budget
from agentarch.llm.client import build
from agentarch.runtime.evaluator import Evaluator
from agentarch.store.db import Store
from agentarch.tasks import Example, Task, load_task
from agentarch.tasks.task import limit

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
DESIGNS = ("direct", "cot")

# Six options each, in every label style: "(A) x" inline, "(A) x" one per line, "A) x", "A. x".
CHOICE6 = [
    ("Which planet is known as the Red Planet? (A) Venus (B) Jupiter (C) Mars (D) Saturn "
     "(E) Mercury (F) Neptune", "C"),
    ("Which animal is a mammal? (A) shark (B) eagle (C) frog (D) salmon (E) dolphin (F) lizard", "E"),
    ("What is 9 times 7?\n(A) 56\n(B) 63\n(C) 72\n(D) 49\n(E) 81\n(F) 64", "B"),
    ("Which color do you get by mixing blue and yellow?\nA) red\nB) purple\nC) orange\nD) brown\n"
     "E) black\nF) green", "F"),
    ("What is the boiling point of water at sea level in degrees Celsius?\nOptions:\nA. 50\n"
     "B. 90\nC. 100\nD. 120\nE. 150\nF. 212", "C"),
    ("Which of these is the largest ocean? Options: (A) Atlantic (B) Indian (C) Arctic "
     "(D) Southern (E) Mediterranean (F) Pacific", "F"),
    ("Which word is the opposite of 'ancient'?\nA. old\nB. modern\nC. large\nD. quiet\nE. early\n"
     "F. heavy", "B"),
    ("How many legs does a spider have?\n(A) four\n(B) six\n(C) ten\n(D) twelve\n(E) eight\n"
     "(F) two", "E"),
]


def choice_task() -> Task:
    examples = [Example(id=f"choice6-{i}", input=q, target=t) for i, (q, t) in enumerate(CHOICE6)]
    return Task("choice6", "six-option multiple choice written for the extraction tests",
                examples, metric="choice", origin="bench/capture_replies.py")


async def capture(task: Task, examples: list[Example], stack, store: Store) -> list[dict]:
    evaluator = Evaluator(task, stack, store)
    records = []
    for name in DESIGNS:
        by_id: dict = {}
        await evaluator.evaluate(parse_design(name), examples, split="train",
                                 on_result=lambda r: by_id.__setitem__(r.example_id, r))
        for ex in examples:
            r = by_id.get(ex.id)
            if r is None:  # the budget ran out first
                print(f"  {name} {ex.id}: no reply (budget spent)")
                continue
            records.append({"design": name, "id": ex.id, "input": ex.input, "target": ex.target,
                            "reply": r.answer})
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--word-problems", type=int, default=7, help="How many word problems.")
    ap.add_argument("--split", default="train", choices=("train", "val", "test"),
                    help="The word-problem split to take them from (the first N).")
    ap.add_argument("--db", default="/tmp/agentarch_capture.db", help="Store (cache) for the calls.")
    ap.add_argument("--out", default=str(FIXTURES))
    ap.add_argument("--budget-calls", type=int, default=None,
                    help="Hard cap on new model calls (0: only replies already in the store).")
    args = ap.parse_args()
    store = Store(args.db)
    stack = build(store=store, budget=Budget(calls=args.budget_calls))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wp = load_task("word_problems")
    jobs = {"replies_word_problems.json": (wp, limit(getattr(wp.split(), args.split), args.word_problems)),
            "replies_choice6.json": (choice_task(), choice_task().examples)}
    for filename, (task, examples) in jobs.items():
        records = asyncio.run(capture(task, examples, stack, store))
        (out / filename).write_text(json.dumps({"model": stack.id, "task": task.name,
                                                "records": records}, indent=1) + "\n")
        print(f"{filename}: {len(records)} replies from {stack.id}")
    print(f"model calls sent: {stack.meter.used.calls}")


if __name__ == "__main__":
    main()
