"""What a building block is: typed parameters, optional child blocks, and one async ``forward``.

Follows DSPy's habit of tiny uniform modules: a block answers one question text and returns the
answer text; composition happens through ``children`` (for example self-consistency samples its
child n times). Every block names the paper it follows in ``paper``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from agentarch.blocks.context import Context


class Params(BaseModel):
    """Base for a block's parameters: typed, validated, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Block:
    """A building block. Subclasses set ``name``, ``paper``, ``Params`` and implement ``forward``.

    ``max_children`` is how many child blocks it takes (0 = a leaf); ``default_children`` are used
    when a spec gives none. ``version`` feeds the code fingerprint of stored results (with the
    block's source): bump it when behaviour changes in a way the source does not show.
    """

    name: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    max_children: ClassVar[int] = 0
    default_children: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1

    def __init__(self, params: Params | None = None, children: list["Block"] | None = None):
        self.params = params if params is not None else self.Params()
        self.children = children or []

    @property
    def child(self) -> "Block":
        return self.children[0]

    async def forward(self, question: str, ctx: Context) -> str:
        raise NotImplementedError

    async def __call__(self, question: str, ctx: Context) -> str:
        return await self.forward(question, ctx)
