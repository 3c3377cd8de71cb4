"""``to_pandas()`` for result objects: a DataFrame when pandas is installed, else one line saying
how to install it (pandas is optional; ``to_records()`` gives the same rows as plain dicts)."""

from __future__ import annotations

from agentarch.errors import MissingExtra


def data_frame(records: list[dict]):
    """``pandas.DataFrame(records)``, or ``MissingExtra`` with the install command."""
    try:
        import pandas
    except ImportError:
        raise MissingExtra("to_pandas() needs pandas, which is not installed. Install it with: "
                           "pip install 'agentarch[pandas]' (or use to_records() for plain dicts)") from None
    return pandas.DataFrame.from_records(records)
