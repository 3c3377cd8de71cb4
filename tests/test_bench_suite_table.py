"""bench/suite_table.py builds the search suite's tables from a report.json and the test eval of cot:
the promoted designs' numbers are the report's, cot's paired delta against the best baseline is
computed on the shared test examples with the promotion's noise-floor rule, the overall table picks
the found design best by validation (cheaper on a tie); bench/search_suite.sh passes shellcheck."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "suite"


def _module():
    spec = importlib.util.spec_from_file_location("suite_table", ROOT / "bench" / "suite_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


st = _module()


def _load(name="operators"):
    return st.load_folder(FIXTURE / name)


def test_rows_of_a_task_are_the_promoted_designs_plus_cot_with_its_paired_delta():
    report, test_eval = _load()
    rows = st.task_rows(report, test_eval)
    assert [r["role"] for r in rows] == ["best baseline (cot_sc)", "cot", "found", "found", "baseline (direct)"]
    ref, cot, found = rows[0], rows[1], rows[2]
    assert (ref["test"], ref["low"], ref["high"], ref["tokens"], ref["sig"]) == (0.4, 0.2, 0.6, 1520.4, "reference")
    assert (found["label"], found["test"], found["sig"]) == ("fewshot[cot]", 0.7, "better")
    assert found["delta"] == {"mean": 0.3, "low": 0.1, "high": 0.5, "n": 10, "p_not_better": 0.01, "label": "better"}
    # cot beats cot_sc on 2 of 10 shared examples and never loses: mean +0.2; a resample with
    # neither of the two (probability 0.8**10 > 2.5%) puts the low end at 0, so not significant
    assert (cot["test"], cot["n"], cot["tokens"]) == (0.6, 10, 250.0)
    assert cot["delta"]["mean"] == pytest.approx(0.2)
    assert cot["delta"]["low"] == 0.0 and 0.2 < cot["delta"]["high"] <= 0.6
    assert cot["delta"]["n"] == 10 and cot["sig"] == "not significant"


def test_cot_delta_label_follows_the_noise_floor():
    report, test_eval = _load()
    ids = {r["label"]: r["design_id"] for r in test_eval["results"]}
    for r in test_eval["results"]:  # cot right everywhere, the reference wrong everywhere
        r["scores"] = {k: (1 if r["label"] == "cot" else 0) for k in r["scores"]}
    d = st.cot_delta(test_eval, ids["cot"], ids["self_consistency(n=5)[cot]"], 0.05)
    assert (d["mean"], d["low"], d["high"], d["label"]) == (1.0, 1.0, 1.0, "better")
    assert st.cot_delta(test_eval, ids["cot"], ids["self_consistency(n=5)[cot]"], 1.0)["label"] == "within noise"
    assert st.cot_delta(test_eval, ids["cot"], "not-measured", 0.05) is None


def test_best_found_breaks_a_validation_tie_by_tokens():
    report, test_eval = _load()
    rows = st.task_rows(report, test_eval)
    assert st.best_found(rows, report)["label"] == "fewshot[cot]"  # 300 tokens beats 900 at val 0.6
    report["promotion"]["designs"][2]["val"]["value"] = 0.65
    assert st.best_found(st.task_rows(report, test_eval), report)["label"] == "refine(rounds=1)[fewshot[cot]]"


def test_cot_as_the_reference_is_one_row_and_has_no_delta():
    report, test_eval = _load()
    promo = report["promotion"]
    promo["reference"], promo["reference_name"] = "a897e85a0e24", "cot"
    promo["designs"][0].update(design="a897e85a0e24", label="cot", name="cot")
    rows = st.task_rows(report, test_eval)
    assert [r["role"] for r in rows].count("best baseline (cot), cot") == 1
    assert not any(r["role"] == "cot" for r in rows)


def test_overall_table_over_two_tasks(tmp_path):
    shutil.copytree(FIXTURE / "operators", tmp_path / "operators")
    other = tmp_path / "sports_understanding"
    shutil.copytree(FIXTURE / "operators", other)
    report = json.loads((other / "report.json").read_text())
    report["promotion"]["designs"][1]["test"]["score"] = 0.5
    report["promotion"]["designs"][1]["delta"] = {"mean": 0.1, "low": -0.1, "high": 0.3, "n": 10,
                                                  "label": "not significant"}
    (other / "report.json").write_text(json.dumps(report))
    (tmp_path / "word_sorting").mkdir()  # not finished: left out
    rows = st.overall_rows({n: st.load_folder(tmp_path / n) for n in ("operators", "sports_understanding")})
    assert [(r["cot"], r["ref_name"], r["ref"], r["found_label"], r["found"], r["sig"]) for r in rows] == [
        (0.6, "cot_sc", 0.4, "fewshot[cot]", 0.7, "better"),
        (0.6, "cot_sc", 0.4, "fewshot[cot]", 0.5, "not significant")]
    md = st.suite_markdown(tmp_path)
    assert "| **mean over tasks** | | 0.600 | 0.400 | 0.600 | +0.200 (mean) | |" in md
    assert "found design vs best baseline: better 1, not significant 1" in md
    assert "| operators | 10 | 0.600 | cot_sc 0.400 | `fewshot[cot]` 0.700 | +0.300 [+0.100, +0.500] | better |" in md
    assert "| `cot` | cot | — | 0.600 [0.300, 0.900] | 10 | 250 | +0.200 [+0.000," in md
    assert "word_sorting" not in md
    assert "noise floor 0.050" in md and "480 calls, stopped by budget" in md


def test_command_line_reference_latest_and_table(tmp_path, capsys):
    st.main(["reference", str(FIXTURE / "operators" / "report.json")])
    assert capsys.readouterr().out == "cot_sc\n"
    runs = tmp_path / "runs"
    for i, name in enumerate(["old", "new"]):
        (runs / name).mkdir(parents=True)
        (runs / name / "report.json").write_text("{}")
        os.utime(runs / name / "report.json", (1000 + i, 1000 + i))
    st.main(["latest", str(runs)])
    assert capsys.readouterr().out.strip() == str(runs / "new" / "report.json")
    with pytest.raises(SystemExit, match="no \\*/report.json"):
        st.main(["latest", str(tmp_path / "empty")])
    st.main(["table", str(tmp_path)])
    assert capsys.readouterr().out == f"no finished task under {tmp_path}\n"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_search_suite_script_is_shellcheck_clean():
    proc = subprocess.run(["shellcheck", str(ROOT / "bench" / "search_suite.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
