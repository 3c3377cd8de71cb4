"""Direct answer: ask once, no reasoning. The floor every design is compared against.

``instruction`` (empty by default: the prompt is then exactly the plain one) is put before the
request for the answer; the search fills it with instructions proposed from failures."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import answer_line
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class DirectParams(Params):
    max_tokens: int = Field(64, ge=1)
    instruction: str = ""


@register
class Direct(Block):
    name = "direct"
    paper = "Baseline: a single direct answer (Brown et al., 2020, 'Language Models are Few-Shot Learners')"
    summary = "Answer at once, without reasoning."
    Params = DirectParams

    async def forward(self, question: str, ctx: Context) -> str:
        lead = f"{self.params.instruction.strip()} " if self.params.instruction.strip() else ""
        prompt = (f"Question: {question}\n\n{lead}Give only the final answer, no explanation. "
                  f"{answer_line(ctx.answer_format)}")
        return await ctx.ask(prompt, temperature=0.0, max_tokens=self.params.max_tokens, block=self.name)
