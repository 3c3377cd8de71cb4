"""``agentarch team-optimize`` end to end through the real command line, on the scripted model:
the agent every peer rates low is the one left out of the team."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_team_optimize_drops_the_agent_its_peers_rate_lowest(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [["You are a Teacher", "Work.\nRatings: 5, 5, 1\nAnswer: 7"],
                                           [".*", "Work.\nRatings: 5, 5, 1\nAnswer: 42"]]}))
    out = tmp_path / "team.json"
    proc = subprocess.run(
        [sys.executable, "-m", "agentarch.cli.main", "team-optimize", "--task", "word_problems",
         "--roles", "Mathematician,Programmer,Teacher", "-k", "2", "-n", "3",
         "--model", f"scripted:{rules}", "--db", str(tmp_path / "t.db"), "-o", str(out)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    team = json.loads(out.read_text())
    assert team["block"] == "dylan" and team["params"]["roles"] == ["Mathematician", "Programmer"]
    scores = {line.split("│")[1].strip(): float(line.split("│")[2]) for line in proc.stdout.splitlines()
              if line.count("│") >= 3 and line.split("│")[2].strip()[:1].isdigit()}
    assert scores["Teacher"] < scores["Mathematician"] == scores["Programmer"]
    assert abs(sum(scores.values()) - 1.0) < 0.01


def test_fit_router_writes_a_design_that_eval_accepts(tmp_path):
    data = tmp_path / "mixed.jsonl"
    rows = [{"question": f"What is {i}?", "answer": "7"} for i in range(10)]
    rows += [{"question": f"With the numbers {i}, 2, 3, 4, 5 and 6 and a long story, how many in total?",
              "answer": "7"} for i in range(10)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [["step by step.*numbers|numbers.*step by step", "work\nAnswer: 7"],
                                           ["step by step", "work\nAnswer: 0"],
                                           ["numbers", "Answer: 0"], [".*", "Answer: 7"]]}))
    out, db = tmp_path / "router.json", str(tmp_path / "r.db")
    base = [sys.executable, "-m", "agentarch.cli.main"]
    common = ["--task", str(data), "--model", f"scripted:{rules}", "--db", db]
    env = {**os.environ, "COLUMNS": "160"}
    fit = subprocess.run(base + ["fit-router", *common, "--route", "direct,cot", "-n", "20", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert fit.returncode == 0, fit.stderr
    design = json.loads(out.read_text())
    assert design["block"] == "router" and set(design["params"]["rules"]["centroids"]) == {"direct", "cot"}
    ev = subprocess.run(base + ["eval", *common, "--design", str(out), "--json", str(tmp_path / "r.json")],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ev.returncode == 0, ev.stderr
    [result] = json.loads((tmp_path / "r.json").read_text())["results"]
    assert result["accuracy"]["mean"] == 1.0 and result["calls"] == 1.0


def test_eval_keeps_two_designs_whose_labels_coincide(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"question": f"What is {i}?", "answer": "7"}) + "\n" for i in range(10)))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [["step by step", "work\nAnswer: 7"], [".*", "Answer: 0"]]}))
    a = json.dumps({"block": "router", "params": {"routes": {"a": {"block": "direct"}}}})
    b = json.dumps({"block": "router", "params": {"routes": {"b": {"block": "cot"}}}})
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "agentarch.cli.main", "eval", "--task", str(data), "-d", a, "-d", b,
                           "--model", f"scripted:{rules}", "--db", str(tmp_path / "r.db"), "--json", str(out)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())["results"]
    assert [r["accuracy"]["mean"] for r in results] == [0.0, 1.0]
    assert results[0]["label"] == "router" and results[1]["label"].startswith("router #")


def test_fit_policy_writes_a_compute_optimal_design_that_eval_accepts(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"question": f"What is {i}?", "answer": "7"}) + "\n" for i in range(20)))
    rules = tmp_path / "rules.json"  # the probes agree on a wrong answer; only cot's wording gets it right
    rules.write_text(json.dumps({"rules": [["Let's think step by step", "work\nAnswer: 7"], [".*", "Answer: 0"]]}))
    out, db = tmp_path / "policy.json", str(tmp_path / "p.db")
    base = [sys.executable, "-m", "agentarch.cli.main"]
    common = ["--task", str(data), "--model", f"scripted:{rules}", "--db", db]
    env = {**os.environ, "COLUMNS": "160"}
    fit = subprocess.run(base + ["fit-policy", *common, "--strategy", "direct,cot", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert fit.returncode == 0, fit.stderr
    design = json.loads(out.read_text())
    assert design["block"] == "compute_optimal" and design["params"]["policy"] == {"easy": {"block": "cot"}}
    ev = subprocess.run(base + ["eval", *common, "--design", str(out), "--json", str(tmp_path / "r.json")],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ev.returncode == 0, ev.stderr
    [result] = json.loads((tmp_path / "r.json").read_text())["results"]
    assert result["accuracy"]["mean"] == 1.0 and result["calls"] == 4.0  # 3 probes + 1 cot answer
