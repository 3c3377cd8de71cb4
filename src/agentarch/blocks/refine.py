"""Self-refine: answer, criticise the answer, revise; repeat up to k rounds or until the critic
approves (Madaan et al., 2023, 'Self-Refine: Iterative Refinement with Self-Feedback')."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import answer_line
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

APPROVED = "CORRECT"


class RefineParams(Params):
    rounds: int = Field(2, ge=1)
    max_tokens: int = Field(384, ge=1)


@register
class SelfRefine(Block):
    name = "refine"
    paper = "Self-Refine (Madaan et al., 2023); Reflexion-style critique (Shinn et al., 2023)"
    summary = "Critic reviews the answer; reviser fixes it; up to k rounds or until approved."
    Params = RefineParams
    max_children = 1
    default_children = ("cot",)

    async def forward(self, question: str, ctx: Context) -> str:
        answer = await self.child(question, ctx)
        for _ in range(self.params.rounds):
            critique = await ctx.ask(
                f"Question: {question}\n\nProposed solution:\n{answer}\n\n"
                "Check the solution step by step. If it is fully correct, reply with the single word "
                f"{APPROVED}. Otherwise explain the mistake briefly.",
                temperature=0.0, max_tokens=self.params.max_tokens, block=f"{self.name}.critic")
            if critique.strip().upper().startswith(APPROVED):
                break
            answer = await ctx.ask(
                f"Question: {question}\n\nPrevious solution:\n{answer}\n\nFeedback:\n{critique}\n\n"
                f"Write a corrected solution step by step. {answer_line(ctx.answer_format)}",
                temperature=0.0, max_tokens=self.params.max_tokens, block=f"{self.name}.revise")
        return answer
