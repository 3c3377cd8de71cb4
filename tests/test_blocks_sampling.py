"""The sampling contract: a block that draws k samples gets k distinct requests from every call
inside each sample, whatever the blocks below it ask for, and calls outside any sample branch are
sent exactly as their block asks."""

import asyncio
from collections import Counter
from types import SimpleNamespace

import pytest

from agentarch.blocks.context import CodeResult, Context
from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.extract import extract_number

# Parameters a block needs to be built at all (everything else keeps its default).
REQUIRED_PARAMS = {"code_agent": {"source": "async def forward(inputs, ctx):\n    return await ctx.ask(inputs)\n"}}

GENERIC_REPLY = "Work.\nRatings: 3, 3, 3\nConfidence: 0.9\nScore: 7\nFINAL ANSWER: 3\nAnswer: 3"


def reply(req) -> str:
    """One reply per prompt text (never per sample), so every sample follows the same control flow."""
    text = req.messages[-1]["content"]
    if "single word CORRECT" in text:
        return "CORRECT"
    if "```python" in text:
        return "```python\nprint(3)\n```"
    return GENERIC_REPLY


async def run_code(code: str, **_) -> CodeResult:
    return CodeResult(ok=True, stdout="3")


async def run_agent(source: str, question: str, ctx: Context):
    """Stands in for the sandbox: the generated agent's model calls go through ``ctx`` as they do there."""
    return SimpleNamespace(ok=True, answer=await ctx.ask(question), error="", exception=None)


def spec_for(name: str) -> dict:
    return {"block": name, "params": REQUIRED_PARAMS.get(name, {})}


def run(spec: dict) -> ScriptedModel:
    model = ScriptedModel(reply)
    ctx = Context(model=model, extract=extract_number, run_code=run_code, run_agent=run_agent)
    asyncio.run(DesignSpec.model_validate(spec).build()("How many apples are left?", ctx))
    return model


def keys(model: ScriptedModel) -> list[str]:
    return [r.key(model.backend, model.name) for r in model.calls]


def prompts(model: ScriptedModel) -> Counter:
    return Counter(repr(r.messages) for r in model.calls)


BLOCKS = sorted(all_blocks())


@pytest.mark.parametrize("name", BLOCKS)
def test_self_consistency_of_every_block_sends_five_distinct_requests_per_call(name):
    greedy = run(spec_for(name))
    sampled = run({"block": "self_consistency", "params": {"n": 5}, "children": [spec_for(name)]})
    assert greedy.calls, f"{name} made no model call"
    # the same calls as one plain run, five times over ...
    assert prompts(sampled) == Counter({p: 5 * k for p, k in prompts(greedy).items()})
    # ... and no two of them the same request
    assert len(set(keys(sampled))) == len(sampled.calls) == 5 * len(greedy.calls)
    assert all(r.temperature > 0 for r in sampled.calls)


def temperatures(data, named: bool = False) -> set[float]:
    """Every temperature named in a block's parameters (nested designs and lists included)."""
    if isinstance(data, dict):
        return set().union(*(temperatures(v, named or "temperature" in str(k)) for k, v in data.items()))
    if isinstance(data, (list, tuple)):
        return set().union(*(temperatures(v, named) for v in data))
    return {float(data)} if named and isinstance(data, float) else set()


def named_temperatures(block) -> set[float]:
    return temperatures(block.params.model_dump()).union(*(named_temperatures(c) for c in block.children))


@pytest.mark.parametrize("name", BLOCKS)
def test_a_plain_run_sends_only_the_temperatures_its_blocks_ask_for(name):
    block = DesignSpec.model_validate(spec_for(name)).build()
    model = run(spec_for(name))
    assert {r.temperature for r in model.calls} <= named_temperatures(block) | {0.0}


def test_greedy_leaf_blocks_stay_greedy_outside_sampling():
    for name in ("direct", "program_of_thought", "cot", "refine", "step_back", "roles"):
        model = run(spec_for(name))
        assert {(r.temperature, r.sample) for r in model.calls} == {(0.0, 0)}, name


def test_nested_sampling_stays_distinct():
    spec = {"block": "self_consistency", "params": {"n": 3},
            "children": [{"block": "best_of_n", "params": {"n": 2, "verifier": "exec_check"},
                          "children": [{"block": "direct"}]}]}
    model = run(spec)
    assert len(model.calls) == 6 and len(set(keys(model))) == 6


def test_branch_temperature_wins_over_a_greedy_request_but_not_over_a_sampled_one():
    model = ScriptedModel("x")
    ctx = Context(model=model)
    hot = ctx.branch(0, 0.9)

    async def go():
        await hot.ask("a", temperature=0.0)
        await hot.ask("a", temperature=0.3)
        await hot.ask("a")
        await ctx.ask("a", temperature=0.0)
        await hot.branch(1).ask("a", temperature=0.0)   # a nested branch inherits the temperature
        await ctx.branch(2, 0.0).ask("a")                # a branch always samples
    asyncio.run(go())
    assert [r.temperature for r in model.calls] == [0.9, 0.3, 0.9, 0.0, 0.9, 0.7]


def test_repeated_identical_requests_within_a_branch_get_successive_samples():
    model = ScriptedModel("x")
    ctx = Context(model=model)

    async def go():
        await ctx.branch(0, 0.7).chat("a", n=2)
        await ctx.branch(0, 0.7).ask("a")
        await ctx.branch(1, 0.7).ask("a")
        await ctx.chat("a", n=2, temperature=0.7)
    asyncio.run(go())
    samples = [r.sample for r in model.calls]
    assert len(set(samples[:4])) == 4
    assert samples[4:] == [0, 1]  # outside any branch: the plain counter, as always


def test_branch_samples_are_reproducible():
    def sent():
        model = run({"block": "self_consistency", "params": {"n": 3}, "children": [{"block": "direct"}]})
        return sorted(keys(model))
    assert sent() == sent()


# Blocks that draw several samples of their own calls, set to temperature 0, and how many samples
# each draws at least.
GREEDY_SAMPLERS = [
    ({"block": "debate", "params": {"agents": 3, "rounds": 1, "temperature": 0.0}}, 3),
    ({"block": "reconcile", "params": {"personas": ["Teacher", "Teacher"], "rounds": 0, "temperature": 0.0}}, 2),
    ({"block": "dylan", "params": {"roles": ["Teacher", "Teacher"], "rounds": 1, "temperature": 0.0}}, 2),
    ({"block": "quality_diversity", "params": {"attempts": 3, "temperature": 0.0}}, 3),
    ({"block": "moa", "params": {"self_moa": True, "samples": 3, "layers": 1, "temperatures": [0.0]}}, 3),
    ({"block": "compute_optimal", "params": {"probes": 3, "probe_temperature": 0.0}}, 3),
    ({"block": "tree_search", "params": {"branch": 2, "budget": 1, "temperature": 0.0}}, 2),
    ({"block": "best_of_n", "params": {"n": 3, "temperature": 0.0, "verifier": "verifier_majority"},
      "children": [{"block": "direct"}]}, 3 + 3 * 3),
]


@pytest.mark.parametrize("spec,k", GREEDY_SAMPLERS, ids=[s["block"] for s, _ in GREEDY_SAMPLERS])
def test_samples_differ_even_when_a_sampler_is_set_to_temperature_zero(spec, k):
    model = run(spec)
    hot = [r for r in model.calls if r.temperature > 0]
    assert len(hot) >= k and len({r.key(model.backend, model.name) for r in hot}) == len(hot)
