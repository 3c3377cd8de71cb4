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
