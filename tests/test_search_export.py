"""Export writes a standalone module: its imports are stdlib, pydantic and agentarch.llm only (checked
with ast, nested imports included), and it sends the same requests and gives the same answer as the
design itself, with the scripted model."""

import ast
import asyncio
import importlib.util
import random
import sys

import pytest

import search_toy as toy
from agentarch.blocks.context import Context
from agentarch.blocks.presets import baselines
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.client import stack
from agentarch.runtime.evaluator import Evaluator
from agentarch.search.base import SearchEnv
from agentarch.search.export import export_run, render_module
from agentarch.search.loop import run_search
from agentarch.search.registry import make_optimizer
from agentarch.store.db import Store

DESIGNS = [
    {"block": "cot", "params": {"instruction": "careful"}},
    {"block": "refine", "params": {"rounds": 1}, "children": [
        {"block": "fewshot", "params": {"demos": [["Report the number 5.", "5"]]}, "children": [{"block": "cot"}]}]},
    {"block": "self_consistency", "params": {"n": 3}},
    {"block": "debate", "params": {"agents": 2, "rounds": 2}},
    {"block": "best_of_n"},
    {"block": "dylan"},
    {"block": "plangen"},
]


def imports_of(text):
    mods = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mods.add(node.module)
    return mods


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("i", range(len(DESIGNS)))
def test_exported_module_matches_the_design(tmp_path, i):
    spec = DesignSpec.model_validate(DESIGNS[i])
    text, info = render_module(spec, metric="numeric", header="test export")
    agentarch_imports = {m for m in imports_of(text) if m.startswith("agentarch")}
    assert agentarch_imports and all(m.startswith("agentarch.llm") for m in agentarch_imports), agentarch_imports
    assert not info["fallback"]
    path = tmp_path / f"agent_{i}.py"
    path.write_text(text)
    mod = load(path, f"exported_agent_{i}")
    task = toy.task()
    for q in ("Report the number 18.", "Report the number 25."):
        m1, m2 = toy.model(), toy.model()
        want = asyncio.run(spec.build()(q, Context(model=m1, extract=task.metric.extract, run_code=toy.no_code)))
        got = asyncio.run(mod.forward(q, m2))
        assert got == want
        assert [(r.messages, r.temperature, r.max_tokens, r.sample) for r in m2.calls] == \
               [(r.messages, r.temperature, r.max_tokens, r.sample) for r in m1.calls]
        assert mod.extract(got) == task.metric.extract(want)


def test_router_export_says_it_keeps_a_blocks_import():
    _, info = render_module(DesignSpec(block="router"), metric="numeric")
    assert info["fallback"] and "router" in info["how"]


def test_export_run_writes_the_winner_with_how_it_was_found(tmp_path):
    store = Store(tmp_path / "t.db")
    task = toy.task()
    parts = task.split(seed=0)
    ev = Evaluator(task, stack(toy.model(), store), store, run_code=toy.no_code, run_agent=toy.no_agent)
    opt = make_optimizer("evolve", SearchEnv(rng=random.Random(0), train=parts.train))
    res = asyncio.run(run_search(task, opt, ev, store, "exp-run", val=parts.val, test=parts.test,
                                 baselines=baselines(["direct", "cot"]), max_rounds=12, patience=100,
                                 config={"task": task.name, "optimizer": "evolve", "metric": "numeric",
                                         "budget_calls": None, "seed": 0}))
    path, info = export_run(store, "exp-run", None, tmp_path / "my_agent.py")
    text = path.read_text()
    winner = res.report["winner"]
    assert winner == res.best.id
    doc = ast.get_docstring(ast.parse(text))
    assert "exp-run" in doc and "evolve" in doc and "validation 1.000" in doc and "test " in doc
    assert "95% CI" in doc and "held out" in doc
    assert {m for m in imports_of(text) if m.startswith("agentarch")} <= {"agentarch.llm.base", "agentarch.llm.types",
                                                                       "agentarch.llm.client"}
    mod = load(path, "exported_winner")
    spec = res.best.candidate.spec
    q = parts.test[0].input
    want = asyncio.run(spec.build()(q, Context(model=toy.model(), extract=task.metric.extract)))
    assert asyncio.run(mod.forward(q, toy.model())) == want
    assert mod.extract(want) == parts.test[0].target  # the winner is right on the toy


def test_exported_module_keeps_the_tasks_answer_format(tmp_path):
    spec = DesignSpec.model_validate({"block": "cot"})
    text, _ = render_module(spec, metric="numeric", header="test export", answer_format="a whole number in digits")
    path = tmp_path / "agent_fmt.py"
    path.write_text(text)
    mod = load(path, "exported_agent_fmt")
    m1, m2 = toy.model(), toy.model()
    q = "Report the number 18."
    want = asyncio.run(spec.build()(q, Context(model=m1, extract=toy.task().metric.extract, run_code=toy.no_code,
                                                answer_format="a whole number in digits")))
    assert asyncio.run(mod.forward(q, m2)) == want
    assert [r.messages for r in m2.calls] == [r.messages for r in m1.calls]
    assert "a whole number in digits" in m2.calls[0].messages[-1]["content"]
