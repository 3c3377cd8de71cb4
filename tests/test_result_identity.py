"""A stored result is reused only when everything that produced it is unchanged: the example's
content, the metric's code, the model, the design (in canonical form), its blocks' code and the
repeat index. Runs on the scripted model."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from agentarch.blocks.fingerprint import block_fingerprint, block_names, code_fingerprint
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError, DataError
from agentarch.llm.client import stack
from agentarch.llm.scripted import ScriptedModel
from agentarch.runtime.evaluator import Evaluator
from agentarch.store import identity
from agentarch.store.db import Store
from agentarch.tasks.example import Example
from agentarch.tasks.loaders import load_file
from agentarch.tasks.metrics import CodeTests, get_metric
from agentarch.tasks.task import Task


def answer_4(req) -> str:
    return "Work.\nAnswer: 4"


def make_task(targets=("4", "4.0", "5"), metric="exact") -> Task:
    return Task("toy", "toy", [Example(f"e{i}", f"question {i}", t) for i, t in enumerate(targets)], metric=metric)


def evaluate(ev: Evaluator, spec: DesignSpec, examples, **kw):
    return asyncio.run(ev.evaluate(spec, examples, **kw))


# -- canonical design ids ---------------------------------------------------------------------

def test_equivalent_designs_share_an_id():
    plain = DesignSpec(block="self_consistency")
    explicit = DesignSpec.model_validate(
        {"block": "self_consistency", "params": {"n": 5}, "children": [{"block": "cot"}]})
    assert plain.id == explicit.id
    assert plain.to_json() != explicit.to_json()  # the spec itself round-trips as written
    assert DesignSpec.model_validate_json(explicit.to_json()) == explicit
    a = DesignSpec.model_validate({"block": "self_consistency", "params": {"n": 3, "temperature": 0.9}})
    b = DesignSpec.model_validate({"block": "self_consistency", "params": {"temperature": 0.9, "n": 3}})
    assert a.id == b.id
    assert DesignSpec.model_validate({"block": "self_consistency", "params": {"n": 3}}).id != plain.id
    assert DesignSpec(block="self_consistency", children=(DesignSpec(block="direct"),)).id != plain.id
    # nested: a default child written with its default parameters is the default child
    nested = DesignSpec.model_validate({"block": "self_consistency", "children": [
        {"block": "cot", "params": {"instruction": "step_by_step"}}]})
    assert nested.id == plain.id


def test_designs_inside_parameters_are_canonical_too():
    short = DesignSpec(block="router", params={"routes": {"a": {"block": "self_consistency"}}})
    long = DesignSpec(block="router", params={"routes": {"a": {"block": "self_consistency", "params": {"n": 5}}}})
    assert short.id == long.id
    assert "cot" in block_names(short)  # the route's default child runs too


# -- code fingerprints --------------------------------------------------------------------------

def _clear_caches():
    block_fingerprint.cache_clear()
    identity._closure.cache_clear()


def test_editing_a_shared_prompt_module_changes_the_code_fingerprint(monkeypatch):
    cot = DesignSpec(block="cot")
    before = code_fingerprint(cot)
    original = identity.module_source

    def edited(name: str) -> str:
        text = original(name)
        return text.replace("Answer:", "Final answer:") if name == "agentarch.blocks.common" else text

    monkeypatch.setattr(identity, "module_source", edited)
    _clear_caches()
    try:
        assert "Answer:" in original("agentarch.blocks.common")
        assert code_fingerprint(cot) != before
        assert code_fingerprint(DesignSpec(block="direct")) != before
    finally:
        monkeypatch.undo()
        _clear_caches()
    assert code_fingerprint(cot) == before


def test_a_block_version_bump_changes_the_code_fingerprint(monkeypatch):
    from agentarch.blocks.registry import get_block

    spec, direct = DesignSpec(block="self_consistency"), DesignSpec(block="direct")
    before, direct_before = code_fingerprint(spec), code_fingerprint(direct)
    monkeypatch.setattr(get_block("cot"), "version", get_block("cot").version + 1)
    _clear_caches()
    try:
        assert code_fingerprint(spec) != before  # cot is self_consistency's default child
        assert code_fingerprint(direct) == direct_before  # a design without cot keeps its results
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_metric_fingerprints_differ_by_metric_and_settings():
    prints = {get_metric(n).fingerprint() for n in ("exact", "numeric", "f1", "choice", "code_tests")}
    assert len(prints) == 5
    assert CodeTests(timeout=3.0).fingerprint() != CodeTests().fingerprint()
    assert get_metric("exact").fingerprint() == get_metric("exact").fingerprint()


def test_example_fingerprint_covers_every_field():
    base = Example("e1", "q", "a", {"aliases": ["x"]})
    variants = [Example("e2", "q", "a", {"aliases": ["x"]}), Example("e1", "q?", "a", {"aliases": ["x"]}),
                Example("e1", "q", "b", {"aliases": ["x"]}), Example("e1", "q", "a", {"aliases": ["y"]})]
    assert len({base.fingerprint(), *[v.fingerprint() for v in variants]}) == 5
    assert Example("e1", "q", "a", {"aliases": ["x"]}).fingerprint() == base.fingerprint()


# -- the evaluator --------------------------------------------------------------------------------

def test_changing_the_metric_recomputes_instead_of_reusing(store):
    model = ScriptedModel(answer_4)
    exact = make_task(metric="exact")
    first = evaluate(Evaluator(exact, stack(model, store), store), DesignSpec(block="cot"), exact.examples)
    assert (first.reused, first.computed, first.accuracy.mean) == (0, 3, pytest.approx(1 / 3))
    numeric = make_task(metric="numeric")
    second = evaluate(Evaluator(numeric, stack(model, store), store), DesignSpec(block="cot"), numeric.examples)
    assert (second.reused, second.computed, second.accuracy.mean) == (0, 3, pytest.approx(2 / 3))


def test_an_edited_example_is_recomputed_and_the_others_reused(store):
    model = ScriptedModel(answer_4)
    task = make_task()
    ev = Evaluator(task, stack(model, store), store)
    evaluate(ev, DesignSpec(block="cot"), task.examples)
    edited = make_task(targets=("4", "4.0", "4"))
    again = evaluate(Evaluator(edited, stack(model, store), store), DesignSpec(block="cot"), edited.examples)
    assert (again.reused, again.computed) == (2, 1)
    assert again.scores == {"e0": 1.0, "e1": 0.0, "e2": 1.0}


def test_a_repeat_never_reuses_another_repeats_results(store):
    model = ScriptedModel(answer_4)
    task = make_task()
    ev = Evaluator(task, stack(model, store), store)
    spec = DesignSpec(block="cot")
    assert evaluate(ev, spec, task.examples).computed == 3
    assert (evaluate(ev, spec, task.examples).reused, ev.reused) == (3, 3)
    r1 = evaluate(ev, spec, task.examples, repeat=1)
    assert (r1.reused, r1.computed) == (0, 3)
    assert evaluate(ev, spec, task.examples, repeat=1).reused == 3
    assert (ev.reused, ev.computed) == (6, 6)
    with pytest.raises(ConfigError):
        evaluate(ev, spec, task.examples, repeat=-1)


def test_equivalent_designs_reuse_each_others_results_and_stored_results_follow_the_key(store):
    model = ScriptedModel(answer_4)
    task = make_task()
    ev = Evaluator(task, stack(model, store), store)
    evaluate(ev, DesignSpec(block="self_consistency", params={"n": 2}), task.examples)
    same = DesignSpec.model_validate({"block": "self_consistency", "params": {"n": 2}, "children": [{"block": "cot"}]})
    assert evaluate(ev, same, task.examples).reused == 3
    rows = ev.stored_results(same, task.examples)
    assert sorted(rows) == ["e0", "e1", "e2"] and rows["e0"]["extracted"] == "4"
    assert ev.stored_results(same, task.examples, repeat=1) == {}


# -- the store ------------------------------------------------------------------------------------

OLD_RESULTS = """CREATE TABLE results (task TEXT NOT NULL, model TEXT NOT NULL, design_id TEXT NOT NULL,
 example_id TEXT NOT NULL, answer TEXT NOT NULL, extracted TEXT NOT NULL, score REAL NOT NULL,
 calls INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, seconds REAL NOT NULL,
 error TEXT, trace TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL,
 PRIMARY KEY (task, model, design_id, example_id));
CREATE TABLE calls (key TEXT PRIMARY KEY, backend TEXT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL,
 text TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
 finish_reason TEXT NOT NULL, created REAL NOT NULL);"""


def test_a_store_from_the_old_schema_opens_drops_untrusted_results_and_keeps_the_call_cache(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(OLD_RESULTS)
    con.execute("INSERT INTO results VALUES ('data','scripted:scripted','abc','line1','x','x',1,1,1,1,0.1,NULL,"
                "'[]','{}',0)")
    con.execute("INSERT INTO calls VALUES ('k','scripted','scripted','{}','Answer: 4',1,1,'stop',0)")
    con.commit()
    con.close()
    store = Store(path)
    assert store.dropped_results == 1 and store.count_results() == 0 and store.count_calls() == 1
    task = make_task()
    summary = evaluate(Evaluator(task, stack(ScriptedModel(answer_4), store), store), DesignSpec(block="cot"),
                       task.examples)
    assert summary.computed == 3 and store.count_results() == 3
    store.close()
    assert Store(path).dropped_results == 0


# -- example ids from files -------------------------------------------------------------------------

def test_an_id_field_gives_the_example_ids_and_duplicates_name_both_lines(tmp_path):
    p = tmp_path / "data.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "q7", "question": "a", "answer": "b"}, {"id": 8, "question": "c", "answer": "d"}]))
    task = load_file(p)
    assert [e.id for e in task.examples] == ["q7", "8"] and task.examples[0].meta == {}
    p.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "q7", "question": "a", "answer": "b"}, {"question": "x", "answer": "y"},
        {"id": "q7", "question": "c", "answer": "d"}]))
    with pytest.raises(DataError) as exc:
        load_file(p)
    assert str(exc.value) == f"{p}:3: duplicate id 'q7' (first on line 1)"
    csv = tmp_path / "data.csv"
    csv.write_text("id,question,answer\nk1,a,b\nk2,c,d\n")
    assert [e.id for e in load_file(csv).examples] == ["k1", "k2"]
