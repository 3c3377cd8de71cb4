"""One task example: what the model is asked, the reference answer and any extra fields.

Plain slots dataclass (not pydantic): tasks hold hundreds of examples and are built often, and
the fields need no validation beyond what the loaders already do with file/line context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Example:
    """``input`` is shown to the model; ``target`` is the reference the metric compares with.

    ``meta`` carries whatever else the metric or a report needs (for HumanEval: ``prompt``,
    ``test``, ``entry_point``; for generated problems: ``template`` and ``steps``).
    """

    id: str
    input: str
    target: str
    meta: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A hash of everything in the example (id, input, target, meta): a stored result is
        reused only for an example with the same fingerprint, so an edited example is re-scored."""
        from agentarch.store.identity import digest

        return digest("example", self.id, self.input, self.target, self.meta)
