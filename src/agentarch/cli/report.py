"""The results table printed after an evaluation and by ``agentarch runs RUN``."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table


def summary_table(rows: list[dict], title: str = "Results") -> Table:
    table = Table(title=title)
    for col, justify in [("design", "left"), ("split", "left"), ("n", "right"), ("accuracy [95% CI]", "right"),
                         ("calls/ex", "right"), ("tokens/ex", "right"), ("s/ex", "right")]:
        table.add_column(col, justify=justify)
    for r in rows:
        acc = r["accuracy"]
        flag = "" if r.get("complete", True) else " (partial)"
        errs = f" ({r['errors']} errors)" if r.get("errors") else ""
        table.add_row(escape(r["label"]), r["split"], str(r["n"]),
                      f"{acc['mean']:.3f} [{acc['low']:.3f}, {acc['high']:.3f}]{flag}{errs}",
                      f"{r['calls']:.1f}", f"{r['tokens']:.0f}", f"{r['seconds']:.1f}")
    return table
