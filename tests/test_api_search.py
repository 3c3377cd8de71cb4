"""``aa.search`` on the toy task (scripted model, real SQLite file): the result carries the best design
and the report, the optimizers' typed options are set from the API and from ``agentarch search
--option KEY=VALUE`` with one-line errors, ``--blocks`` restricts mcts, and the command line runs the
very search the API runs (same run id, resumed from the same store)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import agentarch as aa
import search_toy as toy
from agentarch.errors import ConfigError
from agentarch.search.registry import OPTIMIZERS, optimizer_class

AGENTARCH = [sys.executable, "-m", "agentarch.cli.main"]


def toy_model():
    return aa.Model.scripted(toy.responder())


def block_names(spec) -> set[str]:
    d = spec if isinstance(spec, dict) else spec.to_dict()
    return {d["block"]} | {b for c in d.get("children", []) for b in block_names(c)}


def test_search_returns_the_best_design_and_the_report(tmp_path):
    db = tmp_path / "s.db"
    run = aa.search(toy.task(), "evolve", 400, model=toy_model(), db=db, rounds=3, patience=10,
                    val_limit=8, test_limit=6, optimizer_options={"batch": 1, "init_random": 1})
    assert run.best is not None and run.best.id == run.result.best.id
    assert run.report["best"]["design"] == run.best.id
    evaluated = run.to_records()
    assert len(evaluated) >= 4 and {r["design"] for r in evaluated} >= {aa.design("cot").id}
    assert run.report["promotion"]["designs"], "the best designs were measured on test"
    assert run.winner is not None and run.winner.id == run.report["promotion"]["winner"]
    assert run.config["options"] == {"init_random": 1} and run.config["batch"] == 1
    stored = aa.load_run(run.run_id, db=db)
    assert stored.kind == "search" and stored.status == "done" and stored.best == run.best
    assert stored.report["winner"] == run.report["promotion"]["winner"]
    # rounds 3 x batch 1 after the 3 baselines (and racing's one design per block family): the
    # options reached the optimizer
    assert sum(1 for r in evaluated if r["origin"] not in ("baseline", "coverage")) <= 3


def test_every_optimizer_has_typed_options_whose_defaults_are_its_plain_data():
    import importlib

    for name, path in OPTIMIZERS.items():
        cls = optimizer_class(name)
        module = importlib.import_module(path.split(":")[0])
        defaults = cls.Options().model_dump()
        assert defaults, name
        for key, value in defaults.items():
            assert module.DEFAULTS[key] == value, (name, key)


@pytest.mark.parametrize("options, message", [
    ({"lamda": 0.3}, r"mcts search: unknown option\(s\) lamda; known: start, per_round, top_k, lam"),
    ({"lam": 3}, r"mcts search: option 'lam': Input should be less than or equal to 1 \(got 3\)"),
    ({"blocks": "cot,nope"}, r"mcts search: option 'blocks': .*unknown block\(s\) nope"),
    ({"per_round": "two"}, r"mcts search: option 'per_round': Input should be a valid integer"),
])
def test_bad_optimizer_options_fail_before_any_model_call(tmp_path, options, message):
    model = toy_model()
    with pytest.raises(ConfigError, match=message):
        aa.search(toy.task(), "mcts", model=model, db=tmp_path / "o.db", optimizer_options=options)
    assert model.calls == []


def test_meta_options_are_settable(tmp_path):
    with pytest.raises(ConfigError, match="meta search: option 'temperature': Input should be greater than 0"):
        aa.search(toy.task(), "meta", model=toy_model(), db=tmp_path / "m.db", optimizer_options={"temperature": 0})
    from agentarch.api.search import plan_search

    plan = plan_search(toy.task(), "meta", model=toy_model(), db=tmp_path / "m.db",
                       optimizer_options={"reflections": 0, "debug_tries": 1, "archive_shown": 2})
    assert (plan.optimizer.opts["reflections"], plan.optimizer.opts["debug_tries"]) == (0, 1)
    assert plan.config["options"] == {"reflections": 0, "debug_tries": 1, "archive_shown": 2}
    asyncio_run_close(plan)


def asyncio_run_close(plan):
    import asyncio

    asyncio.run(plan.aclose())
    plan.store.close()


def test_blocks_restrict_mcts_edits(tmp_path):
    allowed = {"cot", "direct", "self_consistency", "refine"}
    run = aa.search(toy.task(), "mcts", 300, model=toy_model(), db=tmp_path / "b.db", rounds=4, patience=10,
                    val_limit=6, test_limit=4, baselines="cot", blocks=sorted(allowed),
                    optimizer_options={"menu_size": 4})
    found = [r for r in run.result.history if r.candidate.origin == "mcts"]
    assert len(found) >= 2
    for s in found:
        assert block_names(s.candidate.spec) <= allowed, s.candidate.spec.label()
    assert run.config["blocks"] == sorted(allowed)


def write_cli_inputs(folder):
    with open(folder / "toy.jsonl", "w") as f:
        for ex in toy.task().examples:
            f.write(json.dumps({"question": ex.input, "answer": ex.target}) + "\n")
    rules = folder / "rules.json"
    rules.write_text(json.dumps({"rules": toy.RULES}))
    return rules


def cli(folder, *args):
    """The real command in ``folder``, importing this checkout's agentarch (not an installed one)."""
    import os
    from pathlib import Path

    src = str(Path(aa.__file__).resolve().parents[1])
    return subprocess.run([*AGENTARCH, *args], cwd=folder, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", "PYTHONPATH": src})


def test_cli_option_flag_feeds_the_typed_options(tmp_path):
    write_cli_inputs(tmp_path)
    base = ["search", "--task", "toy.jsonl", "--metric", "numeric", "--model", "scripted:rules.json",
            "--optimizer", "mcts", "--db", "t.db", "--out", "runs"]
    bad = cli(tmp_path, *base, "--option", "lam=3")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert [line for line in bad.stderr.splitlines() if line.startswith("error:")] == [
        "error: mcts search: option 'lam': Input should be less than or equal to 1 (got 3)"]
    nokey = cli(tmp_path, *base, "--option", "top_k")
    assert nokey.returncode == 2 and "error: --option 'top_k': write KEY=VALUE" in nokey.stderr
    ok = cli(tmp_path, *base, "--option", "top_k=2", "--option", "menu_size=3", "--blocks", "cot,self_consistency",
             "--rounds", "3", "--val-limit", "6", "--test-limit", "4", "--baselines", "cot")
    assert ok.returncode == 0, ok.stderr
    [folder] = list((tmp_path / "runs").iterdir())
    report = json.loads((folder / "report.json").read_text())
    assert report["config"]["options"] == {"top_k": 2, "menu_size": 3, "blocks": ["cot", "self_consistency"]}
    assert report["config"]["blocks"] == ["cot", "self_consistency"]
    mcts = {d["design"] for d in report["evaluated"] if d["origin"] == "mcts"}
    specs = {d["design"]: d["spec"] for d in aa.load_run(report["run_id"], db=tmp_path / "t.db").designs}
    assert mcts and all(block_names(specs[i]) <= {"cot", "self_consistency"} for i in mcts)


def test_the_cli_runs_the_search_the_api_runs(tmp_path):
    rules = write_cli_inputs(tmp_path)
    task = aa.load_task(str(tmp_path / "toy.jsonl"), metric="numeric")
    run = aa.search(task, "evolve", 200, model=aa.Model.scripted(str(rules)), db=tmp_path / "t.db",
                    rounds=2, val_limit=6, test_limit=4)
    proc = cli(tmp_path, "search", "--task", str(tmp_path / "toy.jsonl"), "--metric", "numeric",
               "--model", "scripted:rules.json", "--budget-calls", "200", "--rounds", "2", "--val-limit", "6",
               "--test-limit", "4", "--db", "t.db", "--out", "runs")
    assert proc.returncode == 0, proc.stderr
    assert f"run {run.run_id} (resuming)" in proc.stderr
    assert "0 computed" in proc.stdout  # every result came from the API's run
