"""Self-consistency: sample the child several times and take the majority answer
(Wang et al., 2023, 'Self-Consistency Improves Chain of Thought Reasoning in Language Models')."""

import asyncio

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import majority
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class SCParams(Params):
    n: int = Field(5, ge=1)
    temperature: float = Field(0.7, ge=0)


@register
class SelfConsistency(Block):
    name = "self_consistency"
    paper = "Self-Consistency (Wang et al., 2023)"
    summary = "Sample the child n times at temperature > 0; majority vote on extracted answers."
    Params = SCParams
    max_children = 1
    default_children = ("cot",)

    async def forward(self, question: str, ctx: Context) -> str:
        t = self.params.temperature
        texts = await asyncio.gather(*(self.child(question, ctx.branch(i, t)) for i in range(self.params.n)))
        answers = [ctx.extract(t) for t in texts]
        winner = majority(answers)
        return texts[answers.index(winner)] if winner in answers else texts[0]
