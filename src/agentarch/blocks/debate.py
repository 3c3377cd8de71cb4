"""LLM debate: m agents answer, read each other's answers for r rounds, then a final decision
(Du et al., 2023, 'Improving Factuality and Reasoning in Language Models through Multiagent Debate')."""

import asyncio

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import majority, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class DebateParams(Params):
    agents: int = Field(3, ge=1)
    rounds: int = Field(2, ge=1)
    temperature: float = Field(0.7, ge=0)
    final: str = "vote"  # "vote" or "judge"
    max_tokens: int = Field(320, ge=1)


@register
class Debate(Block):
    name = "debate"
    paper = "Multiagent Debate (Du et al., 2023)"
    summary = "m agents answer, see each other's answers for r rounds, then vote or a judge decides."
    Params = DebateParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        first = solve_prompt(question, "Think step by step.", ctx.answer_format)
        answers = await ctx.samples(first, p.agents, p.temperature, max_tokens=p.max_tokens,
                                    block=f"{self.name}.open")
        for r in range(1, p.rounds):
            async def respond(i: int) -> str:
                others = "\n\n".join(f"Another agent's solution:\n{a}" for j, a in enumerate(answers) if j != i)
                prompt = (f"{first}\n\nYour earlier solution:\n{answers[i]}\n\n{others}\n\n"
                          "Using the other solutions as extra advice, give an updated solution step by step.")
                return await ctx.branch(i, p.temperature).ask(prompt, max_tokens=p.max_tokens,
                                                              block=f"{self.name}.round{r}")
            answers = list(await asyncio.gather(*(respond(i) for i in range(p.agents))))
        extracted = [ctx.extract(a) for a in answers]
        if p.final == "judge":
            listing = "\n\n".join(f"Solution {i + 1}:\n{a}" for i, a in enumerate(answers))
            return await ctx.ask(f"{first}\n\nSeveral agents debated:\n\n{listing}\n\n"
                                 "Decide the correct final answer, giving reasons briefly.",
                                 temperature=0.0, max_tokens=p.max_tokens, block=f"{self.name}.judge")
        return answers[extracted.index(majority(extracted))]
