"""Compute-optimal test-time scaling (Snell et al., 2024, 'Scaling LLM Test-Time Compute Optimally
can be More Effective than Scaling Model Parameters').

Difficulty is estimated per question from the agreement of a few cheap samples and binned as easy,
medium or hard; each bin maps to a design (strategy and N) in ``policy``. An easy question (the
samples agree) gets the majority answer straight away unless the policy names an 'easy' design.
``fit_policy`` learns the policy from training records.
"""

import json
from typing import Iterable

from pydantic import field_validator, Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import (agreement, best_by_group, build_design, check_designs, majority_text,
                                     solve_prompt)
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

BINS = ("easy", "medium", "hard")
DEFAULT_POLICY = {
    "medium": {"block": "refine", "params": {"rounds": 1}, "children": [{"block": "cot"}]},
    "hard": {"block": "best_of_n", "params": {"n": 3}, "children": [{"block": "cot"}]},
}


def difficulty_bin(share: float, easy_at: float, hard_below: float) -> str:
    return "easy" if share >= easy_at else "hard" if share < hard_below else "medium"


def fit_policy(records: Iterable[tuple[str, dict | str, float]]) -> dict[str, dict]:
    """The best-scoring design per difficulty bin from ``(bin, strategy, score)`` records; a strategy
    is a design-spec dict, its JSON, or a bare block name."""
    def key(strategy):
        if isinstance(strategy, dict):
            return json.dumps(strategy, sort_keys=True)
        return strategy if strategy.lstrip().startswith("{") else json.dumps({"block": strategy})
    best = best_by_group((b, key(s), score) for b, s, score in records)
    return {b: json.loads(best[b]) for b in BINS if b in best}


class ComputeOptimalParams(Params):
    probes: int = Field(3, ge=1)
    probe_temperature: float = Field(0.7, ge=0)
    probe_tokens: int = Field(256, ge=1)
    easy_at: float = Field(1.0, ge=0, le=1)
    hard_below: float = Field(0.5, ge=0, le=1)
    policy: dict[str, dict] = DEFAULT_POLICY

    @field_validator("policy")
    @classmethod
    def _bins(cls, v: dict) -> dict:
        unknown = set(v) - set(BINS)
        if unknown:
            raise ValueError(f"unknown difficulty bins {sorted(unknown)}; use {', '.join(BINS)}")
        return check_designs(v)


@register
class ComputeOptimal(Block):
    name = "compute_optimal"
    paper = "Compute-optimal test-time scaling (Snell et al., 2024)"
    summary = "Estimate difficulty from agreement of cheap samples; run the design the policy gives that bin."
    Params = ComputeOptimalParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        probes = await ctx.samples(solve_prompt(question, "Think step by step.", ctx.answer_format), p.probes,
                                   p.probe_temperature, max_tokens=p.probe_tokens, block=f"{self.name}.probe")
        level = difficulty_bin(agreement([ctx.extract(t) for t in probes]), p.easy_at, p.hard_below)
        ctx.notes["compute_optimal.bin"] = level
        if level not in p.policy:
            return majority_text(probes, ctx.extract)
        return await build_design(p.policy[level])(question, ctx)
