"""OpenTelemetry spans from a real ``agentarch eval`` process on the scripted backend, with the
console exporter: one span per example, per block call and per model call, nested as they ran,
with tokens and cache hits that add up to what the store recorded. Off (and not even imported)
without the OTEL_* variables; an unknown exporter is a one-line error."""

import json
import sqlite3
import subprocess
import sys

import pytest

import dashboard_helpers as helpers

pytest.importorskip("opentelemetry.sdk.trace", reason="opentelemetry-sdk is not installed (pip install -e '.[otel]')")

SC = json.dumps({"block": "self_consistency", "params": {"n": 3}, "children": [{"block": "cot"}]})


def eval_cli(folder, env_extra, limit=2, metric="numeric"):
    return subprocess.run([*helpers.AGENTARCH, "eval", "--task", "toy.jsonl", "--metric",
                           metric, "--model", "scripted:rules.json", "--design", SC, "--limit", str(limit),
                           "--db", "o.db"], cwd=folder, capture_output=True, text=True, timeout=120,
                          env=helpers.cli_env(env_extra))


def spans_in(text: str) -> list[dict]:
    """The JSON objects the console exporter printed among the CLI's other lines."""
    out, dec, i = [], json.JSONDecoder(), 0
    while (i := text.find("{\n", i)) != -1:
        obj, end = dec.raw_decode(text, i)
        out.append(obj)
        i = end
    return out


def test_console_spans_per_example_block_and_model_call(tmp_path):
    helpers.write_inputs(tmp_path)
    p = eval_cli(tmp_path, {"OTEL_TRACES_EXPORTER": "console"})
    assert p.returncode == 0, p.stderr
    spans = spans_in(p.stderr)
    by_id = {s["context"]["span_id"]: s for s in spans}
    examples = [s for s in spans if s["name"] == "agentarch.example"]
    calls = [s for s in spans if s["name"] == "model.call"]
    sc = [s for s in spans if s["name"] == "block self_consistency"]
    cot = [s for s in spans if s["name"] == "block cot"]
    assert len(examples) == len(sc) == 2 and len(cot) == 6  # 2 examples, 3 samples each
    assert all(by_id[s["parent_id"]]["name"] == "agentarch.example" for s in sc)
    assert all(by_id[s["parent_id"]]["name"] == "block self_consistency" for s in cot)
    assert all(by_id[s["parent_id"]]["name"] == "block cot" for s in calls)

    con = sqlite3.connect(tmp_path / "o.db")
    rows = {r[0]: r[1:] for r in con.execute("SELECT example_id, calls, prompt_tokens, completion_tokens, score, "
                                            "trace FROM results")}
    con.close()
    assert len(calls) == sum(r[0] for r in rows.values())
    assert sum(c["attributes"]["gen_ai.usage.input_tokens"] for c in calls) == sum(r[1] for r in rows.values())
    for ex in examples:  # each example span's block totals are the stored result's
        eid = ex["attributes"]["agentarch.example"]
        top = next(s for s in sc if s["parent_id"] == ex["context"]["span_id"])
        n, prompt, completion, score, trace = rows[eid]
        assert ex["attributes"]["agentarch.score"] == score
        assert (top["attributes"]["agentarch.calls"], top["attributes"]["agentarch.prompt_tokens"],
                top["attributes"]["agentarch.completion_tokens"]) == (n, prompt, completion)
        assert top["attributes"]["agentarch.cache_hits"] == sum(1 for t in json.loads(trace) if t["cached"])
    for b in cot:  # a block's totals are its own model calls'
        mine = [c for c in calls if c["parent_id"] == b["context"]["span_id"]]
        assert b["attributes"]["agentarch.calls"] == len(mine) == 1
        assert b["attributes"]["agentarch.completion_tokens"] == mine[0]["attributes"]["gen_ai.usage.output_tokens"]


def test_cache_hits_are_marked(tmp_path):
    """The same design scored with another metric: new results, the very same model requests, so
    every call is answered from the store's call cache."""
    helpers.write_inputs(tmp_path)
    first = eval_cli(tmp_path, {"OTEL_TRACES_EXPORTER": "console"}, limit=1)
    assert first.returncode == 0, first.stderr
    assert {c["attributes"]["agentarch.cache_hit"] for c in spans_in(first.stderr) if c["name"] == "model.call"} == {False}
    again = eval_cli(tmp_path, {"OTEL_TRACES_EXPORTER": "console"}, limit=1, metric="exact")
    assert again.returncode == 0, again.stderr
    spans = spans_in(again.stderr)
    calls = [s for s in spans if s["name"] == "model.call"]
    assert len(calls) == 3 and all(c["attributes"]["agentarch.cache_hit"] for c in calls)
    (top,) = [s for s in spans if s["name"] == "block self_consistency"]
    assert top["attributes"]["agentarch.cache_hits"] == top["attributes"]["agentarch.calls"] == 3


def test_off_without_the_variables_and_not_imported():
    code = ("import sys; from agentarch.runtime import telemetry as t; m = object(); "
            "assert t.trace_model(m) is m and t.trace_blocks(m) is m; "
            "assert not [k for k in sys.modules if k.startswith('opentelemetry')]; print('off')")
    env = helpers.cli_env()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "off", p.stderr
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env=env | {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"})
    assert p.returncode == 0 and p.stdout.strip() == "off", p.stderr


def test_unknown_exporter_is_one_line(tmp_path):
    helpers.write_inputs(tmp_path)
    p = eval_cli(tmp_path, {"OTEL_TRACES_EXPORTER": "zipkin"}, limit=1)
    assert p.returncode == 2 and "OTEL_TRACES_EXPORTER=zipkin" in p.stderr and "Traceback" not in p.stderr
