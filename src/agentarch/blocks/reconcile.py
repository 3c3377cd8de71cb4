"""ReConcile (Chen et al., 2024, 'ReConcile: Round-Table Conference Improves Reasoning via Consensus
among Diverse LLMs').

Agents with different personas each give an explanation, an answer and a confidence. In every
discussion round each agent sees the others' answers with their explanations and confidences and
revises. Discussion ends at consensus or after ``rounds``; the final answer is a vote weighted by
the recalibrated confidences, so a few confident agents can outweigh an unsure majority.
"""

import asyncio

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import agreement, majority_text, parse_confidence, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

CONFIDENCE = ("Explain your reasoning briefly. Before the answer line, give a line 'Confidence: <0 to 1>' "
              "saying how sure you are.")


def recalibrate(p: float) -> float:
    """ReConcile's confidence recalibration: sharpen self-reported confidence into vote weights."""
    return 1.0 if p >= 1.0 else 0.8 if p >= 0.9 else 0.5 if p >= 0.8 else 0.3 if p > 0.6 else 0.1


class ReconcileParams(Params):
    personas: tuple[str, ...] = Field(("Mathematician", "Careful Analyst", "Teacher"), min_length=1)
    rounds: int = Field(2, ge=1)
    temperature: float = Field(0.7, ge=0)
    max_tokens: int = Field(320, ge=1)


@register
class Reconcile(Block):
    name = "reconcile"
    paper = "ReConcile round-table conference (Chen et al., 2024)"
    summary = "Agents answer with confidence, discuss until consensus; confidence-weighted vote."
    Params = ReconcileParams

    async def speak(self, i: int, prompt: str, ctx: Context, r: int) -> str:
        return await ctx.branch(i, self.params.temperature).ask(
            prompt, system=f"You are a {self.params.personas[i]}.", max_tokens=self.params.max_tokens,
            block=f"{self.name}.round{r}")

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        first = solve_prompt(question, CONFIDENCE, ctx.answer_format)
        replies = list(await asyncio.gather(*(self.speak(i, first, ctx, 0) for i in range(len(p.personas)))))
        for r in range(1, p.rounds + 1):
            if agreement([ctx.extract(t) for t in replies]) >= 1.0:
                break
            def revise(i: int) -> str:
                others = "\n\n".join(
                    f"Agent {j + 1} answered {ctx.extract(t)!r} with confidence {parse_confidence(t):.2f}:\n{t}"
                    for j, t in enumerate(replies) if j != i)
                return solve_prompt(question, f"Your earlier solution:\n{replies[i]}\n\nThe other agents:\n"
                                              f"{others}\n\nReconsider and give your updated solution. {CONFIDENCE}",
                                    ctx.answer_format)
            replies = list(await asyncio.gather(*(self.speak(i, revise(i), ctx, r) for i in range(len(replies)))))
        weights = [recalibrate(parse_confidence(t)) for t in replies]
        ctx.notes["reconcile.weights"] = weights
        return majority_text(replies, ctx.extract, weights)
