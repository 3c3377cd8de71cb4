"""Before/after for answer extraction: the same stored answers scored by the metric of another
git revision (default ``main``) and by the metric in this checkout. No model calls.

Sources: a store (every result row of a task, per design) or a JSON file written by
``bench/capture_replies.py`` (per design). Prints, per design, accuracy old -> new, how many
answers changed score, and how many are "no answer" (nothing extracted) under each.

    .venv/bin/python bench/rescore_answers.py --db /tmp/answers.db
    .venv/bin/python bench/rescore_answers.py --fixture tests/fixtures/replies_choice6.json --show
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from agentarch.errors import AgentArchError
from agentarch.tasks import Example, get_metric, load_task

ROOT = Path(__file__).resolve().parent.parent


def metrics_at(ref: str):
    """The ``METRICS`` dict of ``agentarch.tasks.metrics`` at git revision ``ref``."""
    tmp = Path(tempfile.mkdtemp(prefix="agentarch_metrics_"))
    files = {"extract": "src/agentarch/tasks/extract.py", "metrics": "src/agentarch/tasks/metrics.py"}
    for name, path in files.items():
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True,
                             capture_output=True, text=True).stdout
        src = src.replace("from agentarch.tasks.extract import", f"from {ref_mod(ref)}_extract import")
        (tmp / f"{ref_mod(ref)}_{name}.py").write_text(src)
    sys.path.insert(0, str(tmp))
    spec = importlib.util.spec_from_file_location(f"{ref_mod(ref)}_metrics", tmp / f"{ref_mod(ref)}_metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.METRICS


def ref_mod(ref: str) -> str:
    return "rev_" + "".join(c if c.isalnum() else "_" for c in ref)


def rows_from_db(db: str):
    """(group, metric name, example, answer) for every stored result whose task loads."""
    con = sqlite3.connect(db)
    labels = dict(con.execute("SELECT id, label FROM designs"))
    tasks = {}
    for task_name, design_id, example_id, answer in con.execute(
            "SELECT task, design_id, example_id, answer FROM results ORDER BY task, design_id, example_id"):
        if task_name not in tasks:
            try:
                tasks[task_name] = load_task(task_name)
            except AgentArchError:  # not a built-in task (e.g. the capture's own questions)
                tasks[task_name] = None
                print(f"skipping task {task_name!r}: not a built-in task")
        task = tasks[task_name]
        if task is None:
            continue
        yield f"{task_name} / {labels.get(design_id, design_id)}", task.metric.name, task.get(example_id), answer


def rows_from_fixture(path: str, metric: str):
    data = json.loads(Path(path).read_text())
    for r in data["records"]:
        yield (f"{data['task']} / {r['design']}", metric,
               Example(id=r["id"], input=r["input"], target=r["target"]), r["reply"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--db")
    src.add_argument("--fixture")
    ap.add_argument("--metric", default="", help="Metric for a fixture (default: from its task).")
    ap.add_argument("--ref", default="main", help="The git revision to compare with.")
    ap.add_argument("--show", action="store_true", help="Print every answer whose score changed.")
    args = ap.parse_args()
    old = metrics_at(args.ref)
    if args.db:
        rows = rows_from_db(args.db)
    else:
        metric = args.metric or ("choice" if "choice" in Path(args.fixture).name else "numeric")
        rows = rows_from_fixture(args.fixture, metric)
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for group, metric_name, example, answer in rows:
        new_m, old_m = get_metric(metric_name), old[metric_name]
        s_old, s_new = old_m.score(answer, example), new_m.score(answer, example)
        x_old, x_new = old_m.extract(answer), new_m.extractor(example)(answer)
        st = stats[group]
        st["n"] += 1
        st["old"] += s_old
        st["new"] += s_new
        st["changed"] += s_old != s_new
        st["none_old"] += x_old == ""
        st["none_new"] += x_new == ""
        if args.show and (s_old != s_new or x_old != x_new):
            tail = " | ".join(answer.strip().splitlines()[-2:])[-160:]
            print(f"  {example.id} target={example.target!r} old={x_old!r}({s_old:g}) "
                  f"new={x_new!r}({s_new:g}) ...{tail!r}")
    print(f"{'task / design':40} {'n':>3}  {'old acc':>8}  {'new acc':>8}  changed  no-answer old->new")
    for group, st in stats.items():
        n = st["n"]
        print(f"{group:40} {int(n):>3}  {st['old'] / n:8.3f}  {st['new'] / n:8.3f}  {int(st['changed']):>7}"
              f"  {int(st['none_old']):>3} -> {int(st['none_new'])}")


if __name__ == "__main__":
    main()
