"""Quality-diversity: make several attempts that deliberately differ, then pick the best one
(ADAS's 'Quality-Diversity' baseline, Hu et al., 2025; after Lu et al., 2024, Intelligent Go-Explore)."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import numbered, pick_index, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class QDParams(Params):
    attempts: int = Field(3, ge=1)
    temperature: float = Field(0.8, ge=0)
    max_tokens: int = Field(320, ge=1)


@register
class QualityDiversity(Block):
    name = "quality_diversity"
    paper = "Quality-Diversity baseline in Automated Design of Agentic Systems (Hu et al., 2025)"
    summary = "Several attempts, each asked to differ from the earlier ones; a judge picks one."
    Params = QDParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        attempts: list[str] = []
        for i in range(p.attempts):
            extra = ("" if not attempts else
                     f"Earlier attempts:\n{numbered(attempts, 'Attempt')}\n\nSolve it with a different approach.\n")
            attempts.append(await ctx.branch(i, p.temperature).ask(
                solve_prompt(question, extra + "Think step by step.", ctx.answer_format), max_tokens=p.max_tokens,
                block=f"{self.name}.attempt"))
        verdict = await ctx.ask(
            f"Question: {question}\n\n{numbered(attempts)}\n\nWhich candidate is correct? "
            "Reply with 'Candidate <number>'.", temperature=0.0, max_tokens=16, block=f"{self.name}.judge")
        return attempts[pick_index(verdict, len(attempts))]
