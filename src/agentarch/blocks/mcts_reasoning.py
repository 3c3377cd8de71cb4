"""Monte Carlo tree search over reasoning steps with reflection (LATS, Zhou et al., 2024, 'Language
Agent Tree Search Unifies Reasoning, Acting, and Planning'; SWE-Search, Antoniades et al., 2025).

Each iteration selects a leaf by UCT, expands it with ``branch`` sampled next steps, values every
new step with an LLM evaluation and backpropagates the best of those values to the root. A finished
solution scoring below ``success`` gets a reflection (what went wrong), and every later expansion
sees the reflections. Stops at the first finished solution scoring at least ``success``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from pydantic import Field

from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.blocks.stepwise import StepSearch, StepSearchParams, is_final, render
from agentarch.blocks.verify import Scorer


@dataclass(eq=False)
class Node:
    steps: list[str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    visits: int = 0
    total: float = 0.0

    @property
    def done(self) -> bool:
        return bool(self.steps) and is_final(self.steps[-1])

    def uct(self, c: float) -> float:
        if self.visits == 0:
            return math.inf
        return self.total / self.visits + c * math.sqrt(math.log(self.parent.visits + 1) / self.visits)


class MCTSParams(StepSearchParams):
    iterations: int = Field(3, ge=1)
    branch: int = Field(2, ge=1)
    depth: int = Field(4, ge=1)
    exploration: float = Field(1.0, ge=0)
    success: float = Field(0.8, ge=0, le=1)


@register
class MCTSReasoning(StepSearch):
    name = "mcts_reasoning"
    paper = "Language Agent Tree Search (Zhou et al., 2024); SWE-Search (Antoniades et al., 2025)"
    summary = "UCT tree search over steps, LLM-valued, with reflections on failed solutions."
    Params = MCTSParams

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        p = self.params
        root, reflections = Node([]), []
        best: tuple[float, list[str]] = (-1.0, [])
        for _ in range(p.iterations):
            node = root
            while node.children:
                node = max(node.children, key=lambda n: n.uct(p.exploration))
            if node.done or len(node.steps) >= p.depth:
                value = node.total / max(node.visits, 1)
            else:
                nexts = await self.expand(question, node.steps, ctx, p.branch, advice="\n".join(reflections))
                node.children = [Node([*node.steps, s], node) for s in nexts]
                values = await asyncio.gather(*(scorer(render(k.steps)) for k in node.children))
                for kid, v in zip(node.children, values):
                    kid.visits, kid.total = 1, v
                    if kid.done:
                        best = max(best, (v, kid.steps), key=lambda b: b[0])
                        if v < p.success:
                            reflections.append(await self.reflect(question, kid.steps, ctx))
                value = max(values, default=0.0)
            while node is not None:  # backpropagate
                node.visits += 1
                node.total += value
                node = node.parent
            if best[0] >= p.success:
                break
        if best[0] < 0:
            best = (0.0, self.greedy(root))
        return await self.conclude(question, best[1], ctx)

    @staticmethod
    def greedy(root: Node) -> list[str]:
        """The path of most-valued children (mean value) from the root."""
        node = root
        while node.children:
            node = max(node.children, key=lambda n: n.total / max(n.visits, 1))
        return node.steps

    async def reflect(self, question: str, steps: list[str], ctx: Context) -> str:
        return (await ctx.ask(
            f"Question: {question}\n\nA failed attempt:\n{render(steps)}\n\nIn one or two sentences, say "
            "what went wrong and what to do differently next time.",
            temperature=0.0, max_tokens=self.params.max_tokens, block=f"{self.name}.reflect")).strip()
