"""The racing table ``agentarch search`` prints: how many designs were screened, how many reached
the whole validation split, and the model calls sent for each (``search.loop.race_summary``)."""

from __future__ import annotations

from rich.table import Table

SHOWN = 12  # designs listed one per row (those that reached full validation first); the rest summed up


def race_table(race: dict) -> Table:
    designs = race.get("designs", [])
    table = Table(title=f"racing: {race['screened']} designs screened (rungs {','.join(map(str, race['rungs']))} "
                        f"of {race['val']} validation examples), {race['reached_full']} reached full validation",
                  caption=f"calls sent: {race['calls_full']} on designs that reached full validation, "
                          f"{race['calls_stopped']} on designs stopped early "
                          f"({race['dropped']} dropped as worse or no better, {race['cut']} cut by their budget share"
                          + _held(race) + ")"
                          + _left_out(race) + _unaffordable(race))
    for col, j in [("design", "left"), ("kind", "left"), ("outcome", "left"), ("examples", "right"),
                   ("val", "right"), ("calls sent", "right")]:
        table.add_column(col, justify=j)
    order = sorted(designs, key=lambda d: (d["outcome"] != "full", -(d.get("calls_sent") or 0)))
    for d in order[:SHOWN]:
        score = "-" if d.get("score") is None else f"{d['score']:.3f}"
        table.add_row(d["label"][:60], d["origin"], d["outcome"], f"{d['n']}/{d['of']}", score, str(d["calls_sent"]))
    rest = order[SHOWN:]
    if rest:
        table.add_row(f"... {len(rest)} more (all in report.json)", "", "", "", "",
                      str(sum(d["calls_sent"] for d in rest)))
    return table


def _held(race: dict) -> str:
    held = race.get("held", 0)
    if not held:
        return ""
    return (f", {held} held after the first rung to keep the opening batch within "
            f"{race.get('opening_share', 0):.0%} of the budget")


def _listed(race: dict, key: str, what: str) -> str:
    """"; N <what>: a, b" for the labels under ``key``, or nothing when there are none."""
    labels = race.get(key) or []
    return f"; {len(labels)} {what}: {', '.join(labels)}" if labels else ""


def _left_out(race: dict) -> str:
    return _listed(race, "coverage_left_out", "block families left out of the first batch to keep it within "
                                              f"{race.get('coverage_share', 0):.0%} of the budget")


def _unaffordable(race: dict) -> str:
    return _listed(race, "unaffordable", "proposals not raced, their dry run too costly for the first rung's share")
