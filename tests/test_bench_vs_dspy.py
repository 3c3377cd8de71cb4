"""bench/vs_dspy.py holds DSPy to the suite's call budget: its proxy counts every chat completion
(and its tokens) on the way to a real HTTP server and refuses calls past the cap; the random-search
optimizer gets only as many candidates as fit the budget at worst; a request the proxy has seen is
answered from its reply store (so a killed run resumes without asking the server again) and still
counted."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _module():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("vs_dspy", BENCH / "vs_dspy.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["vs_dspy"] = mod  # dataclasses look their module up there
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


vs = _module()


@pytest.fixture
def upstream():
    """A real HTTP server answering every chat completion with 7 + 5 tokens of usage."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": "Answer: 4"}}],
                               "usage": {"prompt_tokens": 7, "completion_tokens": 5}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def _post(url: str, payload: dict):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_proxy_counts_calls_and_tokens_and_refuses_past_the_cap(upstream):
    url, seen = upstream
    counter = vs.Counter(cap=2)
    proxy = vs.start_proxy(url, counter)
    base = f"http://127.0.0.1:{proxy.server_address[1]}/v1/chat/completions"
    try:
        for i in range(2):
            status, body = _post(base, {"messages": [{"role": "user", "content": f"q{i}"}]})
            assert status == 200 and body["choices"][0]["message"]["content"] == "Answer: 4"
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(base, {"messages": [{"role": "user", "content": "q2"}]})
        assert refused.value.code == 400
        assert "call budget of 2 calls spent" in json.loads(refused.value.read())["error"]["message"]
        assert (counter.calls, counter.refused, counter.prompt_tokens, counter.completion_tokens) == (2, 1, 14, 10)
        assert [m["messages"][0]["content"] for m in seen] == ["q0", "q1"]  # the refused call never left
        counter.reset()
        assert _post(base, {"messages": []})[0] == 200 and counter.calls == 1 and counter.refused == 0
    finally:
        proxy.shutdown()


def test_a_request_seen_before_is_replayed_from_the_store_and_still_counted(upstream, tmp_path):
    url, seen = upstream
    counter = vs.Counter(cap=3)
    first = vs.start_proxy(url, counter, vs.Replies(tmp_path / "replies.db"))
    base = f"http://127.0.0.1:{first.server_address[1]}/v1/chat/completions"
    try:
        assert _post(base, {"messages": [{"role": "user", "content": "q0"}]})[0] == 200
    finally:
        first.shutdown()
    again = vs.start_proxy(url, counter, vs.Replies(tmp_path / "replies.db"))  # a rerun, same store
    base = f"http://127.0.0.1:{again.server_address[1]}/v1/chat/completions"
    try:
        status, body = _post(base, {"messages": [{"role": "user", "content": "q0"}]})
        assert status == 200 and body["choices"][0]["message"]["content"] == "Answer: 4"
        assert _post(base, {"messages": [{"role": "user", "content": "q1"}]})[0] == 200
        assert [m["messages"][0]["content"] for m in seen] == ["q0", "q1"]  # q0 went to the server once
        assert (counter.calls, counter.prompt_tokens, counter.completion_tokens) == (3, 21, 15)
        with pytest.raises(urllib.error.HTTPError):  # a replayed call spends the budget too
            _post(base, {"messages": [{"role": "user", "content": "q0"}]})
    finally:
        again.shutdown()


@pytest.mark.parametrize("budget,val,train", [(500, 40, 40), (20, 4, 4), (600, 30, 42), (100, 40, 40)])
def test_random_search_candidates_fit_the_budget_at_worst(budget, val, train):
    n = vs.rs_candidates(budget, val, train)
    worst = lambda k: (k + 3) * val + (k + 1) * train  # noqa: E731
    assert n >= 0
    assert worst(n) <= budget or n == 0
    assert worst(n + 1) > budget  # no room for one more


def test_table_formats_dspy_and_agentarch_rows():
    rows = [{"task": "operators", "name": "dspy ChainOfThought", "n": 4, "acc": 0.5, "low": 0.0, "high": 1.0,
             "tokens": 301.4, "calls": 1.25, "calls_per_s": 0.02, "compile_calls": 0, "refused": 0},
            {"task": "operators", "name": "agentarch cot", "n": 4, "acc": 0.75, "low": 0.25, "high": 1.0,
             "tokens": 298.0, "calls": None, "calls_per_s": None, "compile_calls": None, "refused": 0},
            {"task": "operators", "name": "dspy BootstrapFewShotWithRandomSearch", "n": 4, "acc": 0.25, "low": 0.0,
             "high": 0.75, "tokens": 900.0, "calls": 1.0, "calls_per_s": 0.03, "compile_calls": 20, "refused": 3}]
    md = vs.table(rows).splitlines()
    assert md[2] == "| operators | dspy ChainOfThought | 4 | 0.500 [0.000, 1.000] | 301 | 1.25 | 0.02 | 0 |"
    assert md[3] == "| operators | agentarch cot | 4 | 0.750 [0.250, 1.000] | 298 | — | — | — |"
    assert md[4].endswith("| 20 (+3 refused) |")


def test_a_rerun_reads_finished_tasks_and_starts_no_model(tmp_path, monkeypatch, capsys):
    row = {"task": "operators", "name": "dspy ChainOfThought", "n": 4, "acc": 0.5, "low": 0.0, "high": 1.0,
           "tokens": 301.4, "calls": 1.25, "calls_per_s": 0.02, "compile_calls": 0, "refused": 0}
    (tmp_path / "operators.json").write_text(json.dumps([row]))

    def no_model(*_):
        raise AssertionError("a finished task must not start the model")

    monkeypatch.setattr(vs, "start_model", no_model)
    vs.main(["--tasks", "operators", "--out", str(tmp_path), "--suite-out", str(tmp_path / "none")])
    assert "| operators | dspy ChainOfThought | 4 | 0.500 [0.000, 1.000] | 301 | 1.25 | 0.02 | 0 |" in \
        capsys.readouterr().out


def test_a_bare_task_name_is_a_bigbench_task_unless_built_in():
    assert vs.task_ref("operators") == "bigbench:operators"
    assert vs.task_ref("word_problems") == "word_problems"
    assert vs.task_ref("bigbench:modified_arithmetic/one") == "bigbench:modified_arithmetic/one"
