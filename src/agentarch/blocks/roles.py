"""Role assignment: a router picks the expert best suited to the question, who then answers
(ADAS's 'Role Assignment' baseline, Hu et al., 2025; expert prompting, Xu et al., 2023)."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import pick_index, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

DEFAULT_ROLES = ("Math Professor", "Grade School Teacher", "Careful Accountant", "Helpful Assistant")


class RolesParams(Params):
    roles: tuple[str, ...] = DEFAULT_ROLES
    max_tokens: int = Field(384, ge=1)


@register
class RoleAssignment(Block):
    name = "roles"
    paper = "Role Assignment baseline in Automated Design of Agentic Systems (Hu et al., 2025)"
    summary = "A router chooses an expert role; the expert solves step by step."
    Params = RolesParams

    async def forward(self, question: str, ctx: Context) -> str:
        roles = self.params.roles
        menu = "\n".join(f"{i + 1}. {r}" for i, r in enumerate(roles))
        choice = await ctx.ask(
            f"Question: {question}\n\nWhich expert should answer this question?\n{menu}\n\n"
            "Reply with the number of the expert only.",
            temperature=0.0, max_tokens=8, block=f"{self.name}.router")
        role = roles[pick_index(choice, len(roles), default=len(roles) - 1)]
        return await ctx.ask(solve_prompt(question, "Think step by step.", ctx.answer_format),
                             system=f"You are a {role}.", max_tokens=self.params.max_tokens, block=f"{self.name}.expert")
