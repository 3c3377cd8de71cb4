"""AFlow-style MCTS over workflows: selection, one-edit expansion, duplicates, convergence, and
the expansion prompt, with a scripted meta model."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter

import pytest

from agentarch.blocks.context import Context
from agentarch.blocks.presets import baselines
from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.llm.scripted import ScriptedModel
from agentarch.search.base import Candidate, Scored, SearchEnv
from agentarch.search.mcts import WorkflowMCTS, parse_choice, selection_probabilities
from agentarch.search.mcts_edits import all_edits, block_kinds, canonical_id, param_values


def scored(spec, score, origin="mcts", parent=None, note="", errors=(), failures=()) -> Scored:
    if isinstance(spec, dict):
        spec = DesignSpec.model_validate(spec)
    return Scored(Candidate(spec, parent=parent, origin=origin, note=note), score, max(score - 0.1, 0),
                  min(score + 0.1, 1), 100.0, 1.0, list(errors), list(failures))


def base_history() -> list[Scored]:
    scores = {"direct": 0.2, "cot": 0.5, "cot_sc": 0.6, "refine": 0.55, "debate": 0.4}
    b = baselines(list(scores))
    return [scored(b[n], s, origin="baseline") for n, s in scores.items()]


def make(respond="Choice: 1", seed=0, meta=True, **options):
    model = ScriptedModel(respond)
    env = SearchEnv(rng=random.Random(seed), meta=Context(model) if meta else None,
                    task_description="Arithmetic word problems.")
    return WorkflowMCTS(env, **options), model


# ----------------------------------------------------------------------------- an independent diff


def _canon(spec: DesignSpec) -> dict:
    cls = all_blocks()[spec.block]
    kids = spec.children or tuple(DesignSpec(block=b) for b in cls.default_children)
    return {"block": spec.block, "params": cls.Params(**spec.params).model_dump(),
            "children": [_canon(c) for c in kids]}


def modifications(a: dict, b: dict) -> int:
    """How many typed modifications turn design ``a`` into ``b`` (large when not a known shape)."""
    if a == b:
        return 0
    if b["children"] and len(b["children"]) == 1 and b["children"][0] == a:
        return 1  # wrapped
    if a["children"] and len(a["children"]) == 1 and a["children"][0] == b:
        return 1  # unwrapped
    if a["block"] != b["block"]:
        if not a["children"] and not b["children"]:
            return 1  # a leaf replaced by another (fresh parameters)
        if len(a["children"]) == len(b["children"]):
            return 1 + sum(modifications(x, y) for x, y in zip(a["children"], b["children"]))
        return 99
    if len(a["children"]) != len(b["children"]):
        return 99
    changed = sum(1 for k in a["params"] if a["params"][k] != b["params"].get(k))
    return changed + sum(modifications(x, y) for x, y in zip(a["children"], b["children"]))


# ----------------------------------------------------------------------------- selection


def test_selection_probabilities_mix_uniform_and_softmax():
    scores = [0.5, 0.6, 0.7]
    probs = selection_probabilities(scores, lam=0.2, alpha=0.4, scale=100.0)
    exps = [math.exp(0.4 * (s - 0.7) * 100) for s in scores]  # e^-8, e^-4, 1
    want = [0.2 / 3 + 0.8 * e / sum(exps) for e in exps]
    assert probs == pytest.approx(want, rel=1e-12)
    assert sum(probs) == pytest.approx(1.0)
    assert probs[0] == pytest.approx(0.0669, abs=1e-4)  # the uniform floor keeps weak nodes alive
    assert probs[2] == pytest.approx(0.2 / 3 + 0.8 / (1 + math.exp(-4) + math.exp(-8)))
    assert selection_probabilities(scores, lam=1.0) == pytest.approx([1 / 3] * 3)
    pure = selection_probabilities(scores, lam=0.0)
    assert pure == pytest.approx([e / sum(exps) for e in exps])
    assert selection_probabilities([0.4, 0.4]) == pytest.approx([0.5, 0.5])


def test_select_draws_from_root_and_top_k_with_those_probabilities():
    h = base_history()  # best baseline cot_sc (0.6) is the root
    root = h[2].candidate.spec
    kids = [scored({"block": "self_consistency", "params": {"n": n}, "children": [{"block": "cot"}]},
                   s, parent=h[2].id) for n, s in ((3, 0.62), (7, 0.58), (9, 0.3))]
    opt, _ = make(top_k=3)
    _, nodes = opt.tree(h + kids)
    assert nodes[0].candidate.spec == root and len(nodes) == 4
    pool = opt.pool(nodes)
    assert [s.score for s in pool] == [0.6, 0.62, 0.58]  # root + the best two others
    counts = Counter(opt.select(pool).score for _ in range(20000))
    want = selection_probabilities([0.6, 0.62, 0.58])
    for s, p in zip([0.6, 0.62, 0.58], want):
        assert counts[s] / 20000 == pytest.approx(p, abs=0.015)


# ----------------------------------------------------------------------------- expansion


@pytest.mark.parametrize("name", ["direct", "cot", "cot_sc", "refine", "debate", "program_of_thought"])
def test_every_offered_edit_is_exactly_one_modification(name):
    spec = baselines([name])[name]
    wrappers, leaves = block_kinds()
    edits = all_edits(spec, wrappers, leaves)
    ops = Counter(e.op for e in edits)
    assert ops["wrap"] >= 3 and ops["param"] >= 1 and (ops["replace"] + ops["swap_child"]) >= 5
    for e in edits:
        e.spec.build()
        assert modifications(_canon(spec), _canon(e.spec)) == 1, e.text
    assert len({canonical_id(e.spec) for e in edits}) == len(edits)


def test_param_values_respect_types():
    f = all_blocks()["self_consistency"].Params.model_fields
    assert param_values("self_consistency", "n", f["n"], 5) == [4, 6, 10]
    assert param_values("self_consistency", "temperature", f["temperature"], 0.7) == [0.0, 0.3, 1.0]
    b = all_blocks()["best_of_n"].Params.model_fields
    assert set(param_values("best_of_n", "verifier", b["verifier"], "llm_judge")) == {
        "verifier_majority", "exec_check"}
    c = all_blocks()["cot"].Params.model_fields
    assert param_values("cot", "instruction", c["instruction"], "plan") == ["step_by_step", "careful"]
    assert param_values("cot", "max_tokens", c["max_tokens"], 384) == [192, 768]


def test_expansion_is_one_edit_of_the_selected_parent_chosen_by_the_meta_model():
    h = base_history()
    opt, model = make("Choice: 3 because it votes")
    (cand,) = asyncio.run(opt.propose(h))
    parent = next(s for s in h if s.id == cand.parent)
    assert parent.candidate.spec == baselines(["cot_sc"])["cot_sc"]  # the only node: the root
    assert cand.origin == "mcts" and cand.spec == opt.last_menu[2].spec
    assert cand.note.endswith("[meta]") and opt.last_menu[2].text in cand.note
    assert modifications(_canon(parent.candidate.spec), _canon(cand.spec)) == 1
    assert opt.stats["meta_choice"] == 1 and opt.stats["random_fallback"] == 0
    assert len(model.calls) == 1 and model.calls[0].temperature > 0


def test_unusable_reply_falls_back_to_a_seeded_random_edit():
    h = base_history()
    runs = []
    for _ in range(2):
        opt, _ = make("I think the workflow is fine as it is.")
        (cand,) = asyncio.run(opt.propose(h))
        assert cand.note.endswith("[random]")
        assert opt.stats == {**opt.stats, "random_fallback": 1, "meta_choice": 0}
        assert any(cand.spec == e.spec for e in opt.last_menu)
        runs.append(cand.spec.id)
    assert runs[0] == runs[1]  # reproducible from the seed
    opt, _ = make(meta=False)  # no meta model at all: random edits
    (cand,) = asyncio.run(opt.propose(h))
    assert cand.note.endswith("[random]")


def test_error_log_and_experience_of_the_parent_appear_in_the_expansion_prompt():
    h = base_history()
    root = h[2]
    h[2] = scored(root.candidate.spec, 0.6, origin="baseline",
                  errors=["AgentCodeError: division by zero in vote"],
                  failures=[{"input": "Tom has 3 apples and buys 4 more. How many?", "target": "7",
                             "answer": "I think 12"}])
    child = scored({"block": "refine", "children": [h[2].candidate.spec.to_dict()]}, 0.5,
                   parent=h[2].id, note="wrap the whole workflow in refine: ... [meta]")
    opt, model = make("Choice: 1", top_k=1)  # pool = the root only
    asyncio.run(opt.propose(h + [child]))
    prompt = model.calls[0].messages[-1]["content"]
    assert "AgentCodeError: division by zero in vote" in prompt
    assert "Tom has 3 apples and buys 4 more. How many? | expected: 7 | its answer: I think 12" in prompt
    assert h[2].candidate.spec.to_json() in prompt and "validation score 0.60" in prompt
    assert "- wrap the whole workflow in refine: ... -> 0.50 (worse)" in prompt
    assert "1. [" in prompt and "Choice: <number>" in prompt


def test_duplicates_are_never_proposed():
    h = base_history()
    opt, _ = make("Choice: 1", top_k=4)
    seen = {canonical_id(s.candidate.spec) for s in h}
    rng = random.Random(1)
    for _ in range(25):
        cands = asyncio.run(opt.propose(h))
        assert len(cands) == 1
        cid = canonical_id(cands[0].spec)
        assert cid not in seen
        seen.add(cid)
        h.append(Scored(cands[0], rng.random(), 0, 1, 10, 1))
    assert opt.stats["duplicates_rejected"] > 0


def test_defaults_spelled_out_count_as_duplicates():
    # cot_sc is self_consistency(n=5)[cot]; the same design without explicit defaults is a duplicate
    spelled = DesignSpec(block="self_consistency", params={"n": 5, "temperature": 0.7},
                         children=(DesignSpec(block="cot", params={"instruction": "step_by_step"}),))
    assert canonical_id(spelled) == canonical_id(DesignSpec(block="self_consistency"))
    wrappers, leaves = block_kinds()
    offered = {canonical_id(e.spec) for e in all_edits(DesignSpec(block="cot"), wrappers, leaves)}
    assert canonical_id(spelled) in offered  # wrapping cot in self_consistency gives it...
    h = [scored(DesignSpec(block="cot"), 0.5, origin="baseline"), scored(spelled, 0.4, origin="baseline")]
    opt, _ = make(blocks=["cot", "self_consistency"], top_k=1)
    for _ in range(6):
        (cand,) = asyncio.run(opt.propose(h))
        assert canonical_id(cand.spec) != canonical_id(spelled)  # ...but it is known already
        h.append(Scored(cand, 0.1, 0, 1, 10, 1))


def test_a_fully_expanded_tree_converges():
    h = [scored(DesignSpec(block="direct"), 0.5, origin="baseline")]
    opt, _ = make(blocks=["direct", "cot"], patience=100)
    proposed = []
    for _ in range(20):
        cands = asyncio.run(opt.propose(h))
        if not cands:
            break
        proposed += cands
        h += [Scored(c, 0.1, 0, 1, 10, 1) for c in cands]
    assert cands == [] and opt.converged(h)
    assert len({canonical_id(c.spec) for c in proposed}) == len(proposed) >= 3
    assert opt.stats["exhausted_nodes"] >= 1


# ----------------------------------------------------------------------------- root and convergence


def test_root_is_proposed_first_when_not_evaluated():
    opt, _ = make()
    (c,) = asyncio.run(opt.propose([]))
    assert c.spec == DesignSpec(block="cot") and c.note == "root"
    assert asyncio.run(opt.propose([])) == []  # pending evaluation: not proposed twice
    start = {"block": "refine", "params": {"rounds": 1}, "children": [{"block": "cot"}]}
    opt, _ = make(start=start)
    (c,) = asyncio.run(opt.propose(base_history()))
    assert c.spec == DesignSpec.model_validate(start) and c.origin == "mcts"
    h = base_history() + [Scored(c, 0.3, 0.2, 0.4, 10, 1)]
    (child,) = asyncio.run(opt.propose(h))
    assert child.parent == c.spec.id


def test_convergence_after_n_rounds_without_top_k_improvement():
    h = base_history()  # root cot_sc at 0.6
    opt, _ = make(patience=3, conv_top_k=3)
    parent = h[2].id

    def child(n, score):
        return scored({"block": "self_consistency", "params": {"n": n}}, score, parent=parent)

    h += [child(3, 0.7), child(4, 0.8)]  # improving rounds
    assert not opt.converged(h)
    h.append(child(6, 0.65))  # top-3 average 0.7 -> 0.7167: still improving
    assert not opt.converged(h)
    for n, s in ((7, 0.5), (8, 0.6)):  # two stale rounds
        h.append(child(n, s))
        assert not opt.converged(h)
    h.append(child(9, 0.4))  # the third stale round
    assert opt.converged(h)
    avgs = opt.top_k_averages(h)
    assert avgs[:4] == pytest.approx([0.6, 0.65, 0.7, (0.8 + 0.7 + 0.65) / 3])
    h.append(child(10, 0.9))  # a new best resets the count
    assert not opt.converged(h)


def test_max_rounds_and_option_checks():
    opt, _ = make(max_rounds=2)
    h = base_history()
    h.append(scored({"block": "self_consistency", "params": {"n": 3}}, 0.9, parent=h[2].id))
    assert not opt.converged(h)
    h.append(scored({"block": "self_consistency", "params": {"n": 4}}, 0.95, parent=h[2].id))
    assert opt.converged(h)
    with pytest.raises(ConfigError, match="unknown option"):
        make(lambda_=0.3)
    with pytest.raises(ConfigError, match="lam"):
        make(lam=2)
    with pytest.raises(ConfigError, match="unknown block"):
        make(start="no_such_block")


def test_parse_choice():
    assert parse_choice("Choice: 3", 10) == 2
    assert parse_choice("**Choice:** 4. It helps.", 10) == 3
    assert parse_choice("I choose option 2 because it votes", 10) == 1
    assert parse_choice("5. wrap in refine", 10) == 4
    assert parse_choice("Wrapping in refine (number 7) fixes it", 10) == 6
    assert parse_choice("Choice: 12", 10) is None
    assert parse_choice("temperature 0.7 is too high; try 3 or 4", 10) is None
    assert parse_choice("no idea", 10) is None


def test_blocks_that_do_nothing_without_data_are_never_offered():
    wrappers, leaves = block_kinds()
    assert "fewshot" not in wrappers and "code_agent" not in wrappers + leaves
    assert "refine" in wrappers and "cot" in leaves
    edits = all_edits(baselines(["cot"])["cot"], wrappers, leaves)
    assert edits and not any("fewshot" in e.spec.label() for e in edits)
