"""``agentarch search --race/--no-race --rungs --opening-share``: racing is on by default and reported
(report.json and the printed racing table), --no-race measures every design on all of validation,
--opening-share 1 lifts the opening batch's limit, and a bad --rungs value is one line naming the flag. Real CLI in a subprocess, scripted backend, real SQLite."""

import json
import os
import subprocess
import sys

import pytest

import search_toy as toy

BASE = ["search", "--task", "toy.jsonl", "--metric", "numeric", "--model", "scripted:rules.json",
        "--optimizer", "random", "--rounds", "2", "--patience", "100", "--test-limit", "4", "--db", "t.db",
        "--out", "runs", "--blocks", "cot,refine,self_consistency"]


@pytest.fixture
def folder(tmp_path):
    with open(tmp_path / "toy.jsonl", "w") as f:
        for ex in toy.task(80).examples:
            f.write(json.dumps({"question": ex.input, "answer": ex.target}) + "\n")
    (tmp_path / "rules.json").write_text(json.dumps({"rules": toy.RULES}))
    return tmp_path


def cli(folder, *args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "agentarch.cli.main", *BASE, *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def report(folder):
    return json.loads(next((folder / "runs").glob("*/report.json")).read_text())


def test_racing_is_on_by_default_and_reported(folder):
    proc = cli(folder, "--rungs", "6,12")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    racing = report(folder)["racing"]
    assert racing["enabled"] and racing["rungs"] == [6, 12] and racing["val"] == 24
    assert racing["screened"] == len(racing["designs"]) > racing["reached_full"] >= 1
    assert racing["calls_full"] + racing["calls_stopped"] == sum(d["calls_sent"] for d in racing["designs"])
    assert {d["origin"] for d in racing["designs"]} >= {"baseline", "coverage", "random"}
    assert f"racing: {racing['screened']} designs screened" in proc.stdout
    assert f"{racing['reached_full']} reached full validation" in proc.stdout
    assert "dropped at 6/24" in proc.stderr  # the progress lines say where a design stopped
    assert racing["opening_share"] == 0.5 and "held" in racing


def test_opening_share_one_means_no_limit_and_a_bad_one_is_one_line(folder):
    proc = cli(folder, "--opening-share", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    racing = report(folder)["racing"]
    assert "opening_share" not in racing and racing["held"] == 0
    bad = cli(folder, "--opening-share", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--opening-share" in bad.stderr


def test_no_race_measures_every_design_on_all_of_validation(folder):
    proc = cli(folder, "--no-race")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rep = report(folder)
    assert rep["racing"] == {"enabled": False} and "racing:" not in proc.stdout
    assert len(rep["evaluated"]) == 3 + 2 * 2  # the baselines and rounds x batch, each fully measured
    assert all(p["n"] == 24 for p in rep["curve"])


@pytest.mark.parametrize("rungs", ["20,8", "0", "a,b"])
def test_bad_rungs_are_one_line(folder, rungs):
    proc = cli(folder, "--rungs", rungs)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--rungs" in errors[0], proc.stderr
