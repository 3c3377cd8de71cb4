"""Routing: choose a whole design per question from what worked before on similar questions
(strategy selection learned from history, as in meta-learned strategy choice and Symbolic-MoE,
Chen et al., 2025, 'Symbolic Mixture-of-Experts: Adaptive Skill-based Routing').

``fit_router`` turns ``(question text or features, route, score)`` history into nearest-centroid
rules, over cheap text features (length, numbers, keyword sets) or, with ``features="embedding"``,
over sentence embeddings (all-MiniLM-L6-v2, the ``embed`` extra). Without rules the router uses
``default`` (or, with ``ask_model``, lets the model pick a route).
"""

import asyncio
import math
import re
from typing import Iterable, Sequence

from pydantic import Field, field_validator

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import best_by_group, build_design, check_designs, pick_index
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

KEYWORDS = {
    "code": ("def ", "return", "python", "function", "```", "class ", "import "),
    "math": ("how many", "how much", "total", "sum", "percent", "%", "each", "times", "average", "cost"),
    "choice": ("(a)", "a)", "options", "which of the following", "choose"),
    "fact": ("who ", "what is the capital", "when ", "where ", "name the", "which country"),
}


def text_features(text: str) -> list[float]:
    """[log length, number count, one hit flag per keyword set]."""
    low = text.lower()
    hits = [float(any(k in low for k in words)) for words in KEYWORDS.values()]
    return [math.log1p(len(text)), float(len(re.findall(r"\d+(?:\.\d+)?", text))), *hits]


FEATURES = ("text", "embedding")


def featurize(items: Sequence[str | Sequence[float]], kind: str = "text") -> list[tuple[float, ...]]:
    """Feature vectors for question texts (already-computed vectors pass through)."""
    if kind not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, not {kind!r}")
    texts = [x for x in items if isinstance(x, str)]
    vectors = {}
    if texts and kind == "embedding":
        from agentarch.llm.embedder import load_embedder

        rows = load_embedder().embed(texts)
        vectors = {t: tuple(round(float(v), 5) for v in row) for t, row in zip(texts, rows)}
    out = []
    for x in items:
        if not isinstance(x, str):
            out.append(tuple(float(v) for v in x))
        else:
            out.append(vectors[x] if kind == "embedding" else tuple(text_features(x)))
    return out


def fit_router(records: Iterable[tuple[str | Sequence[float], str, float]], features: str = "text") -> dict:
    """Nearest-centroid rules: each route's centroid is the mean features of the examples on which it
    scored best. Text features are scaled by their spread over all examples; embeddings are not."""
    records = list(records)
    vecs = featurize([x for x, _, _ in records], features)
    best = best_by_group((f, route, score) for f, (_, route, score) in zip(vecs, records))
    if not best:
        return {}
    dims = len(next(iter(best)))
    spread = ([1.0] * dims if features == "embedding" else
              [max(f[d] for f in best) - min(f[d] for f in best) or 1.0 for d in range(dims)])
    centroids: dict[str, list[float]] = {}
    for route in dict.fromkeys(best.values()):
        mine = [f for f, r in best.items() if r == route]
        centroids[route] = [round(sum(f[d] for f in mine) / len(mine), 5) for d in range(dims)]
    return {"features": features, "centroids": centroids, "scale": spread}


def route_for(rules: dict, item: str | Sequence[float]) -> str | None:
    """The route whose centroid is nearest to the item's scaled features (None without rules)."""
    if not rules.get("centroids"):
        return None
    [f] = featurize([item], rules.get("features", "text"))
    scale = rules.get("scale") or [1.0] * len(f)
    def dist(c: list[float]) -> float:
        return sum(((a - b) / s) ** 2 for a, b, s in zip(f, c, scale))
    return min(rules["centroids"], key=lambda r: dist(rules["centroids"][r]))


class RouterParams(Params):
    routes: dict[str, dict] = Field({"direct": {"block": "direct"}, "cot": {"block": "cot"},
                                     "program_of_thought": {"block": "program_of_thought"}}, min_length=1)
    rules: dict = {}
    default: str = ""
    ask_model: bool = False

    _designs = field_validator("routes")(check_designs)


@register
class Router(Block):
    name = "router"
    paper = "Learned strategy routing; Symbolic-MoE skill-based routing (Chen et al., 2025)"
    summary = "Send each question to the design that history says works best for questions like it."
    Params = RouterParams

    async def choose(self, question: str, ctx: Context) -> str:
        p = self.params
        labels = list(p.routes)
        label = await asyncio.to_thread(route_for, p.rules, question) if p.rules else None
        if label in p.routes:
            return label
        if p.ask_model:
            menu = "\n".join(f"{i + 1}. {r}" for i, r in enumerate(labels))
            reply = await ctx.ask(f"Question: {question}\n\nWhich strategy suits this question best?\n{menu}\n\n"
                                  "Reply with the number only.", temperature=0.0, max_tokens=8,
                                  block=f"{self.name}.choose")
            return labels[pick_index(reply, len(labels))]
        return p.default if p.default in p.routes else labels[0]

    async def forward(self, question: str, ctx: Context) -> str:
        label = await self.choose(question, ctx)
        ctx.notes["router.route"] = label
        return await build_design(self.params.routes[label])(question, ctx)
