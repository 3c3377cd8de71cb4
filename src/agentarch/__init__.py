"""agentarch: automatically design, test and serve LLM agent systems.

A task is examples plus a metric; a design is an agent system (a tree of building blocks, or
generated Python); agentarch evaluates designs honestly on held-out data and keeps everything
in an embedded SQLite store.
"""

__version__ = "0.1.0"

from agentarch.errors import AgentArchError, BudgetExceeded  # noqa: E402

__all__ = ["AgentArchError", "BudgetExceeded", "__version__"]
