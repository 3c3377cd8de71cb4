"""Mixture-of-Agents (Wang et al., 2024, 'Mixture-of-Agents Enhances Large Language Model
Capabilities'), with its two variants as parameters:

- ``self_moa``: Self-MoA (Li et al., 2025, 'Rethinking Mixture-of-Agents'): one proposer sampled
  ``samples`` times instead of several different proposers;
- ``sparse_top_k``: sparse MoA (Li et al., 2024, SMoA): a judge keeps only the top-k responses of
  each layer before they reach the next one.

Each layer's proposers see the previous layer's responses; a final aggregator synthesises them.
"""

import asyncio

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import numbered, rank_top, solve_prompt
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


def synthesize_prompt(question: str, responses: list[str], answer_format: str = "") -> str:
    if not responses:
        return solve_prompt(question, "Think step by step.", answer_format)
    return solve_prompt(question, f"Responses from other assistants:\n\n{numbered(responses, 'Response')}\n\n"
                                  "Critically evaluate these responses (some may be wrong) and synthesise "
                                  "them into one accurate, well-reasoned solution.", answer_format)


class MoAParams(Params):
    proposers: tuple[str, ...] = Field(("careful mathematician", "creative problem solver", "meticulous checker"),
                                       min_length=1)
    temperatures: tuple[float, ...] = Field((0.7,), min_length=1)  # cycled over the proposers
    layers: int = Field(2, ge=1)
    self_moa: bool = False
    samples: int = Field(3, ge=1)  # proposals per layer with self_moa
    sparse_top_k: int = Field(0, ge=0)  # 0 keeps every response
    max_tokens: int = Field(320, ge=1)


@register
class MixtureOfAgents(Block):
    name = "moa"
    paper = "Mixture-of-Agents (Wang et al., 2024); Self-MoA (Li et al., 2025); sparse MoA (Li et al., 2024)"
    summary = "Layers of proposers refine each other's answers; an aggregator synthesises the last layer."
    Params = MoAParams

    async def propose(self, prompt: str, ctx: Context, layer: int) -> list[str]:
        p, block = self.params, f"{self.name}.layer{layer + 1}"
        if p.self_moa:
            return await ctx.samples(prompt, p.samples, p.temperatures[0], max_tokens=p.max_tokens, block=block)
        return list(await asyncio.gather(*(
            ctx.branch(i, p.temperatures[i % len(p.temperatures)]).ask(
                prompt, system=f"You are a {who}.", max_tokens=p.max_tokens, block=block)
            for i, who in enumerate(p.proposers))))

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        responses: list[str] = []
        for layer in range(p.layers):
            responses = await self.propose(synthesize_prompt(question, responses, ctx.answer_format), ctx, layer)
            if p.sparse_top_k:
                keep = await rank_top(question, responses, p.sparse_top_k, ctx, block=f"{self.name}.judge")
                responses = [responses[i] for i in keep]
        return await ctx.ask(synthesize_prompt(question, responses, ctx.answer_format), temperature=0.0,
                             max_tokens=p.max_tokens, block=f"{self.name}.aggregate")
