"""Self-Discover (Zhou et al., 2024, 'Self-Discover: Large Language Models Self-Compose Reasoning
Structures').

Four stages: SELECT the reasoning modules that fit the problem from a list, ADAPT them to it,
IMPLEMENT them as a step-by-step reasoning structure, then SOLVE by filling in the structure. (The
paper discovers one structure per task; here it is discovered per question.)
"""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import pick_many, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

MODULES = (
    "Restate the problem in your own words and name what is being asked for.",
    "List every given quantity and condition before using any of them.",
    "Split the problem into smaller sub-problems and solve them in order.",
    "Work backwards from what the answer must look like.",
    "Find a formula, rule or known fact that links the givens to the unknown.",
    "Write the relationships as equations and solve them.",
    "Try a small concrete example or special case to see the pattern.",
    "Consider alternative interpretations of ambiguous wording and pick the most sensible.",
    "Track units and quantities at each step so nothing is counted twice or missed.",
    "Look for a simpler equivalent problem and solve that first.",
    "Check the result against every condition and estimate whether its size is plausible.",
    "Reason about cause and effect: what changes what, and in which order.",
)


class SelfDiscoverParams(Params):
    modules: tuple[str, ...] = Field(MODULES, min_length=1)
    select: int = Field(3, ge=1)
    max_tokens: int = Field(256, ge=1)


@register
class SelfDiscover(Block):
    name = "self_discover"
    paper = "Self-Discover (Zhou et al., 2024)"
    summary = "Select, adapt and implement reasoning modules into a plan, then solve by following it."
    Params = SelfDiscoverParams

    async def stage(self, prompt: str, ctx: Context, stage: str, max_tokens: int) -> str:
        return (await ctx.ask(prompt, temperature=0.0, max_tokens=max_tokens, block=f"{self.name}.{stage}")).strip()

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        menu = "\n".join(f"{i + 1}. {m}" for i, m in enumerate(p.modules))
        reply = await self.stage(f"Question: {question}\n\nReasoning modules:\n{menu}\n\nSelect the {p.select} "
                                 "modules most useful for this question. Reply with their numbers only.",
                                 ctx, "select", 24)
        chosen = "\n".join(f"- {p.modules[i]}" for i in pick_many(reply, len(p.modules), p.select))
        adapted = await self.stage(f"Question: {question}\n\nSelected modules:\n{chosen}\n\nRephrase each "
                                   "module so it is specific to this question. Do not solve it.",
                                   ctx, "adapt", p.max_tokens)
        plan = await self.stage(f"Question: {question}\n\nAdapted modules:\n{adapted}\n\nTurn them into a "
                                "numbered step-by-step reasoning plan to follow. Do not solve it.",
                                ctx, "implement", p.max_tokens)
        return await ctx.ask(solve_prompt(question, f"Follow this reasoning plan, filling in each step:\n{plan}",
                                          ctx.answer_format),
                             temperature=0.0, max_tokens=2 * p.max_tokens, block=f"{self.name}.solve")
