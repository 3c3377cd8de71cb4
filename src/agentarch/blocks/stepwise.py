"""Partial solutions as lists of reasoning steps, shared by the step-level search blocks (tree
search, MCTS, REBASE, particle filtering): propose next steps, tell a finished solution, finish a
partial one, split an expansion budget by weight, and ``StepSearch``, their common base.

A step that contains an "Answer:" line ends its solution (the usual step-level search set-up,
Yao et al., 2023, 'Tree of Thoughts'; Wu et al., 2024, REBASE).
"""

from __future__ import annotations

from typing import Sequence

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import answer_line, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.verify import Scorer, VerifierName, make_scorer


def render(steps: Sequence[str]) -> str:
    return "\n".join(f"Step {i + 1}: {s.strip()}" for i, s in enumerate(steps))


def is_final(step: str) -> bool:
    return "answer:" in step.lower()


async def propose(question: str, steps: Sequence[str], ctx: Context, *, n: int, temperature: float,
                  max_tokens: int, block: str, advice: str = "", answer_ok: bool = True) -> list[str]:
    """``n`` sampled next steps after ``steps`` (each one step, or, when ``answer_ok``, possibly the
    final answer)."""
    if n <= 0:
        return []
    done = f"Steps so far:\n{render(steps)}\n\n" if steps else ""
    hint = f"Lessons from earlier failed attempts:\n{advice}\n\n" if advice else ""
    ending = (f"If the answer is now known, give it instead. {answer_line(ctx.answer_format)}" if answer_ok else
              "Do not give the final answer yet.")
    prompt = (f"Question: {question}\n\n{hint}{done}Write only the next step of the solution, in one "
              f"or two sentences. {ending}")
    outs = await ctx.samples(prompt, n, temperature, max_tokens=max_tokens, block=block)
    return [o.strip() for o in outs]


async def finish(question: str, steps: Sequence[str], ctx: Context, *, max_tokens: int, block: str) -> str:
    """The text of a full solution: ``steps`` when they end in an answer, else a completion of them."""
    if steps and is_final(steps[-1]):
        return render(steps)
    tail = await ctx.ask(solve_prompt(question, f"Partial solution:\n{render(steps)}\n\nComplete it.",
                                      ctx.answer_format), temperature=0.0, max_tokens=max_tokens, block=block)
    return f"{render(steps)}\n{tail}".strip()


def allocate(weights: Sequence[float], total: int) -> list[int]:
    """Split ``total`` whole expansions in proportion to ``weights`` (largest remainder; ties go to
    the earlier item), so the shares sum to ``total``."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    mass = sum(weights) or 1.0
    exact = [w / mass * total for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


class StepSearchParams(Params):
    temperature: float = Field(0.7, ge=0)  # for sampling next steps
    verifier: VerifierName = "llm_judge"  # scores partial solutions (a process reward)
    max_tokens: int = Field(96, ge=1)  # per step
    min_steps: int = Field(1, ge=0)  # steps of work before an answer is invited (small models otherwise answer at once)


class StepSearch(Block):
    """Base of the step-level searches. ``forward`` scores partial solutions with the configured
    verifier; ``search`` takes any scorer (PlanGEN passes its constraint verifier)."""

    Params = StepSearchParams

    async def forward(self, question: str, ctx: Context) -> str:
        return await self.search(question, ctx, make_scorer(self.params.verifier, question, ctx, partial=True))

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        raise NotImplementedError

    async def expand(self, question: str, steps: Sequence[str], ctx: Context, n: int, advice: str = "") -> list[str]:
        p = self.params
        return await propose(question, steps, ctx, n=n, temperature=p.temperature, max_tokens=p.max_tokens,
                             block=f"{self.name}.expand", advice=advice, answer_ok=len(steps) >= p.min_steps)

    async def conclude(self, question: str, steps: Sequence[str], ctx: Context) -> str:
        return await finish(question, steps, ctx, max_tokens=2 * self.params.max_tokens, block=f"{self.name}.finish")
