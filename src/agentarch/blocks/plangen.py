"""PlanGEN (Parmar et al., 2025, 'PlanGEN: A Multi-Agent Framework for Generating Planning and
Reasoning Trajectories for Complex Problem Solving').

Three agents: a constraint agent lists the instance's constraints; a verification agent scores a
candidate against them (0-100); a selection agent rates the instance's complexity and picks the
inference algorithm for it - Best-of-N when simple, tree search when moderate, REBASE when hard.
The chosen algorithm runs with the verification agent as its scorer.
"""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.best_of_n import BestOfN
from agentarch.blocks.common import parse_score
from agentarch.blocks.context import Context
from agentarch.blocks.cot import ChainOfThought
from agentarch.blocks.rebase import Rebase
from agentarch.blocks.registry import register
from agentarch.blocks.tree_search import TreeSearch
from agentarch.blocks.verify import Scorer


async def constraint_agent(question: str, ctx: Context, max_tokens: int = 160) -> str:
    return (await ctx.ask(
        f"Question: {question}\n\nDo not solve it. List the constraints a correct solution must satisfy "
        "(given quantities, conditions, rules, the form of the answer), one per line.",
        temperature=0.0, max_tokens=max_tokens, block="plangen.constraints")).strip()


def verification_agent(question: str, constraints: str, ctx: Context) -> Scorer:
    """A scorer: how well a candidate satisfies ``constraints``, 0-100 read as [0, 1]."""
    async def score(candidate: str) -> float:
        reply = await ctx.ask(
            f"Question: {question}\n\nConstraints:\n{constraints}\n\nCandidate solution:\n{candidate}\n\n"
            "Check the candidate against every constraint. Reply with 'Score: <0-100>' (100 = all met).",
            temperature=0.0, max_tokens=32, block="plangen.verify")
        return parse_score(reply, top=100)
    return score


async def selection_agent(question: str, constraints: str, ctx: Context, simple_max: int, moderate_max: int) -> str:
    """The algorithm for this instance from its rated complexity (1-10)."""
    reply = await ctx.ask(
        f"Question: {question}\n\nConstraints:\n{constraints}\n\nHow complex is this problem, from 1 "
        "(trivial) to 10 (very hard)? Reply with 'Score: <1-10>'.",
        temperature=0.0, max_tokens=16, block="plangen.select")
    level = round(parse_score(reply, top=10, default=0.5) * 10)
    return "best_of_n" if level <= simple_max else "tree_search" if level <= moderate_max else "rebase"


class PlanGENParams(Params):
    n: int = Field(3, ge=1)  # Best-of-N samples, tree-search budget, REBASE width
    depth: int = Field(3, ge=1)
    simple_max: int = Field(3, ge=1)
    moderate_max: int = Field(6, ge=1)
    temperature: float = Field(0.7, ge=0)


@register
class PlanGEN(Block):
    name = "plangen"
    paper = "PlanGEN (Parmar et al., 2025)"
    summary = "Constraint, verification and selection agents; picks Best-of-N, tree search or REBASE per instance."
    Params = PlanGENParams

    def algorithm(self, name: str) -> Block:
        p = self.params
        if name == "best_of_n":
            return BestOfN(BestOfN.Params(n=p.n, temperature=p.temperature), [ChainOfThought()])
        if name == "tree_search":
            return TreeSearch(TreeSearch.Params(budget=p.n, depth=p.depth, temperature=p.temperature))
        return Rebase(Rebase.Params(width=p.n, depth=p.depth, temperature=p.temperature))

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        constraints = await constraint_agent(question, ctx)
        choice = await selection_agent(question, constraints, ctx, p.simple_max, p.moderate_max)
        ctx.notes["plangen.algorithm"] = choice
        return await self.algorithm(choice).search(question, ctx, verification_agent(question, constraints, ctx))
