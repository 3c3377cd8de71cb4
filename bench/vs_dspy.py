"""DSPy beside agentarch on the same BIG-bench tasks, splits and model (a bench-only comparison).

The embedded model (Qwen2.5-Coder-0.5B GGUF) is served over HTTP by xllamacpp on 127.0.0.1 and
DSPy reaches it through a small counting proxy, so every call DSPy sends is counted (and its
tokens summed) at the server's door. Per task, with agentarch's own split (``load_task(...).split``):
``dspy.ChainOfThought`` is measured on the first N test examples, then an optimizer
(``BootstrapFewShotWithRandomSearch``, or ``MIPROv2(auto="light")``) is compiled on the training
and validation examples under the suite's call budget (the proxy refuses calls past it) and its
program is measured on the same test examples. Answers are scored by agentarch's task metric.
agentarch's numbers are read from the suite's output (``bench/search_suite.sh``) when present.

Each finished task's DSPy rows are kept in ``--out`` (``TASK.json``); a rerun reads them instead of
paying again (delete the file to measure it again). Every reply the server gave is kept too
(``--out``/``replies.db``, keyed by the request's bytes): a run killed mid-task replays what it
already received and goes on from there. A replayed call is counted like a sent one, with the tokens
it cost when it was sent, so the budget and the table do not depend on where a run was cut off.

    .venv/bin/python bench/vs_dspy.py                                      # 3 tasks, suite defaults
    .venv/bin/python bench/vs_dspy.py --tasks operators --test-limit 4 --val-limit 4 --train-limit 4 \
        --budget-calls 20                                                  # a smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of litellm's price list
# the suite's imported tasks (bench/search_suite.sh keeps them there, bench/stores.py saves them)
os.environ.setdefault("AGENTARCH_TASKS", str(Path(__file__).resolve().parent / "out" / "tasks"))

sys.path.insert(0, str(Path(__file__).resolve().parent))
import suite_table  # noqa: E402  (bench/suite_table.py: agentarch's numbers from the suite's output)

DEFAULT_TASKS = "sports_understanding,disambiguation_qa,operators"


@dataclass
class Counter:
    """Calls and tokens the proxy passed to the server; ``cap`` refuses calls past it."""

    calls: int = 0
    refused: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cap: Optional[int] = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.cap is not None and self.calls >= self.cap:
                self.refused += 1
                return False
            self.calls += 1
            return True

    def add_usage(self, usage: dict) -> None:
        with self.lock:
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)

    def reset(self, cap: Optional[int] = None) -> None:
        with self.lock:
            self.calls = self.refused = self.prompt_tokens = self.completion_tokens = 0
            self.cap = cap


class Replies:
    """The server's replies to chat completions, kept in a SQLite file by the request's bytes."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, body BLOB NOT NULL)")
        self.db.commit()
        self.lock = threading.Lock()

    @staticmethod
    def key(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()

    def get(self, body: bytes) -> Optional[bytes]:
        with self.lock:
            row = self.db.execute("SELECT body FROM replies WHERE key = ?", (self.key(body),)).fetchone()
        return row[0] if row else None

    def put(self, body: bytes, reply: bytes) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?)", (self.key(body), reply))
            self.db.commit()


def start_proxy(upstream: str, counter: Counter, replies: Optional[Replies] = None) -> ThreadingHTTPServer:
    """A pass-through HTTP proxy on 127.0.0.1 that counts chat completions into ``counter`` and,
    given ``replies``, answers a request it has already seen from there."""
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _forward(self, body: Optional[bytes]) -> None:
            counted = self.command == "POST" and self.path.rstrip("/").endswith("/chat/completions")
            if counted and not counter.take():
                msg = json.dumps({"error": {"message": f"call budget of {counter.cap} calls spent",
                                            "type": "invalid_request_error", "code": "budget"}}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            store = replies if counted and body else None  # chat completions only
            kept = store.get(body) if store is not None else None
            if kept is not None:
                status, headers, data = 200, [("Content-Type", "application/json")], kept
            else:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
                sent = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                conn.request(self.command, self.path, body=body, headers=sent)
                resp = conn.getresponse()
                status, headers, data = resp.status, resp.getheaders(), resp.read()
                conn.close()
            if counted and status == 200:
                try:
                    counter.add_usage(json.loads(data).get("usage") or {})
                except ValueError:
                    pass  # a streamed reply: calls are counted, tokens are not
                else:
                    if kept is None and store is not None:
                        store.put(body, data)
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._forward(None)

        def do_POST(self):
            self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_model(parallel: int, threads: int):
    """The embedded model served by xllamacpp on 127.0.0.1 (settings as agentarch's embedded model)."""
    import xllamacpp

    from agentarch.llm.local import SETTINGS
    from agentarch.llm.weights import ensure_model

    p = xllamacpp.CommonParams()
    p.model.path = str(ensure_model("qwen2.5-coder-0.5b"))
    p.n_parallel = parallel
    p.n_ctx = SETTINGS["n_ctx_per_slot"] * parallel
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.verbosity = -1
    return xllamacpp.Server(p)


def rs_candidates(budget: int, n_val: int, n_train: int) -> int:
    """BootstrapFewShotWithRandomSearch candidates that fit ``budget`` calls at worst: it evaluates
    N + 3 programs on validation and bootstraps N + 1 times over at most the whole training set
    (one chain-of-thought call per example)."""
    return max(0, (budget - 3 * n_val - n_train) // max(1, n_val + n_train))


@dataclass
class Measured:
    """A program measured on the test examples."""

    name: str
    scores: list[float]
    calls: int
    tokens: int
    seconds: float
    compile_calls: int = 0
    compile_seconds: float = 0.0
    refused: int = 0

    def row(self) -> dict:
        from agentarch.runtime.stats import bootstrap_mean

        iv = bootstrap_mean(self.scores)
        n = len(self.scores)
        return {"name": self.name, "n": n, "acc": iv.mean, "low": iv.low, "high": iv.high,
                "tokens": self.tokens / n if n else 0.0, "calls": self.calls / n if n else 0.0,
                "calls_per_s": self.calls / self.seconds if self.seconds else 0.0,
                "compile_calls": self.compile_calls, "compile_seconds": self.compile_seconds,
                "refused": self.refused}


def task_ref(name: str) -> str:
    """What ``--tasks`` names: a built-in task or a full reference (``bigbench:NAME``, a file) as
    given; a bare name is a BIG-bench task."""
    from agentarch.tasks.registry import TASKS

    return name if name in TASKS or ":" in name else f"bigbench:{name}"


def run_task(name: str, a, counter: Counter, base_url: str) -> list[dict]:
    import dspy

    from agentarch.tasks.registry import load_task
    from agentarch.tasks.task import limit

    task = load_task(task_ref(name))
    parts = task.split(seed=a.seed)
    train, val, test = limit(parts.train, a.train_limit), limit(parts.val, a.val_limit), limit(parts.test, a.test_limit)
    by_id = {e.id: e for e in [*train, *val, *test]}
    what = re.sub(r"\s*\(\d+ examples[^)]*\)$", "", task.description)  # "(211 examples, metric numeric)"
    instructions = f"{what}.\nThe answer is {task.answer_format(parts.train)}."
    signature = dspy.Signature("question -> answer", instructions)

    def as_dspy(examples):
        return [dspy.Example(question=e.input, answer=e.target, example_id=e.id).with_inputs("question")
                for e in examples]

    def metric(example, pred, trace=None) -> float:
        return task.metric.score(str(getattr(pred, "answer", "") or ""), by_id[example.example_id])

    lm = dspy.LM("openai/qwen2.5-coder-0.5b", api_base=base_url, api_key="unused", temperature=0.0,
                 max_tokens=512, num_retries=2)
    dspy.configure(lm=lm)
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)  # no reuse across runs
    testset = as_dspy(test)

    def measure(program, label: str) -> Measured:
        print(f"{name}: {label} on {len(testset)} test examples", file=sys.stderr, flush=True)
        # A fresh response cache: the test calls are paid and counted even when the optimizer
        # settled on a program whose answers are already cached (e.g. the zero-shot one).
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
        counter.reset()
        t0 = time.time()
        res = dspy.Evaluate(devset=testset, metric=metric, num_threads=a.threads, display_progress=False,
                            max_errors=len(testset) + 1)(program)
        return Measured(label, [float(s or 0.0) for _, _, s in res.results], counter.calls,
                        counter.prompt_tokens + counter.completion_tokens, time.time() - t0)

    out = [measure(dspy.ChainOfThought(signature), "dspy ChainOfThought")]
    counter.reset(cap=a.budget_calls)
    print(f"{name}: compiling {a.optimizer} within {a.budget_calls} calls ({len(train)} train, {len(val)} val)",
          file=sys.stderr, flush=True)
    t0 = time.time()
    if a.optimizer == "mipro":
        opt = dspy.MIPROv2(metric=metric, auto="light", num_threads=a.threads, verbose=False)
        label = "dspy MIPROv2(light)"
    else:
        opt = dspy.BootstrapFewShotWithRandomSearch(
            metric=metric, max_bootstrapped_demos=4, max_labeled_demos=4, num_threads=a.threads,
            num_candidate_programs=rs_candidates(a.budget_calls, len(val), len(train)), max_errors=10 ** 6)
        label = "dspy BootstrapFewShotWithRandomSearch"
    compiled = opt.compile(dspy.ChainOfThought(signature), trainset=as_dspy(train), valset=as_dspy(val))
    compile_calls, refused, compile_seconds = counter.calls, counter.refused, time.time() - t0
    m = measure(compiled, label)
    m.compile_calls, m.compile_seconds, m.refused = compile_calls, compile_seconds, refused
    out.append(m)
    return [{**r.row(), "task": name} for r in out]


def agentarch_rows(name: str, suite_out: Path) -> list[dict]:
    """cot, the best baseline and the best found design on test, from the suite's output."""
    got = suite_table.load_folder(suite_out / name)
    if got is None:
        return []
    report, test_eval = got
    rows = suite_table.task_rows(report, test_eval)
    found = suite_table.best_found(rows, report)
    keep = [r for r in rows if r["role"] == "cot" or r["role"].startswith("best baseline")] + ([found] if found else [])
    calls = (report.get("spent") or {}).get("calls")
    return [{"task": name, "name": f"agentarch {r['role']}: {r['label']}", "n": r["n"], "acc": r["test"],
             "low": r["low"], "high": r["high"], "tokens": r["tokens"], "calls": None,
             "calls_per_s": None, "compile_calls": calls if r["role"] == "found" else None,
             "compile_seconds": None, "refused": 0} for r in keep]


def table(rows: list[dict]) -> str:
    lines = ["| task | system | n | test acc [95% CI] | tokens/example | calls/example | calls/s "
             "| optimizer calls |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        calls = "—" if r["calls"] is None else f"{r['calls']:.2f}"
        rate = "—" if r["calls_per_s"] is None else f"{r['calls_per_s']:.2f}"
        comp = "—" if r["compile_calls"] is None else str(r["compile_calls"])
        if r.get("refused"):
            comp += f" (+{r['refused']} refused)"
        lines.append(f"| {r['task']} | {r['name']} | {r['n']} | {r['acc']:.3f} [{r['low']:.3f}, {r['high']:.3f}] "
                     f"| {r['tokens']:.0f} | {calls} | {rate} | {comp} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=DEFAULT_TASKS, help="Comma list of BIG-bench task names "
                    "(a built-in task such as word_problems is taken as it is).")
    ap.add_argument("--optimizer", choices=["random_search", "mipro"], default="random_search")
    ap.add_argument("--budget-calls", type=int, default=600, help="The optimizer's call budget (the suite's).")
    ap.add_argument("--train-limit", type=int, default=40)
    ap.add_argument("--val-limit", type=int, default=60)
    ap.add_argument("--test-limit", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="Seed of agentarch's split (the suite's).")
    ap.add_argument("--parallel", type=int, default=4, help="Parallel slots of the model server.")
    ap.add_argument("--threads", type=int, default=4, help="DSPy's evaluation threads.")
    ap.add_argument("--server-threads", type=int, default=2, help="CPU threads of the model server.")
    ap.add_argument("--suite-out", type=Path, default=Path("bench/out/suite"))
    ap.add_argument("--json", type=Path, default=None, help="Also write the rows here.")
    ap.add_argument("--out", type=Path, default=Path("bench/out/vs_dspy"),
                    help="Finished tasks' DSPy rows (TASK.json), read back by a rerun.")
    a = ap.parse_args(argv)

    names = [t for t in a.tasks.split(",") if t]
    a.out.mkdir(parents=True, exist_ok=True)
    done = {n: json.loads((a.out / f"{n}.json").read_text()) for n in names if (a.out / f"{n}.json").exists()}
    rows: list[dict] = []
    proxy = None
    try:
        for name in names:
            if name in done:
                print(f"{name}: DSPy rows read from {a.out / (name + '.json')}", file=sys.stderr)
                rows += done[name]
            else:
                if proxy is None:
                    model = start_model(a.parallel, a.server_threads)
                    counter = Counter()
                    proxy = start_proxy(model.listening_address, counter, Replies(a.out / "replies.db"))
                    base_url = f"http://127.0.0.1:{proxy.server_address[1]}/v1"
                t0 = time.time()
                got = run_task(name, a, counter, base_url)
                (a.out / f"{name}.json").write_text(json.dumps(got, indent=1))
                rows += got
                print(f"{name}: {time.time() - t0:.0f} s", file=sys.stderr)
            rows += agentarch_rows(name, a.suite_out)
    finally:
        if proxy is not None:
            proxy.shutdown()
    print(table(rows), end="")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
