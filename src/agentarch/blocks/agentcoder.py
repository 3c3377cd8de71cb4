"""AgentCoder (Huang et al., 2023, 'AgentCoder: Multi-Agent-based Code Generation with Iterative
Testing and Optimisation').

Three agents: a programmer writes the function; a test designer, who never sees the code, writes
assert tests from the specification; a test executor runs code and tests in the sandbox. Failures
go back to the programmer until the tests pass or ``rounds`` are spent. For HumanEval-style
questions (signature and docstring given); returns the final code in a ```python block.
"""

import re

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.context import Context
from agentarch.blocks.program_of_thought import code_of
from agentarch.blocks.registry import register
from agentarch.blocks.verify import run_with_tests


def entry_point(question: str) -> str:
    """The function to implement: the last ``def`` in the question."""
    names = re.findall(r"^\s*def\s+(\w+)\s*\(", question, re.M)
    return names[-1] if names else "the function"


def assert_lines(text: str, limit: int) -> str:
    """The first ``limit`` ``assert`` lines of a test designer's reply."""
    lines = [ln.strip() for ln in code_of(text).splitlines() if ln.strip().startswith("assert ")]
    return "\n".join(lines[:limit])


class AgentCoderParams(Params):
    rounds: int = Field(3, ge=1)
    tests: int = Field(5, ge=1)
    timeout: float = Field(10.0, gt=0)
    max_tokens: int = Field(512, ge=1)


@register
class AgentCoder(Block):
    name = "agentcoder"
    paper = "AgentCoder (Huang et al., 2023)"
    summary = "Programmer, test designer and test executor agents; revise the code until its tests pass."
    Params = AgentCoderParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        fn = entry_point(question)
        tests = assert_lines(await ctx.ask(
            f"{question}\n\nYou are a test designer. Do not implement the function. Write {p.tests} assert "
            f"statements that call {fn} on basic, edge and tricky inputs, in a ```python block.",
            temperature=0.0, max_tokens=p.max_tokens, block=f"{self.name}.tests"), p.tests)
        prompt = (f"{question}\n\nYou are a programmer. Write the complete function {fn} in a ```python block. "
                  "Think about edge cases first.")
        code, feedback = "", ""
        for _ in range(p.rounds):
            code = code_of(await ctx.ask(prompt + feedback, temperature=0.0, max_tokens=p.max_tokens,
                                         block=f"{self.name}.programmer"))
            result = await run_with_tests(ctx, code, tests, p.timeout)
            if result.ok:
                break
            feedback = (f"\n\nYour previous code:\n```python\n{code}\n```\nfailed when run with the tests:\n"
                        f"{(result.error or result.stdout or 'no output').strip()[-400:]}\nFix the code.")
        return f"```python\n{code}\n```"
