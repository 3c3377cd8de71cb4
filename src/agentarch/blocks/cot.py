"""Chain-of-thought: reason step by step, then give the answer (Wei et al., 2022; Kojima et al., 2022)."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

INSTRUCTIONS = {
    "step_by_step": "Let's think step by step.",
    "careful": "Solve the problem carefully, writing out each calculation before the answer.",
    "plan": "First write a short plan, then carry it out step by step.",
}


class CoTParams(Params):
    instruction: str = "step_by_step"
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(384, ge=1)


@register
class ChainOfThought(Block):
    name = "cot"
    paper = "Chain-of-Thought prompting (Wei et al., 2022); zero-shot 'think step by step' (Kojima et al., 2022)"
    summary = "Reason step by step, then answer."
    Params = CoTParams

    async def forward(self, question: str, ctx: Context) -> str:
        instruction = INSTRUCTIONS.get(self.params.instruction, self.params.instruction)
        return await ctx.ask(solve_prompt(question, instruction, ctx.answer_format),
                             temperature=self.params.temperature, max_tokens=self.params.max_tokens, block=self.name)
