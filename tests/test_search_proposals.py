"""Bootstrapped demos and instruction proposals (search/demos.py, search/instructions.py,
search/proposals.py) with the scripted model, a real evaluator and a real SQLite store: demos come
only from correct traces with real reasoning, proposed instructions are checked, enter the typed
space and reach the prompt, and a resumed run pays nothing again."""

from __future__ import annotations

import random
import re

import pytest

from agentarch.blocks.context import Context
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.budget import Budget
from agentarch.llm.client import stack as make_stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.demos import Failure, bootstrap, demo_from_trace, demo_sets, reasoning_problem
from agentarch.search.instructions import instruction_problem, parse_instruction, propose_instructions
from agentarch.search.proposals import EVENT, prepare_space, tries_for
from agentarch.search.space import Space, nodes
from agentarch.tasks.example import Example
from agentarch.tasks.metrics import get_metric
from agentarch.tasks.task import Task
from conftest import run
from search_toy import no_agent, no_code

QUESTION = re.compile(r"What is (\d+) plus (\d+)\?")
GOOD_INSTRUCTION = "Add the numbers one place value at a time and check the total before answering."
# What the scripted meta model proposes, in call order: an answer copied from a shown failure, a
# template, a valid instruction, a duplicate of it, another valid one.
META_REPLIES = [
    "The answer is always {target}, just say that.",
    "Instruction: <your instruction here>",
    f'New instruction: "{GOOD_INSTRUCTION}"',
    GOOD_INSTRUCTION,
    "Here is a better instruction:\n\nWrite every number down, then add them carefully digit by digit.",
]


def reply_for(a: int, b: int) -> str:
    """The scripted chain-of-thought reply, by kind (a % 6): real and right, a placeholder, no
    reasoning, the instruction echoed, real but wrong, a template."""
    s = a + b
    return [
        f"We add {a} and {b}. Adding the tens first and then the ones gives the total sum.\nAnswer: {s}",
        f"Reasoning: Not supplied for this example.\nAnswer: {s}",
        f"Answer: {s}",
        f"Let's think step by step.\nAnswer: {s}",
        f"We add {a} and {b}. Adding the tens first and then the ones gives the total sum.\nAnswer: {s + 1}",
        f"Step 1: <your reasoning here>\nStep 2: compute everything needed carefully now.\nAnswer: {s}",
    ][a % 6]


class Toy:
    """A scripted model answering chain-of-thought prompts by ``reply_for`` and instruction
    proposal prompts from ``META_REPLIES``; counts the proposal calls it answered."""

    def __init__(self):
        self.meta = 0

    def __call__(self, req) -> str:
        text = "\n".join(m.get("content") or "" for m in req.messages)
        if "Write one new piece of advice" in text:
            target = re.search(r"Correct answer: (\S+)", text).group(1)
            out = META_REPLIES[self.meta % len(META_REPLIES)].format(target=target)
            self.meta += 1
            return out
        m = QUESTION.findall(text)
        if not m:
            return "Answer: 0"
        a, b = map(int, m[-1])  # the real question comes last (after any demos)
        return reply_for(a, b)


def toy_task(n=24) -> Task:
    exs = [Example(f"q{i:02d}", f"What is {10 + i} plus {3 * i + 1}?", str(10 + i + 3 * i + 1)) for i in range(n)]
    return Task("toy_plus", "Add two numbers.", exs, metric="numeric")


def evaluator_for(store, model, budget=None, task=None):
    st = make_stack(model, store, Budget(calls=budget) if budget else None, retries=1)
    return Evaluator(task or toy_task(), st, store, run_code=no_code, run_agent=no_agent)


# ---- demos --------------------------------------------------------------------------------------
def test_bootstrap_keeps_only_correct_traces_with_real_reasoning(store):
    task = toy_task()
    ev = evaluator_for(store, ScriptedModel(Toy()), task=task)
    boot = run(bootstrap(ev, task.examples, 3, run_id="r", max_tries=12))
    kinds = {ex.input: int(QUESTION.search(ex.input).group(1)) % 6 for ex in task.examples}
    assert len(boot.demos) == 2  # only kind 0 ("real and right") among the first 12: q02 and q08
    for q, demo in boot.demos:
        a, b = map(int, QUESTION.search(q).groups())
        assert kinds[q] == 0
        assert "Adding the tens first" in demo and demo.endswith(f"Answer: {a + b}")
    assert boot.dropped == {"template reasoning": 4, "empty reasoning": 2, "reasoning repeats the prompt": 2}
    assert [kinds[f.question] for f in boot.failures] == [4, 4]  # the wrong ones, whatever their reasoning
    assert all(f.answer == str(int(f.target) + 1) for f in boot.failures)
    assert boot.tried == 12 and boot.correct == 10 and boot.complete


def test_bootstrap_stops_when_enough_demos_are_kept(store):
    task = toy_task()
    model = ScriptedModel(Toy())
    ev = evaluator_for(store, model, task=task)
    boot = run(bootstrap(ev, task.examples, 1, max_tries=24))
    assert len(boot.demos) == 1 and boot.tried == 3  # q02 is the first right one with reasoning
    assert len(model.calls) == 3


def test_demo_from_trace_cuts_and_checks_the_answer():
    metric = get_metric("numeric")
    ex = Example("e", "What is 12 plus 30?", "42")
    reasoning = "We add 12 and 30. Twelve and thirty make forty-two once the tens are added."
    demo, why = demo_from_trace(ex.input, f"{reasoning}\nAnswer: 42\nSome rambling after it.", ex, metric)
    assert why == "" and demo == f"{reasoning}\n\nAnswer: 42"
    # No answer line, but it ends on the answer: kept, with the answer line added.
    demo, why = demo_from_trace(ex.input, f"{reasoning}\nSo the total is \\boxed{{42}}.", ex, metric)
    assert why == "" and demo.endswith("Answer: 42")
    # Cut off mid-way (the token limit): the answer is not on its last line.
    _, why = demo_from_trace(ex.input, f"The total is 42 because {reasoning}\nThen we also need to", ex, metric)
    assert why == "no final answer line"
    _, why = demo_from_trace(ex.input, (reasoning + " ") * 30 + "\nAnswer: 42", ex, metric)
    assert why == "too long"


@pytest.mark.parametrize("reasoning, why", [
    ("", "empty reasoning"),
    ("   \n ", "empty reasoning"),
    ("Reasoning: Not supplied", "template reasoning"),
    ("Not provided.", "template reasoning"),
    ("<reasoning>", "template reasoning"),
    ("[Your reasoning goes here]", "template reasoning"),
    ("Show your work here: {rationale}", "template reasoning"),
    ("Let's think step by step.", "reasoning repeats the prompt"),
    ("Question: What is 12 plus 30? Let's think step by step.", "reasoning repeats the prompt"),
    ("Twelve plus thirty: the tens give forty, then two more ones.", ""),
])
def test_reasoning_problem(reasoning, why):
    prompt = "Question: What is 12 plus 30?\n\nLet's think step by step.\nShow your work, then finish with a line"
    assert reasoning_problem(reasoning, prompt) == why


def test_demo_sets_cover_every_demo_in_sets_of_one_to_three():
    demos = [(f"q{i}", f"a{i}") for i in range(8)]
    sets = demo_sets(demos)
    assert sorted({len(s) for s in sets}) == [1, 2, 3]
    assert {d[0] for s in sets for d in s} == {f"q{i}" for i in range(8)}
    assert len({str(s) for s in sets}) == len(sets)
    assert demo_sets(demos[:1]) == [[["q0", "a0"]]]
    assert demo_sets([]) == []


# ---- instructions -------------------------------------------------------------------------------
FAILS = [Failure("What is 12 plus 30?", "42", "43", "...")]


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("Be careful.", "too short"),
    ("Check every step. " * 20, "too long"),
    ("Think about <your instruction here> and answer.", "template"),
    ("The answer is always 42, so say it.", "copies an example's answer"),
    # what the embedded model proposed: its own request echoed back
    ("Write a new instruction that fits every question of this kind correctly.", "about the request, not the task"),
    ("Create a new instruction that fits every question of the task, ensuring it does not include the given "
     "questions.", "about the request, not the task"),
    ("Help it answer questions of this kind correctly, one or two sentences.", "repeats the request"),
    ("Do not answer 43 like before; add the numbers again.", "copies an example's answer"),
    ("Solve: What is 12 plus 30? Then add the numbers.", "copies a question"),
    ("Use the model to find the sum when one number is 12 and the other is 30.", "copies a question"),
    ("Let's think step by step.", "duplicate"),
    ("Add the numbers one place value at a time, then check the total.", ""),
    ("Write all 4 steps before the answer, checking each sum.", ""),  # a number no example gave
])
def test_instruction_problem(text, why):
    assert instruction_problem(text, FAILS, ["Let's think step by step."]) == why


def test_an_instruction_retelling_a_question_in_other_words_is_rejected():
    """The embedded model proposed the first before this check existed (word_problems, seed 0)."""
    mateo = Failure("Mateo buys 5 books at $5 each and one scarf for $8. Mateo pays with a $50 bill. How much "
                    "change, in dollars, does Mateo get?", "17", "25", "")
    retold = "To solve these word problems correctly, simply add the cost of 5 pencils to the cost of one scarf."
    assert instruction_problem(retold, [mateo], [], "Arithmetic word problems") == "copies a question"
    general = "Work out each amount of money separately, then combine them and check the change."
    assert instruction_problem(general, [mateo], [], "Arithmetic word problems") == ""


def test_parse_instruction_strips_labels_quotes_and_intros():
    assert parse_instruction('Instruction: "Add carefully and check."') == "Add carefully and check."
    assert parse_instruction("**New instruction:** Add carefully.\n\nExplanation: ...") == "Add carefully."
    assert parse_instruction("Here is a better instruction:\n\n1. Add the tens, then the ones.") == \
        "Add the tens, then the ones."
    assert parse_instruction("```\nCheck the units.\n```") == "Check the units."


def test_proposals_are_validated_and_grounded_in_the_failures():
    model = ScriptedModel(Toy())
    fails = [Failure(f"What is {a} plus 1?", str(a + 1), str(a + 2), "") for a in (10, 20, 30)]
    props = run(propose_instructions(Context(model=model), "Add two numbers.", fails, 2, ["Let's think step by step."]))
    assert props.kept == [GOOD_INSTRUCTION, "Write every number down, then add them carefully digit by digit."]
    assert [why for _, why in props.rejected] == ["copies an example's answer", "template", "duplicate"]
    assert props.calls == 5 == len(model.calls)
    shown = [re.findall(r"Question: (What is \d+ plus 1\?)", m.messages[0]["content"]) for m in model.calls]
    assert shown[0] == [fails[0].question, fails[1].question] and shown[1] == [fails[2].question, fails[0].question]
    assert all(m.temperature > 0 for m in model.calls)


def test_no_failures_no_proposals():
    model = ScriptedModel(Toy())
    props = run(propose_instructions(Context(model=model), "t", [], 3))
    assert props.kept == [] and props.calls == 0 and not model.calls


# ---- the typed space ----------------------------------------------------------------------------
def space_for(task=None, blocks=("cot", "direct", "fewshot", "self_consistency")):
    task = task or toy_task()
    return Space.from_registry(train=task.examples, only=list(blocks))


def test_instructions_enter_the_space_and_reach_the_prompt():
    space = space_for()
    assert sorted(space.add_instructions([GOOD_INSTRUCTION])) == ["cot", "direct"]
    assert space.blocks["cot"].params["instruction"][-1] == GOOD_INSTRUCTION
    assert space.blocks["direct"].params["instruction"] == ("", GOOD_INSTRUCTION)
    rng = random.Random(1)
    for block in ("cot", "direct"):
        reached = [space.mutate_described(DesignSpec(block=block), rng)[0] for _ in range(300)]
        spec = next(s for s in reached if s.block == block and s.params.get("instruction") == GOOD_INSTRUCTION)
        model = ScriptedModel("Answer: 42")
        run(spec.build()("What is 12 plus 30?", Context(model=model)))
        assert GOOD_INSTRUCTION in model.calls[0].messages[0]["content"]


def test_demo_sets_are_the_values_of_fewshot_demos_for_mutation_and_tpe():
    space = space_for()
    sets = demo_sets([("What is 1 plus 2?", "One plus two is three.\n\nAnswer: 3"),
                      ("What is 2 plus 2?", "Two and two make four.\n\nAnswer: 4")])
    assert space.use_demo_sets(sets)
    assert [list(map(list, s)) for s in space.blocks["fewshot"].params["demos"]] == sets
    rng = random.Random(0)
    for _ in range(30):
        spec = space.random_spec(rng)
        for _, node in nodes(spec):
            if node.block == "fewshot":
                assert node.params["demos"] in sets
    wrapped = [s for s in (space.mutate_described(DesignSpec(block="cot"), rng)[0] for _ in range(200))
               if s.block == "fewshot"]
    assert wrapped and all(s.params["demos"] in sets for s in wrapped)

    class Trial:
        def suggest_categorical(self, name, choices):
            return {"block": "fewshot", "fewshot>child": "cot", "fewshot.demos": 1}.get(name, choices[0])

    spec = space.spec_from_trial(Trial())
    assert spec.params["demos"] == sets[1]
    model = ScriptedModel("Answer: 5")
    run(spec.build()("What is 2 plus 3?", Context(model=model)))
    assert "Two and two make four." in model.calls[0].messages[0]["content"]


def test_without_fewshot_in_the_space_nothing_is_bootstrapped(store):
    model = ScriptedModel(Toy())
    space = space_for(blocks=("self_consistency", "refine", "step_back"))
    data = run(prepare_space(space, evaluator_for(store, model), store, "r", toy_task().examples,
                             demos=4, instructions=2, meta=Context(model=model)))
    assert data["demos"] == [] and data["instructions"] == [] and data["calls_sent"] == 0 and not model.calls


# ---- before the search: once per run --------------------------------------------------------------
def test_prepare_space_records_once_and_a_resumed_run_does_not_pay_again(store):
    task = toy_task()
    toy = Toy()
    model = ScriptedModel(toy)
    ev = evaluator_for(store, model, task=task)
    space = space_for(task)
    meta = Context(model=ev.stack.model)  # the instructions are paid from the search's stack
    data = run(prepare_space(space, ev, store, "run1", task.examples, demos=3, instructions=2, meta=meta,
                             meta_meter=ev.stack.meter, task_description=task.description,
                             max_tries=tries_for(3, 2)))
    # 8 tries at most (tries_for): one right trace with reasoning (q02), two wrong answers (q00, q06)
    assert [q for q, _ in data["demos"]] == [task.examples[2].input]
    assert data["tried"] == 8 and data["failures"] == 2
    assert data["instructions"] == [GOOD_INSTRUCTION,
                                    "Write every number down, then add them carefully digit by digit."]
    assert data["meta_calls"] == 5 and len(data["rejected"]) == 3
    assert data["calls_sent"] == 8 + 5 == len(model.calls) == ev.stack.meter.used.calls
    assert data["applied"]["demo_sets"] == len(demo_sets(data["demos"])) == 1
    assert sorted(data["applied"]["instruction_blocks"]) == ["cot", "direct"]
    assert [r["kind"] for r in store.events("run1")].count(EVENT) == 1

    # The same run again (a resumed process): the recorded event is replayed, no call is made.
    again_space = space_for(task)
    ev2 = evaluator_for(store, model, task=task)
    again = run(prepare_space(again_space, ev2, store, "run1", task.examples, demos=3, instructions=2,
                              meta=Context(model=ev2.stack.model)))
    assert again["replayed"] and len(model.calls) == 13 and ev2.stack.meter.used.calls == 0
    assert again_space.blocks["fewshot"].params == space.blocks["fewshot"].params
    assert again_space.blocks["cot"].params == space.blocks["cot"].params

    # Killed before the event was written: results come from the store, replies from the cache.
    ev3 = evaluator_for(store, model, task=task)
    third = run(prepare_space(space_for(task), ev3, store, "run2", task.examples, demos=3, instructions=2,
                              meta=Context(model=ev3.stack.model), meta_meter=ev3.stack.meter,
                              task_description=task.description, max_tries=tries_for(3, 2)))
    assert not third["replayed"] and third["calls_sent"] == 0 and len(model.calls) == 13
    assert third["demos"] == data["demos"] and third["instructions"] == data["instructions"]
    assert ev3.reused == 8


def test_a_budget_that_runs_out_keeps_what_was_found(store):
    task = toy_task()
    model = ScriptedModel(Toy())
    ev = evaluator_for(store, model, budget=5, task=task)
    data = run(prepare_space(space_for(task), ev, store, "r", task.examples, demos=3, instructions=2,
                             meta=Context(model=ev.stack.model), max_tries=12))
    assert not data["complete"] and data["calls_sent"] == 5 == len(model.calls)
    assert data["instructions"] == [] and [q for q, _ in data["demos"]] == [task.examples[2].input]


def test_real_replies_of_the_embedded_model_are_kept_when_right():
    """Correct chain-of-thought replies captured from the embedded model (LaTeX, \\boxed{}, no
    answer line) are real reasoning: none is taken for a template."""
    import json
    from pathlib import Path

    from agentarch.tasks.registry import load_task

    data = json.loads((Path(__file__).parent / "fixtures" / "replies_word_problems.json").read_text())
    metric = load_task("word_problems").metric
    kept = dropped = 0
    for r in data["records"]:
        ex = Example(r["id"], r["input"], r["target"])
        if r["design"] != "cot" or metric.score(r["reply"], ex) < 1:
            continue
        demo, why = demo_from_trace(ex.input, r["reply"], ex, metric)
        assert why not in ("template reasoning", "empty reasoning", "reasoning repeats the prompt"), r["reply"]
        kept, dropped = kept + bool(demo), dropped + (not demo)
    assert kept >= 3


# ---- the Python API -----------------------------------------------------------------------------
def test_api_search_finds_demos_and_instructions_before_the_search(tmp_path):
    import agentarch as aa
    from agentarch.errors import ConfigError

    toy = Toy()
    events = []
    run_ = aa.search(toy_task(60), "evolve", 200, model=aa.Model.scripted(toy), db=tmp_path / "a.db", rounds=2,
                     patience=10, val_limit=4, test_limit=2, blocks="cot,direct,fewshot", baselines="cot",
                     bootstrap_demos=2, propose_instructions=1, on_event=lambda k, d: events.append((k, d)))
    (data,) = [d for k, d in events if k == EVENT]
    assert run_.config["bootstrap_demos"] == 2 and run_.config["propose_instructions"] == 1
    train = {e.input for e in toy_task(60).split(seed=0).train}
    assert data["demos"] and all(q in train and int(QUESTION.search(q).group(1)) % 6 == 0 for q, _ in data["demos"])
    assert data["failures"] and data["instructions"] and not data["replayed"]
    assert data["calls_sent"] == data["tried"] + data["meta_calls"]
    assert sorted(data["applied"]["instruction_blocks"]) == ["cot", "direct"]
    with pytest.raises(ConfigError, match="typed-space"):
        aa.search(toy_task(), "meta", 10, model=aa.Model.scripted(toy), db=tmp_path / "b.db", bootstrap_demos=2)
    with pytest.raises(ConfigError, match="from 0 to 10"):
        aa.search(toy_task(), "evolve", 10, model=aa.Model.scripted(toy), db=tmp_path / "b.db",
                  propose_instructions=11)
