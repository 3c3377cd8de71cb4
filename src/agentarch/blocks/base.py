"""What a building block is: typed parameters, optional child blocks, and one async ``forward``.

Follows DSPy's habit of tiny uniform modules: a block answers one question text and returns the
answer text; composition happens through ``children`` (for example self-consistency samples its
child n times). Every block names the paper it follows in ``paper``. In Python a block is built
from keyword parameters and a child (``SelfConsistency(n=5, child=ChainOfThought())``) and turns
into its JSON design with ``spec()`` (same id as the equivalent JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from agentarch.blocks.spec import DesignSpec

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

    def __init__(self, params: Params | None = None, children: list["Block"] | None = None, *,
                 child: "Block | None" = None, **values: Any):
        """``params``/``children`` as the design spec builds them, or keyword parameter ``values``
        and one ``child`` (``SelfConsistency(n=5, child=ChainOfThought())``)."""
        if values:
            if params is not None:
                raise TypeError(f"{type(self).__name__}: give params or keyword parameters, not both")
            try:
                params = self.Params(**values)
            except ValidationError as exc:
                from agentarch.errors import ConfigError

                e = exc.errors()[0]
                where = ".".join(str(x) for x in e["loc"])
                raise ConfigError(f"block '{self.name}': parameter '{where}': {e['msg']}") from None
        if child is not None:
            if children:
                raise TypeError(f"{type(self).__name__}: give child or children, not both")
            children = [child]
        for c in children or []:
            if not isinstance(c, Block):
                raise TypeError(f"{type(self).__name__}: a child must be a block, not {type(c).__name__}")
        self.params = params if params is not None else self.Params()
        self.children = list(children or [])

    def spec(self) -> "DesignSpec":
        """This block tree as a design: the parameters that were set, and the children unless they
        are the block's default ones. Its ``id`` equals that of the same design written as JSON."""
        from agentarch.blocks.spec import DesignSpec

        params = self.params.model_dump(mode="json", include=set(self.params.model_fields_set))
        kids = tuple(c.spec() for c in self.children)
        if [k.canonical() for k in kids] == [DesignSpec(block=b).canonical() for b in self.default_children]:
            kids = ()
        return DesignSpec(block=self.name, params=params, children=kids)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec().label()}>"

    @property
    def child(self) -> "Block":
        return self.children[0]

    async def forward(self, question: str, ctx: Context) -> str:
        raise NotImplementedError

    async def __call__(self, question: str, ctx: Context) -> str:
        return await self.forward(question, ctx)
