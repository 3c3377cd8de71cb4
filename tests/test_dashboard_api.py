"""The dashboard's JSON endpoints on a store filled by a real scripted ``agentarch search`` process:
each endpoint agrees with what the store recorded, the store is opened read-only and left
unchanged, a search writing to the store shows up while it runs, user mistakes give one line, and
a real ``agentarch ui`` process (uvicorn on loopback) answers."""

import hashlib
import json
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

import dashboard_helpers as helpers
from agentarch.errors import ConfigError
from agentarch.search.pareto import dominates
from agentarch.serve.dashboard import create_dashboard_app
from agentarch.serve.dashboard.readonly import connect


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    return helpers.filled_store(tmp_path_factory.mktemp("dash"))


@pytest.fixture(scope="module")
def client(filled):
    return TestClient(create_dashboard_app(filled[0]))


def stored(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_runs_list_shows_what_the_search_recorded(filled, client):
    db, run_id = filled
    runs = client.get("/api/runs").json()
    assert [r["id"] for r in runs] == [run_id]
    r = runs[0]
    summary = json.loads(stored(db, "SELECT summary FROM runs WHERE id=?", run_id)[0]["summary"])
    assert (r["kind"], r["status"], r["task"], r["optimizer"], r["model"]) == ("search", "done", "toy", "evolve",
                                                                              "scripted:scripted")
    assert r["spent_calls"] == summary["spent_calls"] > 0 and r["spent_tokens"] == summary["spent_tokens"] > 0
    assert r["best"]["design"] == summary["best"]["design"] and r["best"]["score"] == summary["best"]["score"]
    assert r["designs"] == len({row[0] for row in stored(db, "SELECT design_id FROM run_designs WHERE run_id=?",
                                                          run_id)})


def test_run_detail_curve_front_and_designs(filled, client):
    db, run_id = filled
    d = client.get(f"/api/runs/{run_id[:6]}").json()  # a prefix is enough
    assert d["run"]["id"] == run_id
    evaluated = [json.loads(row["data"]) for row in
                 stored(db, "SELECT data FROM events WHERE run_id=? AND kind='evaluated' ORDER BY ts", run_id)]
    assert [p["design"] for p in d["curve"]] == [e["design"] for e in evaluated] and len(evaluated) >= 3
    bests = [p["best"] for p in d["curve"]]
    assert bests == sorted(bests)  # best-so-far never falls (objective: accuracy)
    assert [p["calls"] for p in d["curve"]] == sorted(p["calls"] for p in d["curve"])
    assert bests[-1] == d["run"]["best"]["score"]

    points = {p["design"]: p for p in d["pareto"]["points"]}
    front = set(d["pareto"]["front"])
    assert front and front <= set(points)
    key = {k: (p["score"], p["tokens"]) for k, p in points.items()}
    for f in front:  # nothing beats a front point on both accuracy and tokens
        assert not any(dominates(key[o], key[f]) for o in points)
    for o in set(points) - front:  # everything else is beaten by some front point
        assert any(dominates(key[f], key[o]) for f in front)

    designs = {x["design"]: x for x in d["designs"]}
    val_rows = stored(db, "SELECT design_id, summary FROM run_designs WHERE run_id=? AND split='val'", run_id)
    for row in val_rows:
        acc = json.loads(row["summary"])["accuracy"]
        assert designs[row["design_id"]]["val"]["score"] == acc["mean"]
        assert designs[row["design_id"]]["val"]["low"] == acc["low"]
    report = json.loads(stored(db, "SELECT summary FROM runs WHERE id=?", run_id)[0]["summary"])["report"]
    for r in report["designs"]:
        assert designs[r["design"]]["test"]["score"] == r["test"]["score"]
        assert designs[r["design"]]["delta"] == r["delta"]
    assert d["reference"] == report["reference"] and designs[d["reference"]]["baseline"] == "cot"
    assert {x["baseline"] for x in d["designs"] if x["baseline"]} == {"direct", "cot", "cot_sc"}
    assert d["noise"]["measured"] is True


def test_design_tree_lineage_and_results(filled, client):
    db, run_id = filled
    d = client.get(f"/api/runs/{run_id}").json()
    child = next(x for x in d["designs"] if x.get("parent"))  # a design the search derived from another
    g = client.get(f"/api/runs/{run_id}/designs/{child['design']}").json()
    spec = json.loads(stored(db, "SELECT spec FROM designs WHERE id=?", child["design"])[0]["spec"])
    assert g["tree"]["block"] == spec["block"] and g["tree"]["params"] == spec.get("params", {})
    assert len(g["tree"]["children"]) == len(spec.get("children", []))
    chain = g["lineage"]
    assert chain[-1]["design"] == child["design"] and chain[-2]["design"] == child["parent"]
    assert chain[-1]["note"] == child["note"] and chain[0]["parent"] is None
    assert chain[0]["origin"] in ("baseline", "random")
    parent = client.get(f"/api/runs/{run_id}/designs/{child['parent']}").json()
    assert child["design"] in {c["design"] for c in parent["children"]}

    rows = stored(db, "SELECT key, score FROM results WHERE design_id=? AND task='toy'", child["design"])
    assert {r["key"]: r["score"] for r in rows} == {r["key"]: r["score"] for r in g["results"]}
    assert len(rows) >= 12  # the validation examples, and the test ones when promoted


def test_trace_lists_every_call_per_block_with_tokens_and_cache_hits(filled, client):
    db, run_id = filled
    row = stored(db, "SELECT * FROM results WHERE calls > 2 ORDER BY key LIMIT 1")[0]
    t = client.get(f"/api/results/{row['key']}").json()
    trace = json.loads(row["trace"])
    assert len(t["calls"]) == row["calls"] == len(trace)
    assert [c["reply"] for c in t["calls"]] == [e["text"] for e in trace]
    assert [c["messages"] for c in t["calls"]] == [e["messages"] for e in trace]
    assert sum(b["prompt_tokens"] for b in t["blocks"]) == row["prompt_tokens"]
    assert sum(b["completion_tokens"] for b in t["blocks"]) == row["completion_tokens"]
    assert sum(b["calls"] for b in t["blocks"]) == row["calls"]
    assert t["cached"] == sum(1 for e in trace if e["cached"]) == sum(b["cached"] for b in t["blocks"])
    assert (t["answer"], t["score"], t["example"]) == (row["answer"], row["score"], row["example_id"])


def test_unknown_ids_are_404_with_a_message(client):
    for url, word in [("/api/runs/ffff0000", "run"), ("/api/results/nope", "result")]:
        r = client.get(url)
        assert r.status_code == 404 and word in r.json()["error"]
    run_id = client.get("/api/runs").json()[0]["id"]
    r = client.get(f"/api/runs/{run_id}/designs/000000000000")
    assert r.status_code == 404 and "design" in r.json()["error"]


def test_page_and_vendored_chart_library_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and '<canvas id="anytime-chart">' in page.text
    lib = client.get("/static/vendor/chart-4.6.1.umd.min.js")
    assert lib.status_code == 200 and lib.text.startswith("/*!\n * Chart.js v4.6.1")
    assert hashlib.sha256(lib.content).hexdigest() == \
        "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"
    assert client.get("/static/dashboard.js").status_code == 200


def test_store_is_read_only_and_left_unchanged(filled, client):
    db, run_id = filled
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for url in ["/api/runs", f"/api/runs/{run_id}", "/api/store"]:
        assert client.get(url).status_code == 200
    con = connect(db)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("DELETE FROM runs")
    con.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert stored(db, "SELECT COUNT(*) FROM runs")[0][0] == 1


def test_missing_or_foreign_store_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no such store"):
        create_dashboard_app(tmp_path / "missing.db")
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    with pytest.raises(ConfigError, match="not an agentarch database"):
        create_dashboard_app(tmp_path / "notes.txt")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE x (a)")
    other.close()
    with pytest.raises(ConfigError, match="no runs table"):
        create_dashboard_app(tmp_path / "other.db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE runs (id)")
    other.close()
    with pytest.raises(ConfigError, match="no designs, results, run_designs, events table"):
        create_dashboard_app(tmp_path / "other.db")
    assert not (tmp_path / "missing.db").exists()  # refusing does not create the file


def test_cli_refuses_a_missing_store_in_one_line(tmp_path):
    p = subprocess.run([*helpers.AGENTARCH, "ui", "--db", str(tmp_path / "none.db")],
                       capture_output=True, text=True, timeout=60, env=helpers.cli_env())
    assert p.returncode == 2
    assert "none.db: no such store" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert "Traceback" not in p.stderr


def test_a_running_search_shows_up_while_it_runs(tmp_path):
    """The dashboard reads the file a live search writes: the run appears as running, its spend
    grows between requests, and it ends as done, all without restarting the dashboard."""
    proc = helpers.start_search(tmp_path, delay=0.02)
    db = tmp_path / "t.db"
    try:
        deadline = time.monotonic() + 120
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        client = None
        seen: list[tuple[str, int]] = []
        while time.monotonic() < deadline:
            try:
                client = client or TestClient(create_dashboard_app(db))
                runs = client.get("/api/runs").json()
            except ConfigError:  # the tables are not there yet
                time.sleep(0.1)
                continue
            if runs:
                seen.append((runs[0]["status"], runs[0]["spent_calls"] or 0))
                if runs[0]["status"] == "done":
                    break
            time.sleep(0.3)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    running = [calls for status, calls in seen if status == "running"]
    assert len(set(running)) >= 2, seen  # seen mid-search at least twice, with different spend
    assert seen[-1][0] == "done" and seen[-1][1] >= max(running)


def test_real_uvicorn_process_serves_the_endpoints(filled):
    db, run_id = filled
    with helpers.running_ui(db) as url:
        assert url.startswith("http://127.0.0.1:")
        runs = httpx.get(f"{url}/api/runs", timeout=30).json()
        assert runs[0]["id"] == run_id
        assert httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()["run"]["status"] == "done"
        assert "agentarch dashboard" in httpx.get(url + "/", timeout=30).text


def test_cli_refuses_a_busy_port_in_one_line(filled):
    import socket

    busy = socket.create_server(("127.0.0.1", 0))
    try:
        port = busy.getsockname()[1]
        p = subprocess.run([*helpers.AGENTARCH, "ui", "--db", str(filled[0]),
                            "--port", str(port)], capture_output=True, text=True, timeout=60, env=helpers.cli_env())
    finally:
        busy.close()
    assert p.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_an_eval_run_shows_its_designs_on_the_split_it_measured(tmp_path):
    helpers.write_inputs(tmp_path)
    p = subprocess.run([*helpers.AGENTARCH, "eval", "--task", "toy.jsonl", "--metric", "numeric",
                        "--model", "scripted:rules.json", "--design", "cot", "--design", "direct", "--limit", "6",
                        "--db", "e.db"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=helpers.cli_env())
    assert p.returncode == 0, p.stderr
    client = TestClient(create_dashboard_app(tmp_path / "e.db"))
    (run,) = client.get("/api/runs").json()
    assert run["kind"] == "eval" and run["status"] == "done" and run["designs"] == 2
    d = client.get(f"/api/runs/{run['id']}").json()
    assert d["curve"] == [] and d["pareto"]["split"] == "test"
    scores = {x["label"]: x["test"]["score"] for x in d["designs"]}
    assert {p["label"]: p["score"] for p in d["pareto"]["points"]} == scores
    assert scores["cot"] > scores["direct"]  # the toy model answers only step-by-step prompts
    cot = next(x for x in d["designs"] if x["label"] == "cot")
    g = client.get(f"/api/runs/{run['id']}/designs/{cot['design']}").json()
    assert len(g["results"]) == 6 and g["lineage"] == [{"design": cot["design"], "label": "cot", "origin": None,
                                                        "note": None, "round": None, "parent": None}]
