"""The evaluator on the scripted model: scores, intervals, traces, stored results, the budget stop,
and resuming after kill -9 with zero repeated model calls for finished examples."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

from agentarch.blocks.spec import DesignSpec
from agentarch.llm.budget import Budget
from agentarch.llm.client import stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.evaluator import Evaluator
from agentarch.store.db import Store
from agentarch.tasks.registry import load_task


def answer_from_question(req):
    """Answers correctly only when asked to think step by step; otherwise says 0."""
    text = req.messages[-1]["content"]
    return "Some work.\nAnswer: 42" if "step by step" in text else "Answer: 0"


def make_task():
    from agentarch.tasks.example import Example
    from agentarch.tasks.task import Task

    return Task("toy", "toy", [Example(f"e{i}", f"question {i}", "42") for i in range(12)], metric="numeric")


def test_cot_beats_direct_and_results_are_stored(store):
    task = make_task()
    st = stack(ScriptedModel(answer_from_question), store)
    ev = Evaluator(task, st, store, concurrency=4)
    cot = asyncio.run(ev.evaluate(DesignSpec(block="cot"), task.examples, run_id="r1"))
    direct = asyncio.run(ev.evaluate(DesignSpec(block="direct"), task.examples, run_id="r1"))
    assert (cot.accuracy.mean, direct.accuracy.mean) == (1.0, 0.0)
    assert cot.n == 12 and cot.calls == 1.0 and cot.complete
    rows = store.results("toy", st.id, DesignSpec(block="cot").id)
    assert len(rows) == 12 and all(r["score"] == 1.0 and r["extracted"] == "42" for r in rows.values())
    assert '"step by step' in rows["e0"]["trace"] or "step by step" in rows["e0"]["trace"]
    assert len(store.run_designs("r1")) == 2


def test_a_rerun_reuses_stored_results_without_calls(store):
    task = make_task()
    model = ScriptedModel(answer_from_question)
    ev = Evaluator(task, stack(model, store), store)
    asyncio.run(ev.evaluate(DesignSpec(block="self_consistency", params={"n": 3}), task.examples))
    sent = len(model.calls)
    again = asyncio.run(ev.evaluate(DesignSpec(block="self_consistency", params={"n": 3}), task.examples))
    assert len(model.calls) == sent and again.accuracy.mean == 1.0


def test_budget_stops_the_evaluation_with_a_partial_summary(store):
    task = make_task()
    model = ScriptedModel(answer_from_question)
    ev = Evaluator(task, stack(model, store, Budget(calls=5)), store, concurrency=2)
    s = asyncio.run(ev.evaluate(DesignSpec(block="cot"), task.examples))
    assert not s.complete and s.n == 5 and len(model.calls) == 5


def test_a_crashing_design_scores_zero_and_keeps_the_error(store):
    from agentarch.blocks.base import Block
    from agentarch.blocks.registry import BLOCKS, register

    @register
    class Crash(Block):
        name = "test_crash"

        async def forward(self, question, ctx):
            raise ValueError("boom")

    try:
        task = make_task()
        ev = Evaluator(task, stack(ScriptedModel("x"), store), store)
        s = asyncio.run(ev.evaluate(DesignSpec(block="test_crash"), task.examples[:3]))
        assert s.errors == 3 and s.accuracy.mean == 0.0
    finally:
        BLOCKS.pop("test_crash")  # keep the registry (and so the search space) as shipped


WORKER = textwrap.dedent("""
    import asyncio, json, sys
    from agentarch.blocks.spec import DesignSpec
    from agentarch.llm.client import stack
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.runtime.evaluator import Evaluator
    from agentarch.store.db import Store
    from agentarch.tasks.registry import load_task

    calls_log = open(sys.argv[2], "a")

    def respond(req):
        calls_log.write(req.messages[-1]["content"].split("Question: ")[1].split("\\n")[0] + "\\n")
        calls_log.flush()
        return "Answer: 7"

    task = load_task("word_problems")
    examples = task.split().test[:16]
    store = Store(sys.argv[1])
    ev = Evaluator(task, stack(ScriptedModel(respond, delay=0.15), store), store, concurrency=2)

    def done(r):
        print("done", r.example_id, flush=True)

    spec = DesignSpec(block="self_consistency", params={"n": 2})
    s = asyncio.run(ev.evaluate(spec, examples, on_result=done))
    print("complete", s.complete, s.n, flush=True)
""")


def test_resume_after_kill_9_makes_no_calls_for_finished_examples(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    db, log1, log2 = tmp_path / "r.db", tmp_path / "calls1.txt", tmp_path / "calls2.txt"
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(log1)], stdout=subprocess.PIPE, text=True)
    finished = []
    for line in proc.stdout:
        if line.startswith("done"):
            finished.append(line.split()[1])
        if len(finished) == 5:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = Store(db).count_results()
    assert stored >= 5

    out = subprocess.run([sys.executable, str(script), str(db), str(log2)], capture_output=True, text=True, timeout=120)
    assert "complete True 16" in out.stdout
    task = load_task("word_problems")
    finished_questions = {task.get(e).input for e in finished}
    second_calls = log2.read_text().splitlines()
    assert second_calls, "the rerun had unfinished examples to do"
    assert not finished_questions & set(second_calls)
    # The rerun made only the calls that the first run had not made yet (cache included).
    assert len(set(log1.read_text().splitlines()) & set(second_calls)) <= 2  # examples in flight at the kill


def test_prompts_carry_the_answer_format_from_training_targets_and_it_is_part_of_the_identity(store):
    task = make_task()  # numeric targets "42": the hint is a whole number in digits
    model = ScriptedModel(answer_from_question)
    ev = Evaluator(task, stack(model, store), store)
    assert ev.answer_format == task.answer_format(task.split().train) and ev.answer_format
    asyncio.run(ev.evaluate(DesignSpec(block="cot"), task.examples[:2]))
    assert all(ev.answer_format in req.messages[-1]["content"] for req in model.calls)
    plain = Evaluator(task, stack(model, store), store, answer_format="")
    design = DesignSpec(block="cot")
    assert plain.result_keys(design, task.examples[:1]) != ev.result_keys(design, task.examples[:1])
    sent = len(model.calls)
    asyncio.run(plain.evaluate(design, task.examples[:2]))
    assert len(model.calls) == sent + 2  # other prompts: measured, not read back from the store
    assert not any(ev.answer_format in req.messages[-1]["content"] for req in model.calls[sent:])


def test_stored_answers_are_read_with_the_examples_own_extractor(store):
    """A numeric answer line that repeats a number from the question is read as the new number."""
    from agentarch.tasks.example import Example
    from agentarch.tasks.task import Task

    task = Task("toy2", "toy2", [Example("e0", "Tom has 3 boxes of 4 pens. How many pens?", "12")],
                metric="numeric")
    st = stack(ScriptedModel(lambda req: "Answer: 3 boxes of 4 pens make 12"), store)
    ev = Evaluator(task, st, store)
    summary = asyncio.run(ev.evaluate(DesignSpec(block="direct"), task.examples))
    row = ev.stored_results(DesignSpec(block="direct"), task.examples)["e0"]
    assert summary.accuracy.mean == 1.0 and row["extracted"] == "12"
