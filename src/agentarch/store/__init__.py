"""The embedded store: one SQLite file (WAL) holding runs, designs, per-example results, the
model-call cache and events. A killed run resumes from it without paying again."""

from agentarch.store.db import Store

__all__ = ["Store"]
