"""What a kill -9 can lose of the model-call cache, whose writes are batched off the hot path
(``store/pending_calls.py``): never a call a stored result depends on, and no call returned more
than the flush interval before the kill. Real subprocesses, really killed; the worker waits on its
own event loop, whose timers fire in deadline order, so no test depends on the machine's speed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from agentarch.store.db import Store

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

WORKER = textwrap.dedent("""
    import asyncio, sys
    from agentarch.store import pending_calls
    pending_calls.FLUSH_SECONDS = float(sys.argv[2])
    from agentarch.llm.client import stack
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.llm.types import Request
    from agentarch.store.db import Store

    RESULT = {"answer": "a", "extracted": "a", "score": 1.0, "calls": 3, "prompt_tokens": 3,
              "completion_tokens": 3, "seconds": 0.1}

    async def main():
        store = Store(sys.argv[1])
        model = stack(ScriptedModel(lambda r: "reply to " + r.messages[-1]["content"]), store).model

        async def ask(name):
            out = await model.complete(Request(messages=[{"role": "user", "content": name}]))
            assert not out.cached
            print("returned", name, flush=True)

        await asyncio.gather(*(ask(f"q{i}") for i in range(3)))
        store.put_result("k1", "t", "m", "d", "ex1", RESULT)
        print("stored ex1", flush=True)
        await asyncio.gather(*(ask(f"late{i}") for i in range(2)))
        await asyncio.sleep(4 * pending_calls.FLUSH_SECONDS)
        print("waited", flush=True)
        await asyncio.sleep(3600)  # the loop keeps running until the kill

    asyncio.run(main())
""")


def run_and_kill(folder, flush_seconds: float, kill_after: str) -> tuple[list[str], set[str], int]:
    """Run the worker in ``folder``, kill -9 it once it prints ``kill_after``; what it printed, the
    questions whose calls are committed in the store, and the number of stored results."""
    folder.mkdir(exist_ok=True)
    script, db = folder / "worker.py", folder / "c.db"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(flush_seconds)], stdout=subprocess.PIPE,
                            text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.strip() == kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, lines
    db_conn = sqlite3.connect(db)
    asked = {row[0].removeprefix("reply to ") for row in db_conn.execute("SELECT text FROM calls")}
    results = db_conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    db_conn.close()
    return lines, asked, results


def test_a_stored_result_is_committed_with_every_call_returned_before_it(tmp_path):
    # An hour between timed flushes: only the result's own transaction can have committed the calls.
    lines, committed, results = run_and_kill(tmp_path, 3600.0, "stored ex1")
    assert lines[-1] == "stored ex1" and results == 1
    assert committed == {"q0", "q1", "q2"}


def test_calls_returned_after_the_last_result_are_lost_only_until_the_timed_flush(tmp_path):
    # Killed before any timed flush: the calls returned after the stored result are not in the
    # store (the writes really are deferred)...
    lines, committed, _ = run_and_kill(tmp_path / "a", 3600.0, "returned late1")
    assert "returned late0" in lines and committed == {"q0", "q1", "q2"}
    # ...and with the default interval, once the loop has waited past it, they are.
    lines, committed, _ = run_and_kill(tmp_path / "b", 0.05, "waited")
    assert committed == {"q0", "q1", "q2", "late0", "late1"}


def test_calls_are_committed_when_the_loop_ends_and_visible_to_another_connection(tmp_path):
    import asyncio

    from agentarch.llm.cache import CachedModel
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.llm.types import Request

    store = Store(tmp_path / "c.db")
    store.pending.flush_seconds = 3600.0
    cached = CachedModel(ScriptedModel("x"), store)

    async def calls(first: int) -> None:
        for i in range(first, first + 3):
            await cached.complete(Request(messages=[{"role": "user", "content": f"q{i}"}]))
            await asyncio.sleep(0.01)  # the loop runs other work between the calls

    asyncio.run(calls(0))
    other = Store(tmp_path / "c.db")
    assert other.db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 3
    asyncio.run(calls(3))  # a second loop over the same store
    assert other.db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 6
    store.close()
    other.close()


def test_a_call_cached_without_an_event_loop_is_committed_at_once(tmp_path):
    store = Store(tmp_path / "c.db")
    store.put_call("k", "scripted", "m", "{}", "text", 1, 2, "stop")
    other = sqlite3.connect(tmp_path / "c.db")
    assert other.execute("SELECT text FROM calls WHERE key='k'").fetchone() == ("text",)
    assert store.get_call("k")[0] == "text"
    other.close()
    store.close()


def test_any_store_write_commits_the_calls_returned_before_it(tmp_path):
    import asyncio

    from agentarch.llm.cache import CachedModel
    from agentarch.llm.scripted import ScriptedModel
    from agentarch.llm.types import Request

    store = Store(tmp_path / "c.db")
    store.pending.flush_seconds = 3600.0
    cached = CachedModel(ScriptedModel("x"), store)
    seen = []

    async def main():
        other = sqlite3.connect(tmp_path / "c.db")
        for i, write in enumerate([lambda: store.start_run("r", "eval", {}), lambda: store.event("r", "e", {}),
                                   lambda: store.put_design("d", "{}", "d"), lambda: store.link("r", "d", "val"),
                                   lambda: store.set_summary("r", {}), lambda: store.finish_run("r")]):
            await cached.complete(Request(messages=[{"role": "user", "content": f"q{i}"}]))
            before = other.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
            write()
            seen.append((before, other.execute("SELECT COUNT(*) FROM calls").fetchone()[0]))
        other.close()

    asyncio.run(main())
    assert seen == [(i, i + 1) for i in range(6)]
    store.close()
