"""Meta Agent Search (ADAS): prompts, parsing, reflection, debugging and the archive, with a
scripted meta model (and the real sandbox for the smoke run)."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from agentarch.blocks.context import Context
from agentarch.blocks.presets import baselines
from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.llm.scripted import ScriptedModel
from agentarch.search.base import Candidate, Scored, SearchEnv
from agentarch.search.meta import MetaAgentSearch, describe_design, estimate_tokens
from agentarch.search.meta_parse import check_source, parse_proposal
from agentarch.tasks.example import Example

GOOD = '''async def forward(inputs, ctx):
    text = await ctx.ask("Solve: " + inputs + " End with Answer: <answer>.")
    return text
'''
BETTER = '''async def forward(inputs, ctx):
    outs = await ctx.chat("Solve: " + inputs, n=3, temperature=0.7)
    answers = [ctx.extract(o) for o in outs]
    return max(answers, key=answers.count)
'''
BEST = '''async def forward(inputs, ctx):
    plan = await ctx.ask("Plan: " + inputs)
    return await ctx.ask("Use the plan " + plan + " to solve " + inputs)
'''
BROKEN = '''async def forward(inputs, ctx)
    return "x"
'''


def reply(name: str, code: str, thought: str = "an idea") -> str:
    return f"THOUGHT: {thought}\nNAME: {name}\n```python\n{code}```\n"


def history() -> list[Scored]:
    out = []
    for i, (_, spec) in enumerate(baselines().items()):
        out.append(Scored(Candidate(spec, origin="baseline"), 0.6 - 0.05 * i, 0.4 - 0.05 * i,
                          0.8 - 0.05 * i, 100.0, 1.0))
    return out


def make(respond, **options) -> tuple[MetaAgentSearch, ScriptedModel]:
    model = ScriptedModel(respond)
    env = SearchEnv(rng=random.Random(0), meta=Context(model),
                    task_description="Arithmetic word problems; answer with a number.",
                    train=[Example("t1", "What is 2+3?", "5")], options=options.pop("env_options", {}))
    return MetaAgentSearch(env, **options), model


def staged(propose: str, reflect1: str | None = None, reflect2: str | None = None,
           debug: list[str] | None = None):
    """A responder that answers by the kind of prompt: propose / reflection 1 / 2 / debug."""
    debug = list(debug or [])

    def respond(req) -> str:
        text = req.messages[-1]["content"]
        if "It failed with this error" in text:
            return debug.pop(0) if debug else reply("still broken", BROKEN)
        if "Reflect: is this agent really new" in text:
            return reflect1 if reflect1 is not None else propose
        if "Reflect: check the code" in text:
            return reflect2 if reflect2 is not None else propose
        return propose

    return respond


def prompts(model: ScriptedModel) -> list[str]:
    return [r.messages[-1]["content"] for r in model.calls]


# ----------------------------------------------------------------------------- prompt


def test_prompt_lists_every_registered_block_even_when_shrunk():
    for ctx_tokens in (100_000, 1800, 400):
        opt, _ = make("", context_tokens=ctx_tokens)
        prompt = opt.propose_prompt(history())
        for name, cls in all_blocks().items():
            assert f"\n- {name}" in prompt, (ctx_tokens, name)
        if ctx_tokens == 100_000:  # room enough: names, parameters and summaries
            assert "- self_consistency(n=5, temperature=0.7): " + all_blocks()["self_consistency"].summary in prompt


def test_prompt_shows_api_example_task_and_archive_with_intervals():
    h = history()
    h.append(Scored(Candidate(DesignSpec(block="code_agent", params={"source": BETTER, "name": "Vote3"}),
                              origin="meta", note="vote over three samples"), 0.9, 0.8, 0.95, 50, 3))
    opt, _ = make("")
    prompt = opt.propose_prompt(h)
    assert "async def forward(inputs, ctx)" in prompt and "ctx.extract" in prompt and "ctx.run_code" in prompt
    assert "Arithmetic word problems" in prompt
    assert "1. [score 0.90 (95% CI 0.80-0.95)] Vote3" in prompt
    assert "vote over three samples" in prompt and BETTER.splitlines()[1].strip() in prompt
    # a baseline block design is described in words from the blocks' summaries
    assert "[score 0.60 (95% CI 0.40-0.80)] direct: Answer at once" in prompt
    assert estimate_tokens(prompt) + opt.opts["max_tokens"] <= opt.opts["context_tokens"]


def test_describe_design_uses_summaries_of_nested_blocks():
    text = describe_design(baselines()["cot_sc"])
    assert text.startswith("self_consistency(n=5)[cot] — ")
    assert all_blocks()["self_consistency"].summary in text and all_blocks()["cot"].summary in text


# ----------------------------------------------------------------------------- parsing


def test_parse_fenced_sections_json_and_bare_code():
    p = parse_proposal(reply("Vote", BETTER, "sample and vote"))
    assert (p.name, p.thought, p.code) == ("Vote", "sample and vote", BETTER)
    j = json.dumps({"thought": "t", "name": "J", "code": BEST})
    p = parse_proposal(f"Here:\n```json\n{j}\n```")
    assert (p.name, p.code) == ("J", BEST)
    raw = '{"thought": "t", "name": "Raw", "code": "async def forward(inputs, ctx):\n    return inputs\n"}'
    assert parse_proposal(raw).name == "Raw"  # a literal newline inside a JSON string is accepted
    p = parse_proposal(f"Sure!\n```python\n{GOOD}```")
    assert p.code == GOOD and p.name == ""
    p = parse_proposal("import math\n\nasync def forward(inputs, ctx):\n    return str(math.pi)\n")
    assert p.code.startswith("import math\nasync def forward") and not check_source(p.code)
    assert parse_proposal("I cannot help with that.") is None
    assert parse_proposal("```python\nprint(1)\n```") is None


def test_check_source_compiles_without_running():
    assert check_source(GOOD) == ""
    assert "SyntaxError" in check_source(BROKEN) and "line 1" in check_source(BROKEN)
    assert "forward" in check_source("def solve(x):\n    return x\n")
    assert "two arguments" in check_source("def forward(x):\n    return x\n")
    assert check_source("import os\nos._exit(3)\ndef forward(q, ctx):\n    return q\n") == ""


# ----------------------------------------------------------------------------- proposals


def test_proposal_becomes_a_code_agent_candidate_after_two_reflections():
    opt, model = make(staged(reply("One", GOOD, "ask once"), reply("Two", BETTER, "vote"),
                             reply("Three", BEST, "plan then solve")))
    out = asyncio.run(opt.propose(history()))
    assert len(out) == 1
    cand = out[0]
    assert cand.spec.block == "code_agent" and cand.origin == "meta"
    assert cand.spec.params == {"source": BEST, "name": "Three"} and cand.note == "plan then solve"
    compile(cand.spec.params["source"], "agent.py", "exec")
    cand.spec.build()
    ps = prompts(model)
    assert len(ps) == 3  # propose + two reflections, no debugging needed
    assert "Reflect: is this agent really new" in ps[1] and GOOD.splitlines()[1].strip() in ps[1]
    assert "Reflect: check the code" in ps[2] and BETTER.splitlines()[1].strip() in ps[2]
    assert all(r.temperature > 0 for r in model.calls)
    assert opt.stats["proposed"] == 1 and opt.stats["valid"] == 1 and opt.stats["reflections"] == 2
    assert opt.stats["invalid"] == 0 and opt.stats["debug_attempts"] == 0


def test_a_reflection_that_breaks_working_code_is_ignored():
    opt, _ = make(staged(reply("One", GOOD), reply("Broken", BROKEN), "no code here"), ask_for_code=False)
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params["source"] == GOOD
    assert opt.stats["unparsed"] == 1


def test_syntax_error_gets_three_debug_tries_then_gives_up():
    opt, model = make(staged(reply("Bad", BROKEN)), attempts=1)
    out = asyncio.run(opt.propose(history()))
    assert out == []
    ps = prompts(model)
    assert len(ps) == 1 + 2 + 3
    debug = ps[3:]
    assert all("It failed with this error" in p and "SyntaxError" in p for p in debug)
    assert all("async def forward(inputs, ctx)\n    return" in p for p in debug)  # the failing code
    assert opt.stats == {**opt.stats, "proposed": 1, "valid": 0, "invalid": 1, "debug_attempts": 3}


def test_a_debug_turn_can_fix_the_code():
    opt, model = make(staged(reply("Bad", BROKEN), debug=[reply("Fixed", GOOD, "fixed")]))
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params == {"source": GOOD, "name": "Fixed"}
    assert opt.stats["debug_attempts"] == 1 and opt.stats["valid"] == 1
    assert len(model.calls) == 4


def test_a_failed_proposal_is_retried_fresh_with_a_new_sample():
    def respond(req):
        text = req.messages[-1]["content"]
        if "It failed" in text or "Reflect" in text:
            return "no idea"
        return reply("Bad", BROKEN) if req.sample == 0 else reply("Good", GOOD)

    opt, model = make(respond, ask_for_code=False)  # attempts=2 by default
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params["name"] == "Good"
    first = [r for r in model.calls if r.messages[-1]["content"].startswith("You design agents")]
    assert [r.sample for r in first] == [0, 1]  # the same prompt, the next sample: reproducible
    assert opt.stats["invalid"] == 1 and opt.stats["valid"] == 1


def test_unparseable_replies_count_as_invalid_and_converge_after_a_streak():
    opt, _ = make("I am not sure.", attempts=1, stop_after_invalid=2)
    assert asyncio.run(opt.propose(history())) == []
    assert not opt.converged(history())
    assert asyncio.run(opt.propose(history())) == []
    assert opt.stats["invalid"] == 2 and opt.converged(history())


def test_a_duplicate_of_the_archive_is_sent_back():
    spec = DesignSpec(block="code_agent", params={"source": GOOD, "name": "One"})
    h = history() + [Scored(Candidate(spec, origin="meta"), 0.5, 0.4, 0.6, 10, 1)]
    opt, model = make(staged(reply("One", GOOD), debug=[reply("Two", BETTER)]))
    (cand,) = asyncio.run(opt.propose(h))
    assert cand.spec.params["source"] == BETTER
    assert "identical to one already in the archive" in prompts(model)[3]


def test_rerun_replays_the_same_proposals():
    def respond(req):
        return reply(f"A{req.sample}", GOOD.replace("Solve", f"Solve{req.sample}"))

    outs = []
    for _ in range(2):
        opt, _ = make(respond, per_round=2)
        outs.append([c.spec.id for c in asyncio.run(opt.propose(history()))])
    assert outs[0] == outs[1] and len(set(outs[0])) == 2


def test_options_are_checked_and_a_meta_model_is_required():
    with pytest.raises(ConfigError, match="unknown option"):
        make("", reflection=3)
    with pytest.raises(ConfigError, match="meta model"):
        MetaAgentSearch(SearchEnv(rng=random.Random(0)))
    with pytest.raises(ConfigError, match="temperature"):
        make("", temperature=0)


def test_converged_after_the_configured_generations():
    opt, _ = make("", generations=2)
    spec = DesignSpec(block="code_agent", params={"source": GOOD})
    h = history() + [Scored(Candidate(spec, origin="meta"), 0.5, 0.4, 0.6, 10, 1)]
    assert not opt.converged(h)
    spec2 = DesignSpec(block="code_agent", params={"source": BEST})
    assert opt.converged(h + [Scored(Candidate(spec2, origin="meta"), 0.5, 0.4, 0.6, 10, 1)])


# ----------------------------------------------------------------------------- smoke run


RUNTIME_ERROR = '''async def forward(inputs, ctx):
    text = await ctx.ask("Solve: " + inputs)
    table = {}
    return table["missing"] + text
'''


@pytest.fixture
def sandbox_ok():
    from agentarch.runtime.sandbox import SandboxUnavailable, run_agent

    try:
        asyncio.run(run_agent("def forward(q, ctx):\n    return q", "x", ScriptedModel("ok")))
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


def test_smoke_run_feeds_a_runtime_error_back_and_uses_the_design_model(sandbox_ok):
    design = ScriptedModel("Answer: 5")
    made = []

    def smoke_context():
        ctx = Context(design)
        made.append(ctx)
        return ctx

    opt, meta = make(staged(reply("Lookup", RUNTIME_ERROR), debug=[reply("Fixed", GOOD)]),
                     env_options={"smoke_context": smoke_context})
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params["source"] == GOOD
    debug = prompts(meta)[3]
    assert "It failed with this error" in debug and "KeyError" in debug and "missing" in debug
    assert opt.stats["smoke_runs"] == 2 and opt.stats["debug_attempts"] == 1
    # the agents' model calls went to the design model, on the training example
    assert len(made) == 2 and [r.messages[-1]["content"] for r in design.calls] == [
        "Solve: What is 2+3?", "Solve: What is 2+3? End with Answer: <answer>."]
    assert all("design agents" not in p for p in [r.messages[-1]["content"] for r in design.calls])


def test_smoke_run_rejects_an_agent_that_returns_nothing(sandbox_ok):
    silent = "async def forward(inputs, ctx):\n    await ctx.ask(inputs)\n"

    async def smoke_context():  # an async factory is accepted too
        return Context(ScriptedModel("5"))

    opt, meta = make(staged(reply("Silent", silent)), attempts=1, debug_tries=1,
                     env_options={"smoke_context": smoke_context})
    assert asyncio.run(opt.propose(history())) == []
    assert "forward returned None" in prompts(meta)[3]
    assert opt.stats["invalid"] == 1


def test_smoke_run_rejects_an_agent_that_never_calls_the_model(sandbox_ok):
    fixed = "async def forward(inputs, ctx):\n    return \"Sorry, I don't understand the question.\"\n"

    def smoke_context():
        return Context(ScriptedModel("Answer: 5"))

    opt, meta = make(staged(reply("Fixed reply", fixed), debug=[reply("Asks", GOOD)]),
                     env_options={"smoke_context": smoke_context})
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params["source"] == GOOD  # the debug turn was told why and fixed it
    assert "forward never called the model" in prompts(meta)[3]
    assert opt.stats["debug_attempts"] == 1 and opt.stats["valid"] == 1


def test_a_reply_without_code_is_asked_for_its_code():
    def respond(req):
        text = req.messages[-1]["content"]
        if "You gave no code for it yet" in text:
            assert "vote over samples" in text and "write the complete code" in text
            return reply("Voter", BETTER, "vote over samples")
        if text.startswith("You design agents"):
            return "THOUGHT: vote over samples\nNAME: Voter"
        return "ok"

    opt, model = make(respond, ask_for_code=False)
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params == {"source": BETTER, "name": "Voter"} and cand.note == "vote over samples"
    assert opt.stats["unparsed"] == 2 and len(model.calls) == 3  # the thought-only reply, "ok"


def test_a_reply_that_stops_before_its_code_is_continued_in_the_same_conversation():
    def respond(req):
        last = req.messages[-1]["content"]
        if last.startswith("Now write the complete code"):
            assert [m["role"] for m in req.messages] == ["user", "assistant", "user"]
            assert req.messages[1]["content"] == "THOUGHT: vote over samples\nNAME: Voter"
            return f"```python\n{BETTER}```"
        if last.startswith("You design agents"):
            return "THOUGHT: vote over samples\nNAME: Voter"
        return reply("Voter", BETTER, "vote over samples")  # the reflections keep it

    opt, model = make(respond)
    (cand,) = asyncio.run(opt.propose(history()))
    assert cand.spec.params == {"source": BETTER, "name": "Voter"} and cand.note == "vote over samples"
    assert opt.stats["code_asked"] == 1 and opt.stats["unparsed"] == 0
    assert len(model.calls) == 4 and opt.stats["meta_calls"] == 4  # propose, its code, two reflections


# ----------------------------------------------------------------------------- answer check


GARBLED = '''async def forward(inputs, ctx):
    text = await ctx.ask("Solve: " + inputs)
    return "\\n".join(text)
'''


def staged_answer(propose: str, answer_fix: list[str]):
    """``staged`` plus replies to the wrong-answer turn."""
    base = staged(propose)
    fixes = list(answer_fix)

    def respond(req) -> str:
        if "It ran without error on this training question" in req.messages[-1]["content"]:
            return fixes.pop(0)
        return base(req)

    return respond


def _score(answer: str, ex) -> float:
    from agentarch.tasks.metrics import get_metric

    return get_metric("numeric").score(answer, ex)


def _answer_checked(proposal: str, fix: str, design_reply: str):
    """A search whose smoke runs ask a design model that always says ``design_reply``, on
    "What is 10+5?" (15), scored by the numeric metric."""
    opt, meta = make(staged_answer(proposal, [fix]),
                     env_options={"smoke_context": lambda: Context(ScriptedModel(design_reply)),
                                  "smoke_score": _score})
    opt.env.train = [Example("t1", "What is 10+5?", "15")]
    (cand,) = asyncio.run(opt.propose(history()))
    return opt, meta, cand


def test_a_wrong_smoke_answer_gets_one_turn_and_a_fix_that_answers_right_is_kept(sandbox_ok):
    opt, meta, cand = _answer_checked(reply("Garbled", GARBLED), reply("Plain", GOOD), "Answer: 15")
    assert cand.spec.params["source"] == GOOD
    turn = prompts(meta)[3]
    assert "What is 10+5?" in turn and "The expected answer is: 15" in turn and "A\nn\ns" in turn
    assert opt.stats["answer_debug"] == 1 and opt.stats["answer_fixed"] == 1 and opt.stats["valid"] == 1


def test_a_revision_still_wrong_is_dropped_and_the_valid_agent_kept(sandbox_ok):
    opt, meta, cand = _answer_checked(reply("Plain", GOOD), reply("Other", BEST), "Answer: 7")
    assert cand.spec.params["source"] == GOOD  # BEST also answered 7: not kept
    assert opt.stats["answer_debug"] == 1 and opt.stats["answer_fixed"] == 0
    assert len(meta.calls) == 4  # propose, two reflections, one answer turn


def test_no_answer_turn_when_right_or_without_a_metric(sandbox_ok):
    def smoke_context():
        return Context(ScriptedModel("Answer: 5"))

    for options in ({"smoke_context": smoke_context, "smoke_score": _score}, {"smoke_context": smoke_context}):
        opt, meta = make(staged(reply("Plain", GOOD)), env_options=options)
        (cand,) = asyncio.run(opt.propose(history()))
        assert opt.stats["answer_debug"] == 0 and len(meta.calls) == 3
