"""Particle filtering over partial solutions (Puri et al., 2025, 'A Probabilistic Inference Approach
to Inference-Time Scaling of LLMs using Particle-Based Monte Carlo Methods').

N particles each hold a partial solution. Every step each unfinished particle is extended by one
sampled step and weighted by a reward; the particles are then resampled with probability
softmax(reward / temperature), so good partial solutions multiply and poor ones die out. The seed
makes the resampling reproducible. The final answer is a reward-weighted vote of the particles.
"""

import asyncio
import random
from collections import Counter

from pydantic import Field

from agentarch.blocks.common import majority_text, softmax
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.blocks.stepwise import StepSearch, StepSearchParams, is_final, render
from agentarch.blocks.verify import Scorer


class ParticleFilterParams(StepSearchParams):
    particles: int = Field(3, ge=1)
    steps: int = Field(4, ge=1)
    resample_temperature: float = Field(0.2, ge=0)
    seed: int = 0


@register
class ParticleFilter(StepSearch):
    name = "particle_filter"
    paper = "Particle-based inference-time scaling (Puri et al., 2025)"
    summary = "N partial solutions extended step by step, weighted by a reward and resampled each step."
    Params = ParticleFilterParams

    async def search(self, question: str, ctx: Context, scorer: Scorer) -> str:
        p = self.params
        rng = random.Random(p.seed)
        particles: list[tuple[tuple[str, ...], float]] = [((), 1.0)] * p.particles
        for _ in range(p.steps):
            live = Counter(s for s, _ in particles if not (s and is_final(s[-1])))
            if not live:
                break
            # identical particles share one request for all their samples
            groups = await asyncio.gather(*(self.expand(question, s, ctx, k) for s, k in live.items()))
            grown = [(*s, step) for s, group in zip(live, groups) for step in group]
            rewards = await asyncio.gather(*(scorer(render(g)) for g in grown))
            particles = [(s, r) for s, r in particles if s and is_final(s[-1])] + list(zip(grown, rewards))
            weights = softmax([r for _, r in particles], p.resample_temperature)
            particles = rng.choices(particles, weights=weights, k=p.particles)
        done = [(s, r) for s, r in particles if s and is_final(s[-1])]
        if not done:
            return await self.conclude(question, max(particles, key=lambda x: x[1])[0], ctx)
        return majority_text([render(s) for s, _ in done], ctx.extract, [r for _, r in done])
