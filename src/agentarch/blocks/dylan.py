"""DyLAN, Dynamic LLM-Agent Network (Liu et al., 2024, 'A Dynamic LLM-Powered Agent Network for
Task-Oriented Agent Collaboration').

Role agents answer in rounds; from round 2 each agent sees the previous round's answers, rates how
useful each was (1-5) and answers again. After round 2 a ranker keeps the ``top_k`` best responses
and only those agents go on (inference-time agent selection). The run stops early once a share
``consensus`` of the round agrees on the extracted answer. The Agent Importance Score propagates
credit backwards from the final round through the normalised peer ratings; the scores (summing to 1)
are left in ``ctx.notes["dylan.importance"]``. ``select_team`` picks the top agents over a training
set (agent team optimisation).
"""

import asyncio
import re
from collections import defaultdict

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import agreement, majority_text, numbered, rank_top, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

DEFAULT_ROLES = ("Mathematician", "Programmer", "Careful Checker", "Teacher")


def parse_ratings(text: str, count: int, neutral: float = 3.0) -> list[float]:
    """``count`` ratings in 1..5 from a "Ratings: 4, 2, 5" line; missing ones are ``neutral``."""
    m = re.search(r"ratings?\s*:\s*([^\n]*)", text or "", re.I)
    found = [min(max(float(x), 1.0), 5.0) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1))] if m else []
    return (found + [neutral] * count)[:count]


def importance_scores(rounds: list[list[str]], ratings: list[dict[str, dict[str, float]]]) -> dict[str, float]:
    """Agent Importance Scores. ``rounds[t]`` lists the agents answering in round t;
    ``ratings[t][a][b]`` is agent a's rating of agent b's answer in round t-1. Final-round agents
    share credit 1 equally; each round passes its credit back in proportion to the normalised
    ratings; an agent's score is its summed credit, normalised so all scores sum to 1."""
    total: dict[str, float] = defaultdict(float)
    credit = {a: 1.0 / len(rounds[-1]) for a in rounds[-1]}
    for t in range(len(rounds) - 1, -1, -1):
        for a, c in credit.items():
            total[a] += c
        if t == 0:
            break
        back: dict[str, float] = defaultdict(float)
        for a, c in credit.items():
            rs = ratings[t].get(a) or dict.fromkeys(rounds[t - 1], 1.0)
            for pred, r in rs.items():
                back[pred] += c * r / sum(rs.values())
        credit = back
    mass = sum(total.values()) or 1.0
    return {a: total[a] / mass for a in dict.fromkeys(x for r in rounds for x in r)}


def team_importance(importance_per_example: list[dict[str, float]]) -> dict[str, float]:
    """Mean importance of each agent over examples (an agent missing from an example counts 0)."""
    agents = dict.fromkeys(a for ex in importance_per_example for a in ex)
    n = max(len(importance_per_example), 1)
    return {a: sum(ex.get(a, 0.0) for ex in importance_per_example) / n for a in agents}


def select_team(importance_per_example: list[dict[str, float]], k: int) -> list[str]:
    """The ``k`` agents with the highest mean importance (ties keep first-seen order)."""
    means = team_importance(importance_per_example)
    return sorted(means, key=lambda a: -means[a])[:k]


class DyLANParams(Params):
    roles: tuple[str, ...] = Field(DEFAULT_ROLES, min_length=1)
    rounds: int = Field(3, ge=1)
    top_k: int = Field(2, ge=1)
    consensus: float = Field(0.75, ge=0, le=1)
    temperature: float = Field(0.7, ge=0)
    max_tokens: int = Field(320, ge=1)


@register
class DyLAN(Block):
    name = "dylan"
    paper = "DyLAN, Dynamic LLM-Agent Network (Liu et al., 2024)"
    summary = "Role agents answer in rounds, rate each other, a ranker drops the weakest; early stop on consensus."
    Params = DyLANParams

    async def respond(self, question: str, role: str, prev: dict[str, str], ctx: Context, r: int) -> str:
        extra = ("" if not prev else
                 f"Solutions from the previous round:\n\n{numbered(list(prev.values()), 'Solution')}\n\n"
                 "First rate how useful each solution is, from 1 (useless) to 5 (very useful), on one line "
                 "'Ratings: <r1>, <r2>, ...' in the order given. Then give your own solution.\n")
        return await ctx.ask(solve_prompt(question, extra + "Think step by step.", ctx.answer_format),
                             system=f"You are a {role}.", max_tokens=self.params.max_tokens,
                             block=f"{self.name}.round{r + 1}")

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        roles = {f"{r}#{i + 1}" if p.roles.count(r) > 1 else r: r for i, r in enumerate(p.roles)}
        agents = list(roles)
        active, prev = list(agents), {}
        rounds: list[list[str]] = []
        ratings: list[dict[str, dict[str, float]]] = []
        for r in range(p.rounds):
            seen = list(prev)  # the answers this round rates (the kept agents of the last round)
            replies = await asyncio.gather(*(
                self.respond(question, roles[a], prev, ctx.branch(agents.index(a), p.temperature), r)
                for a in active))
            prev = dict(zip(active, replies))
            rounds.append(list(active))
            ratings.append({a: dict(zip(seen, parse_ratings(t, len(seen)))) for a, t in prev.items()})
            if agreement([ctx.extract(t) for t in replies]) >= p.consensus or r == p.rounds - 1:
                break
            if r >= 1 and len(active) > p.top_k:
                keep = await rank_top(question, replies, p.top_k, ctx, block=f"{self.name}.rank")
                active = [active[i] for i in keep]
                prev = {a: prev[a] for a in active}
        ctx.notes["dylan.importance"] = importance_scores(rounds, ratings)
        return majority_text(list(prev.values()), ctx.extract)
