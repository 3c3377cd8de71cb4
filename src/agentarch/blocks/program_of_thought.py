"""Program-of-thought: the model writes a Python program whose output is the answer; the program
runs in the sandbox (Chen et al., 2023, 'Program of Thoughts Prompting'; Gao et al., 2023, PAL)."""

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import answer_hint
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.tasks.extract import extract_code


def code_of(text: str) -> str:
    """The program in a reply: the task layer's code extractor, trimmed for running as a script."""
    return extract_code(text).strip()


class PoTParams(Params):
    retries: int = Field(1, ge=0)
    timeout: float = Field(5.0, gt=0)
    max_tokens: int = Field(384, ge=1)


@register
class ProgramOfThought(Block):
    name = "program_of_thought"
    paper = "Program of Thoughts (Chen et al., 2023); PAL (Gao et al., 2023)"
    summary = "Write Python that prints the answer; run it in the sandbox; retry on error."
    Params = PoTParams

    async def forward(self, question: str, ctx: Context) -> str:
        prompt = (f"Question: {question}\n\nWrite a short Python program that computes the answer and "
                  f"prints only the final answer{answer_hint(ctx.answer_format)}. Reply with the code in a "
                  "```python block.")
        feedback = ""
        for _ in range(self.params.retries + 1):
            text = await ctx.ask(prompt + feedback, temperature=0.0, max_tokens=self.params.max_tokens,
                                 block=self.name)
            result = await ctx.run_code(code_of(text), timeout=self.params.timeout)
            if result.ok and result.stdout.strip():
                return f"Answer: {result.stdout.strip().splitlines()[-1]}"
            feedback = (f"\n\nYour previous program:\n```python\n{code_of(text)}\n```\n"
                        f"failed with: {(result.error or 'no output').strip()[-300:]}\nFix it.")
        return ""
