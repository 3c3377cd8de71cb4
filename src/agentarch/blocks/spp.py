"""Solo Performance Prompting (Wang et al., 2024, 'Unleashing the Emergent Cognitive Synergy in Large
Language Models: A Task-Solving Agent through Multi-Persona Self-Collaboration').

One model plays several personas in a single response: it names the experts the task needs, lets an
assistant persona draft a solution, has each expert criticise it, revises until all agree and then
gives the final answer.
"""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

SPP = """Solve the question by simulating a collaboration among several personas inside your reply.
1. Participants: name the AI Assistant (you) and {personas} experts whose knowledge this question needs.
2. The AI Assistant writes a first solution.
3. Each expert checks the solution from their field and points out errors or gaps, quoting the exact step.
4. The AI Assistant revises the solution. Repeat steps 3-4 until every expert agrees.
5. Give the agreed final answer."""

# The paper prompts with worked demonstrations; one short one, given as an earlier turn of the chat,
# shows the format without inviting a copy into the answer.
DEMO_QUESTION = "A box holds 12 eggs. How many eggs are there in 3 boxes and 5 loose eggs?"
DEMO_REPLY = """Participants: AI Assistant (you); Math Teacher; Careful Accountant
AI Assistant: 3 boxes of 12 eggs hold 3 * 12 = 36 eggs; with the 5 loose eggs that makes 36 + 5 = 41.
Math Teacher: 3 * 12 = 36 is right.
Careful Accountant: The 5 loose eggs are counted once; nothing is missing.
AI Assistant: Everyone agrees.
Answer: 41"""


class SPPParams(Params):
    personas: int = Field(2, ge=1)
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(512, ge=1)


@register
class SoloPerformancePrompting(Block):
    name = "spp"
    paper = "Solo Performance Prompting (Wang et al., 2024)"
    summary = "One model simulates several expert personas that draft, criticise and revise together."
    Params = SPPParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        how = SPP.format(personas=p.personas)
        # the demonstration keeps the plain answer request: its answer need not have the task's format
        messages = [{"role": "user", "content": solve_prompt(DEMO_QUESTION, how)},
                    {"role": "assistant", "content": DEMO_REPLY},
                    {"role": "user", "content": solve_prompt(question, how, ctx.answer_format)}]
        return (await ctx.chat(messages, temperature=p.temperature,
                               max_tokens=p.max_tokens, block=self.name))[0]
