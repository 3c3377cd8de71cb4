"""Best-first tree search over partial solutions (Koh et al., 2024, 'Tree Search for Language Model
Agents'; Tree of Thoughts, Yao et al., 2023).

The frontier is a priority queue ordered by a model-based value of each partial solution; the best
node is expanded first into ``branch`` sampled next steps, each scored by the value function. The
search stops after ``budget`` expansions, at ``depth`` steps, or as soon as a finished solution
scores at least ``stop_value``; the best finished solution wins.
"""

import asyncio
import heapq
import itertools

from pydantic import Field

from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.blocks.stepwise import StepSearch, StepSearchParams, is_final, render
from agentarch.blocks.verify import Scorer


class TreeSearchParams(StepSearchParams):
    branch: int = Field(2, ge=1)
    budget: int = Field(4, ge=1)  # expansions
    depth: int = Field(4, ge=1)
    stop_value: float = Field(0.9, ge=0, le=1)


@register
class TreeSearch(StepSearch):
    name = "tree_search"
    paper = "Tree Search for Language Model Agents (Koh et al., 2024); Tree of Thoughts (Yao et al., 2023)"
    summary = "Best-first search over reasoning steps scored by a model value function, with a budget."
    Params = TreeSearchParams

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        p = self.params
        tie = itertools.count()
        frontier: list = [(0.0, next(tie), [])]
        best: tuple[float, list[str]] = (-1.0, [])
        for _ in range(p.budget):
            if not frontier:
                break
            _, _, steps = heapq.heappop(frontier)
            kids = [[*steps, s] for s in await self.expand(question, steps, ctx, p.branch)]
            values = await asyncio.gather(*(scorer(render(k)) for k in kids))
            for kid, value in zip(kids, values):
                if is_final(kid[-1]) or len(kid) >= p.depth:
                    best = max(best, (value, kid), key=lambda b: b[0])
                else:
                    heapq.heappush(frontier, (-value, next(tie), kid))
            if best[0] >= p.stop_value:
                break
        if best[0] < 0 and frontier:  # budget spent before any solution finished
            best = (0.0, frontier[0][2])
        return await self.conclude(question, best[1], ctx)
