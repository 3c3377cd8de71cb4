"""The public Python API (``import agentarch as aa``): the pinned list of names, a light import, designs
composed as Python objects, ``aa.evaluate`` on the scripted model against a real SQLite file (the same
run as ``agentarch eval``), ``aa.load_run``, the async twin and the optional-dependency hints."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

import agentarch as aa
from agentarch.errors import ConfigError, MissingExtra

PINNED = ["AgentArchError", "Block", "Budget", "BudgetExceeded", "Context", "DesignSpec", "EvalResult", "Example",
          "Model", "Params", "RunRecord", "SearchRun", "Task", "__version__", "aevaluate", "asearch", "blocks",
          "configure", "design", "evaluate", "load_run", "load_task", "register", "search", "serve"]


def toy_task(n=12):
    return aa.Task("toy_sums", "Add the two numbers.",
                   [aa.Example(f"q{i}", f"What is {i} + {i + 1}?", str(2 * i + 1)) for i in range(n)],
                   metric="numeric")


def adder(req):
    """Right on even first numbers only, so scores vary: 'What is i + j?' -> i + j when i is even."""
    import re

    text = req.messages[-1]["content"]
    m = re.search(r"What is (\d+) \+ (\d+)\?", text)
    if not m:
        return "Answer: 0"
    a, b = int(m.group(1)), int(m.group(2))
    return f"Answer: {a + b if a % 2 == 0 else 0}"


def test_all_names_are_pinned_and_resolve():
    assert sorted(aa.__all__) == sorted(PINNED)
    for name in aa.__all__:
        assert getattr(aa, name) is not None, name
    assert callable(aa.serve) and callable(aa.evaluate) and callable(aa.asearch)
    with pytest.raises(AttributeError):
        aa.no_such_name  # noqa: B018


def test_importing_agentarch_loads_no_api_module():
    code = ("import sys, agentarch; heavy = [m for m in sys.modules if m.startswith(('agentarch.api', "
            "'agentarch.blocks', 'agentarch.llm', 'pydantic', 'numpy'))]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_blocks_composed_in_python_have_the_id_of_the_json():
    obj = aa.blocks.SelfConsistency(n=5, child=aa.blocks.CoT())
    from_json = aa.design('{"block": "self_consistency", "params": {"n": 5}, "children": [{"block": "cot"}]}')
    assert aa.design(obj) == aa.DesignSpec.from_block(obj)
    assert aa.design(obj).id == from_json.id
    assert aa.design("self_consistency", n=5, child="cot").id == from_json.id
    assert aa.design({"block": "self_consistency", "params": {"n": 5}}).id == from_json.id
    # a non-default child and parameter are kept, and change the id
    varied = aa.design(aa.blocks.SelfConsistency(n=5, child=aa.blocks.CoT(instruction="careful")))
    assert varied.to_dict() == {"block": "self_consistency", "params": {"n": 5},
                                "children": [{"block": "cot", "params": {"instruction": "careful"}}]}
    assert varied.id != from_json.id
    assert aa.blocks.ChainOfThought is aa.blocks.CoT


def test_design_mistakes_are_one_line_errors():
    with pytest.raises(ConfigError, match="parameter 'n'"):
        aa.design("self_consistency", n="many")
    with pytest.raises(ConfigError, match="unknown block 'cott'.*'cot'"):
        aa.design("cott")
    with pytest.raises(ConfigError, match="expected a block"):
        aa.design(3.5)
    with pytest.raises(ValueError, match="temperature"):
        aa.blocks.CoT(temperature="hot")


def test_a_user_block_registers_and_evaluates(tmp_path, monkeypatch):
    from agentarch.blocks import registry

    monkeypatch.setattr(registry, "BLOCKS", dict(registry.BLOCKS))  # the block leaves with the test

    class Shout(aa.Block):
        name = "test_shout"
        summary = "Answer in capitals."

        class Params(aa.Params):
            suffix: str = "!"

        async def forward(self, question, ctx):
            return (await ctx.ask(question, block=self.name)).upper() + self.params.suffix

    aa.register(Shout)
    aa.register(Shout)  # registering the same class again is fine
    model = aa.Model.scripted("answer: 7")
    res = aa.evaluate(Shout(suffix="?"), toy_task(4), model=model, db=tmp_path / "u.db", split="train")
    assert res.design.to_dict() == {"block": "test_shout", "params": {"suffix": "?"}}
    assert all(r.answer == "ANSWER: 7?" for r in res.results)


def test_evaluate_scores_intervals_traces_and_a_rerun_reuses(tmp_path):
    db = tmp_path / "e.db"
    model = aa.Model.scripted(adder)
    res = aa.evaluate("cot", toy_task(), model=model, db=db, split="test", limit=6)
    assert len(res.results) == 6 == res.summary.n and res.complete
    expected = [1.0 if int(r.example_id[1:]) % 2 == 0 else 0.0 for r in res.results]
    assert [r.score for r in res.results] == expected
    assert res.score == pytest.approx(sum(expected) / 6)
    assert res.interval.low <= res.score <= res.interval.high
    assert set(res.traces) == {r.example_id for r in res.results}
    assert all(len(t) == 1 and t[0]["block"] == "cot" for t in res.traces.values())
    assert len(model.calls) == 6
    again = aa.evaluate(aa.blocks.CoT(), toy_task(), model=model, db=db, split="test", limit=6)
    assert again.run_id == res.run_id and again.scores == res.scores
    assert all(r.reused for r in again.results) and len(model.calls) == 6  # nothing sent again
    assert again.traces == res.traces  # traces come back from the store
    run = aa.load_run(res.run_id[:6], db=db)
    assert run.kind == "eval" and run.status == "done" and run.config["split"] == "test"
    [row] = run.to_records()
    assert row["design"] == res.design.id and row["accuracy"] == pytest.approx(res.score)


def test_evaluate_is_the_same_run_as_the_cli_eval(tmp_path):
    data = tmp_path / "sums.jsonl"
    data.write_text("".join(json.dumps({"question": f"What is {i} + {i + 1}?", "answer": str(2 * i + 1)}) + "\n"
                            for i in range(10)))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [[r"What is (\d*[02468]) \+", "Answer: 0"], [".", "Answer: 3"]]}))
    db = tmp_path / "shared.db"
    res = aa.evaluate("cot", aa.load_task(str(data), metric="numeric"), model=aa.Model.scripted(str(rules)),
                      db=db, limit=4)
    out = tmp_path / "cli.json"
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "eval", "--task", str(data), "--metric",
                           "numeric", "--design", "cot", "--limit", "4", "--model", f"scripted:{rules}",
                           "--db", str(db), "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(out.read_text())
    assert cli["run"] == res.run_id
    assert cli["results"][0]["accuracy"]["mean"] == pytest.approx(res.score)
    assert "4 reused from the store, 0 computed" in proc.stdout


def test_async_twin_and_the_sync_facade_inside_a_running_loop(tmp_path):
    model = aa.Model.scripted(adder)

    async def main():
        direct = await aa.aevaluate("direct", toy_task(), model=model, db=tmp_path / "a.db", limit=3)
        nested = aa.evaluate("direct", toy_task(), model=model, db=tmp_path / "a.db", limit=3)  # in a loop
        return direct, nested

    direct, nested = asyncio.run(main())
    assert direct.run_id == nested.run_id and direct.scores == nested.scores


def test_configure_sets_the_default_model_and_store(tmp_path):
    from agentarch.api.settings import settings

    before = (settings.model, settings.db)
    try:
        aa.configure(model=aa.Model.scripted("Answer: 1"), db=str(tmp_path / "c.db"))
        res = aa.evaluate("direct", toy_task(), limit=2)
        assert res.model == "scripted:scripted" and (tmp_path / "c.db").exists()
        assert aa.load_run(res.run_id).id == res.run_id
    finally:
        settings.model, settings.db = before


def test_api_mistakes_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="split must be train, val or test"):
        aa.evaluate("cot", toy_task(), model=aa.Model.scripted(""), split="dev", db=tmp_path / "x.db")
    with pytest.raises(ConfigError, match="budget: 'calls'"):
        aa.evaluate("cot", toy_task(), model=aa.Model.scripted(""), budget={"calls": "lots"}, db=tmp_path / "x.db")
    with pytest.raises(ConfigError, match="no such store"):
        aa.load_run("abc", db=tmp_path / "missing.db")
    with pytest.raises(ConfigError, match="no run 'nope'"):
        aa.load_run("nope", db=tmp_path / "x.db")
    with pytest.raises(ConfigError, match="Model.openai: give the server's base_url"):
        aa.Model.openai("m", "")
    with pytest.raises(ConfigError, match="model must be an aa.Model"):
        aa.evaluate("cot", toy_task(), model=42, db=tmp_path / "x.db")


def test_the_budget_stops_an_evaluation_and_says_so(tmp_path):
    res = aa.evaluate("cot", toy_task(), model=aa.Model.scripted(adder), db=tmp_path / "b.db", budget=3)
    assert not res.complete and res.summary.n == 3
    assert "partial" in str(res)
    assert aa.load_run(res.run_id, db=tmp_path / "b.db").status == "stopped"


def test_to_pandas_without_pandas_says_how_to_install(tmp_path, monkeypatch):
    res = aa.evaluate("direct", toy_task(), model=aa.Model.scripted(adder), db=tmp_path / "p.db", limit=3)
    records = res.to_records()
    assert [r["example_id"] for r in records] == [r.example_id for r in res.results]
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'agentarch\[pandas\]'"):
        res.to_pandas()


def test_to_pandas_with_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    res = aa.evaluate("direct", toy_task(), model=aa.Model.scripted(adder), db=tmp_path / "p.db", limit=3)
    frame = res.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame["score"]) == [r.score for r in res.results]


def test_serve_hook_gives_the_server_or_says_what_is_missing(monkeypatch):
    import importlib

    from agentarch.api import serving

    real_import = importlib.import_module

    def missing(name, *a, **k):
        if name == "agentarch.serve":
            raise ModuleNotFoundError("No module named 'agentarch.serve'", name="agentarch.serve")
        return real_import(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(MissingExtra, match="not available in this build"):
        aa.serve("cot")

    def no_fastapi(name, *a, **k):
        if name == "agentarch.serve":
            raise ModuleNotFoundError("No module named 'fastapi'", name="fastapi")
        return real_import(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", no_fastapi)
    with pytest.raises(MissingExtra, match=r"needs 'fastapi'.*pip install 'agentarch\[serve\]'"):
        serving.load_serve()
