"""Best-of-N with a pluggable verifier: sample the child N times, score every candidate with a
verifier and keep the best (Cobbe et al., 2021, 'Training Verifiers to Solve Math Word Problems';
Lightman et al., 2024, 'Let's Verify Step by Step'). Ties go to the majority answer among them."""

import asyncio

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import majority_text
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.blocks.verify import Scorer, VerifierName, make_scorer


class BestOfNParams(Params):
    n: int = Field(3, ge=1)
    temperature: float = Field(0.7, ge=0)
    verifier: VerifierName = "llm_judge"
    judges: int = Field(3, ge=1)  # for verifier_majority
    timeout: float = Field(5.0, gt=0)  # for exec_check


@register
class BestOfN(Block):
    name = "best_of_n"
    paper = "Best-of-N with a verifier (Cobbe et al., 2021; Lightman et al., 2024)"
    summary = "Sample the child N times; a verifier (llm_judge, verifier_majority, exec_check) picks one."
    Params = BestOfNParams
    max_children = 1
    default_children = ("cot",)

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        return await self.search(question, ctx, make_scorer(p.verifier, question, ctx, judges=p.judges,
                                                            timeout=p.timeout))

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        """Best of N candidates under ``scorer`` (PlanGEN passes its constraint verifier here)."""
        t = self.params.temperature
        candidates = list(await asyncio.gather(*(self.child(question, ctx.branch(i, t))
                                                 for i in range(self.params.n))))
        scores = await asyncio.gather(*(scorer(c) for c in candidates))
        best = max(scores)
        return majority_text([c for c, s in zip(candidates, scores) if s == best], ctx.extract)
