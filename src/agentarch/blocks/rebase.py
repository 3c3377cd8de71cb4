"""REBASE, reward-balanced search (Wu et al., 2024, 'Inference Scaling Laws: An Empirical Analysis
of Compute-Optimal Inference for Problem-Solving with Language Models').

The tree grows one depth at a time. The expansion width still to spend (``width`` minus finished
solutions) is split across the current nodes in proportion to softmax(reward / temperature): a node
with a higher reward gets more children, a low one may get none. Finished solutions are combined by
a reward-weighted majority vote.
"""

import asyncio

from pydantic import Field

from agentarch.blocks.common import majority_text, softmax
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.blocks.stepwise import StepSearch, StepSearchParams, allocate, is_final, render
from agentarch.blocks.verify import Scorer


class RebaseParams(StepSearchParams):
    width: int = Field(4, ge=1)
    depth: int = Field(4, ge=1)
    balance_temperature: float = Field(0.2, ge=0)


@register
class Rebase(StepSearch):
    name = "rebase"
    paper = "REBASE reward-balanced search (Wu et al., 2024, Inference Scaling Laws)"
    summary = "Expand each depth with widths proportional to softmax(reward/T); weighted vote of finished."
    Params = RebaseParams

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        p = self.params
        nodes: list[tuple[list[str], float]] = [([], 1.0)]
        finished: list[tuple[list[str], float]] = []
        for _ in range(p.depth):
            widths = allocate(softmax([r for _, r in nodes], p.balance_temperature), p.width - len(finished))
            groups = await asyncio.gather(*(self.expand(question, steps, ctx, w)
                                            for (steps, _), w in zip(nodes, widths)))
            kids = [[*steps, s] for (steps, _), group in zip(nodes, groups) for s in group]
            rewards = await asyncio.gather(*(scorer(render(k)) for k in kids))
            nodes = []
            for kid, reward in zip(kids, rewards):
                (finished if is_final(kid[-1]) else nodes).append((kid, reward))
            if not nodes or len(finished) >= p.width:
                break
        if not finished:
            return await self.conclude(question, max(nodes, key=lambda n: n[1])[0] if nodes else [], ctx)
        return majority_text([render(s) for s, _ in finished], ctx.extract, [r for _, r in finished])
