"""Verifiers: functions that score a candidate solution in [0, 1]. Best-of-N, tree search, REBASE,
particle filtering and PlanGEN all score through here, so each scoring prompt exists once.

- ``llm_judge``: one model-as-judge score on a 0-10 scale (outcome or process reward;
  Zheng et al., 2023, 'Judging LLM-as-a-Judge'; Lightman et al., 2024, 'Let's Verify Step by Step').
- ``verifier_majority``: several sampled judges give a CORRECT/WRONG verdict; the score is the
  share saying CORRECT (Lifshitz et al., 2025, 'Multi-Agent Verification').
- ``exec_check``: run the candidate's code in the sandbox, with the question's doctest examples
  as asserts when it has any (execution-based verification, Chen et al., 2021; Ni et al., 2023, LEVER).
"""

from __future__ import annotations

import re
from typing import Awaitable, Callable, Literal

from agentarch.blocks.common import parse_score
from agentarch.blocks.context import CodeResult, Context
from agentarch.blocks.program_of_thought import code_of

Scorer = Callable[[str], Awaitable[float]]
VerifierName = Literal["llm_judge", "verifier_majority", "exec_check"]

_PARTIAL = ("This is a partial solution. Rate how likely it is to lead to a correct final answer "
            "if continued")
_WHOLE = "Rate how likely this solution is to be correct"


async def llm_judge(question: str, candidate: str, ctx: Context, *, partial: bool = False,
                    block: str = "verify.judge") -> float:
    prompt = (f"Question: {question}\n\nSolution:\n{candidate}\n\n{_PARTIAL if partial else _WHOLE}, "
              "on a scale from 0 (surely wrong) to 10 (surely right). Reply with 'Score: <0-10>'.")
    return parse_score(await ctx.ask(prompt, temperature=0.0, max_tokens=16, block=block), top=10)


async def verifier_majority(question: str, candidate: str, ctx: Context, *, judges: int = 3,
                            temperature: float = 0.7, block: str = "verify.majority") -> float:
    prompt = (f"Question: {question}\n\nSolution:\n{candidate}\n\nCheck the solution. Reply with "
              "the single word CORRECT or WRONG.")
    votes = await ctx.samples(prompt, judges, temperature, max_tokens=8, block=block)
    return sum(v.strip().upper().startswith("CORRECT") for v in votes) / max(len(votes), 1)


_DOCTEST = re.compile(r"^[ \t]*>>>[ \t]*(.+?)[ \t]*\n[ \t]*(?!>>>|\"\"\"|''')(\S.*?)[ \t]*$", re.M)


def doctest_asserts(question: str) -> str:
    """``assert call == expected`` lines for each ``>>> call`` / result pair in the question."""
    return "\n".join(f"assert {call} == {want}" for call, want in _DOCTEST.findall(question))


async def run_with_tests(ctx: Context, code: str, tests: str, timeout: float) -> CodeResult:
    """Run ``code`` followed by ``tests`` in the sandbox."""
    return await ctx.run_code(f"{code.rstrip()}\n\n{tests}\n" if tests else code, timeout=timeout)


async def exec_check(question: str, candidate: str, ctx: Context, *, timeout: float = 5.0) -> float:
    result = await run_with_tests(ctx, code_of(candidate), doctest_asserts(question), timeout)
    return 1.0 if result.ok else 0.0


def make_scorer(name: str, question: str, ctx: Context, *, partial: bool = False, judges: int = 3,
                timeout: float = 5.0) -> Scorer:
    """A one-argument scorer (candidate text -> score in [0, 1]) for verifier ``name``."""
    if name == "llm_judge":
        return lambda c: llm_judge(question, c, ctx, partial=partial)
    if name == "verifier_majority":
        return lambda c: verifier_majority(question, c, ctx, judges=judges)
    if name == "exec_check":
        return lambda c: exec_check(question, c, ctx, timeout=timeout)
    raise ValueError(f"unknown verifier '{name}'")
