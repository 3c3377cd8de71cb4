"""What a building block is: typed parameters, optional child blocks, and one async ``forward``.

Follows DSPy's habit of tiny uniform modules: a block answers one question text and returns the
answer text; composition happens through ``children`` (for example self-consistency samples its
child n times). Every block names the paper it follows in ``paper``. In Python a block is built
from keyword parameters and a child (``SelfConsistency(n=5, child=ChainOfThought())``); its
``to_dict()`` is its JSON design (``DesignSpec.from_block`` / ``aa.design`` give the same id as the
equivalent JSON). This module imports nothing else from agentarch: export copies it as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

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
    model: str | None = None  # the named model this block and its children call (None: the caller's)

    def __init__(self, params: Params | None = None, children: list["Block"] | None = None, *,
                 child: "Block | None" = None, model: str | None = None, **values: Any):
        """``params``/``children`` as the design spec builds them, or keyword parameter ``values``
        (validated by ``Params``: a bad one raises pydantic's ``ValidationError``, a ``ValueError``)
        and one ``child`` (``SelfConsistency(n=5, child=ChainOfThought())``). ``model`` names the
        model this block's calls (and its children's, unless they name one) go to."""
        if values:
            if params is not None:
                raise TypeError(f"{type(self).__name__}: give params or keyword parameters, not both")
            params = self.Params(**values)
        if child is not None:
            if children:
                raise TypeError(f"{type(self).__name__}: give child or children, not both")
            children = [child]
        for c in children or []:
            if not isinstance(c, Block):
                raise TypeError(f"{type(self).__name__}: a child must be a block, not {type(c).__name__}")
        self.params = params if params is not None else self.Params()
        self.children = list(children or [])
        self.model = model or None

    def to_dict(self) -> dict:
        """This block tree as a JSON design: the parameters that were set, and the children unless
        they are the block's default ones."""
        out: dict = {"block": self.name}
        if self.model:
            out["model"] = self.model
        params = self.params.model_dump(mode="json", include=set(self.params.model_fields_set))
        if params:
            out["params"] = params
        kids = [c.to_dict() for c in self.children]
        if kids and kids != [{"block": b} for b in self.default_children]:
            out["children"] = kids
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_dict()}>"

    @property
    def child(self) -> "Block":
        return self.children[0]

    async def forward(self, question: str, ctx: Context) -> str:
        raise NotImplementedError

    async def __call__(self, question: str, ctx: Context) -> str:
        return await self.forward(question, ctx.using(self.model) if self.model else ctx)
