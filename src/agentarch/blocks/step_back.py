"""Step-back prompting: first ask for the underlying principle, then solve using it
(Zheng et al., 2024, 'Take a Step Back: Evoking Reasoning via Abstraction in Large Language Models')."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class StepBackParams(Params):
    max_tokens: int = Field(384, ge=1)


@register
class StepBack(Block):
    name = "step_back"
    paper = "Step-Back Prompting (Zheng et al., 2024)"
    summary = "State the principles behind the question, then solve with them."
    Params = StepBackParams

    async def forward(self, question: str, ctx: Context) -> str:
        principles = await ctx.ask(
            f"Question: {question}\n\nDo not solve it yet. What general principles, formulas or "
            "concepts are needed to solve this kind of problem? List them briefly.",
            temperature=0.0, max_tokens=160, block=f"{self.name}.abstract")
        return await ctx.ask(
            solve_prompt(question, f"Useful principles:\n{principles}\n\nUsing these principles, think step by step.",
                         ctx.answer_format),
            max_tokens=self.params.max_tokens, block=f"{self.name}.solve")
