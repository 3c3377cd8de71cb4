"""The anytime plot: best validation score so far against model calls spent, with the baselines
as horizontal lines (matplotlib, Agg backend; no display needed)."""

from __future__ import annotations

from pathlib import Path

from agentarch.errors import require


def anytime_plot(curves: dict[str, list[tuple[float, float]]], path: str | Path, *,
                 baselines: dict[str, float] | None = None, title: str = "", xlabel: str = "model calls spent",
                 ylabel: str = "best validation score") -> Path:
    """``curves``: name -> [(calls, best score), ...] drawn as steps; ``baselines``: name -> score."""
    matplotlib = require("matplotlib", "search")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for name, pts in curves.items():
        pts = [(x, y) for x, y in pts if y is not None]
        if pts:
            xs, ys = zip(*pts)
            ax.step(xs, ys, where="post", label=name, linewidth=2)
            ax.plot(xs, ys, "o", markersize=3, color=ax.lines[-1].get_color())
    styles = ["--", ":", "-."]
    grouped: dict[float, list[str]] = {}  # baselines with equal scores share one line and label
    for name, score in (baselines or {}).items():
        grouped.setdefault(round(score, 4), []).append(name)
    for i, (score, names) in enumerate(sorted(grouped.items(), key=lambda kv: -kv[0])):
        name = ", ".join(names)
        ax.axhline(score, linestyle=styles[i % 3], linewidth=1, color="gray", alpha=0.8)
        ax.annotate(f"{name} {score:.2f}", xy=(0, score), xycoords=("axes fraction", "data"),
                    xytext=(2, 2), textcoords="offset points", fontsize=7, color="dimgray")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
