"""Monte Carlo tree search over workflows, after AFlow (Zhang et al., 2025, 'AFlow: Automating
Agentic Workflow Generation').

The tree's nodes are block designs (``DesignSpec``); the root is the best hand-designed baseline
(or the ``start`` design). Each round:

1. **Select** a node among the root and the best ``top_k - 1`` other nodes, with AFlow's mix of
   a uniform and a score-softmax distribution:
   ``P(i) = lam / n + (1 - lam) * softmax(alpha * scale * (s_i - s_max))``. AFlow's scores are
   percentages, so ours (in [0, 1]) are multiplied by ``score_scale`` = 100 before ``alpha``.
2. **Expand** it by ONE typed modification (``mcts_edits``: change a parameter, wrap in a block
   such as self-consistency or refine, remove a wrapper, swap the child, replace a block). The
   meta model (``env.meta``) sees the node's spec, score, errors and failed examples, the changes
   already tried on it with their outcome (AFlow's experience), and a numbered menu of edits; it
   answers with a number. An unusable reply falls back to a random edit from the menu (seeded
   ``rng``); ``stats`` and the candidate's note say which happened. Edits that give a design
   already in the tree or history are never offered.
3. **Evaluate** and **back-propagate**: the loop evaluates the child; the history is the tree
   (``Candidate.parent`` links a child to the node it came from).

``converged`` is AFlow's stopping rule: the average score of the top ``conv_top_k`` nodes has not
improved for ``patience`` consecutive rounds (or the tree cannot be expanded any more).
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, Optional, Sequence

from pydantic import Field, field_validator

from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec, parse_design
from agentarch.errors import ConfigError
from agentarch.search.base import Candidate, Optimizer, OptimizerOptions, Scored, SearchEnv
from agentarch.search.mcts_edits import Edit, all_edits, block_kinds, canonical_id, menu
from agentarch.search.meta import describe_design
from agentarch.search.pareto import cautious_value


DEFAULTS: dict[str, Any] = {
    "start": None,        # root design (DesignSpec, dict, JSON, path or block name); default: best baseline
    "per_round": 1,       # children proposed per propose() (AFlow: one)
    "top_k": 3,           # nodes in the selection pool: the root and the best top_k - 1 others
    "lam": 0.2,           # weight of the uniform part of the selection distribution
    "alpha": 0.4,         # softmax sharpness, per percentage point of score
    "score_scale": 100.0,  # scores in [0, 1] are multiplied by this before alpha
    "menu_size": 10,      # edits offered to the meta model
    "temperature": 0.7,   # meta model sampling temperature
    "max_tokens": 64,     # meta reply length (a number and a reason)
    "failures_shown": 3,  # failed examples shown in the expansion prompt
    "errors_shown": 2,
    "experience_shown": 4,  # earlier edits of the node shown with their outcome
    "patience": 5,        # converged after this many rounds without top-k improvement
    "conv_top_k": 3,
    "min_delta": 0.0,     # an improvement must exceed this
    "max_rounds": 0,      # converged after this many expansions (0 = no limit)
    "max_depth": 4,       # designs nested deeper than this are not offered
    "blocks": None,       # restrict edits to these block names
}


class MCTSOptions(OptimizerOptions):
    """AFlow MCTS's options (defaults in ``DEFAULTS``). ``start`` takes a design (a ``DesignSpec``,
    a dict, JSON text, a .json path or a block name); ``blocks`` a list or a comma list of names."""

    start: Optional[DesignSpec] = Field(DEFAULTS["start"], description="root design (default: best baseline)")
    per_round: int = Field(DEFAULTS["per_round"], ge=1, description="children proposed per round")
    top_k: int = Field(DEFAULTS["top_k"], ge=1, description="nodes in the selection pool")
    lam: float = Field(DEFAULTS["lam"], ge=0.0, le=1.0, description="weight of uniform selection")
    alpha: float = Field(DEFAULTS["alpha"], ge=0.0, description="softmax sharpness per score point")
    score_scale: float = Field(DEFAULTS["score_scale"], gt=0.0, description="score multiplier before alpha")
    menu_size: int = Field(DEFAULTS["menu_size"], ge=1, description="edits offered to the meta model")
    temperature: float = Field(DEFAULTS["temperature"], ge=0.0, description="meta model sampling temperature")
    max_tokens: int = Field(DEFAULTS["max_tokens"], ge=1, description="meta reply length")
    failures_shown: int = Field(DEFAULTS["failures_shown"], ge=0, description="failed examples in the prompt")
    errors_shown: int = Field(DEFAULTS["errors_shown"], ge=0, description="errors in the prompt")
    experience_shown: int = Field(DEFAULTS["experience_shown"], ge=0, description="earlier edits shown")
    patience: int = Field(DEFAULTS["patience"], ge=1, description="rounds without top-k improvement")
    conv_top_k: int = Field(DEFAULTS["conv_top_k"], ge=1, description="nodes averaged for convergence")
    min_delta: float = Field(DEFAULTS["min_delta"], ge=0.0, description="an improvement must exceed this")
    max_rounds: int = Field(DEFAULTS["max_rounds"], ge=0, description="expansions at most (0: no limit)")
    max_depth: int = Field(DEFAULTS["max_depth"], ge=1, description="deepest nesting offered")
    blocks: Optional[tuple[str, ...]] = Field(DEFAULTS["blocks"], description="restrict edits to these blocks")

    @field_validator("start", mode="before")
    @classmethod
    def _design(cls, value: Any) -> Any:
        if value is None or isinstance(value, DesignSpec):
            return value
        if isinstance(value, dict):
            spec = DesignSpec.model_validate(value)
            spec.build()
            return spec
        return parse_design(str(value), source="mcts start design")

    @field_validator("blocks", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [b.strip() for b in value.split(",") if b.strip()]
        if value is None:
            return None
        names = tuple(value)
        known = all_blocks()
        unknown = [b for b in names if b not in known]
        if unknown:
            raise ValueError(f"unknown block(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return names or None


def selection_probabilities(scores: Sequence[float], lam: float = 0.2, alpha: float = 0.4,
                            scale: float = 100.0) -> list[float]:
    """AFlow's node-selection distribution: ``lam`` uniform plus ``1 - lam`` softmax of
    ``alpha * scale * (s - s_max)`` (scores in [0, 1], ``scale`` makes them percentages)."""
    if not scores:
        return []
    n = len(scores)
    top = max(scores)
    exps = [math.exp(alpha * scale * (s - top)) for s in scores]
    total = sum(exps)
    return [lam / n + (1 - lam) * e / total for e in exps]


def parse_choice(text: str, count: int) -> int | None:
    """A 0-based menu index from replies like "Choice: 3", "**3**. wrap ...", "I pick option 2"."""
    text = text or ""
    m = re.search(r"(?:choice|choose|option|edit|change|pick|select)\w*\s*(?:number|no\.?)?\s*[:#=]?\s*"
                  r"[*\"'(\[]*\s*(\d+)(?!\d|\.\d)", text, re.I)
    if m is None:
        m = re.match(r"\s*[*\"'(\[#]*\s*(\d+)(?!\d|\.\d)", text)
    if m is not None:
        k = int(m.group(1))
        return k - 1 if 1 <= k <= count else None
    nums = {int(x) for x in re.findall(r"(?<![\w.])(\d+)(?!\w|\.\d)", text)}
    nums = {k for k in nums if 1 <= k <= count}
    return nums.pop() - 1 if len(nums) == 1 else None


def _short(value: Any, most: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= most else text[: most - 3] + "..."


def _strip_tag(note: str) -> str:
    return re.sub(r"\s*\[(?:meta|random)\]$", "", note or "")


class WorkflowMCTS(Optimizer):
    """AFlow's MCTS over workflows (Zhang et al., 2025): select by mixed softmax, expand by one
    meta-chosen typed edit guided by the node's errors, stop when the top-k average stalls."""

    name: ClassVar[str] = "mcts"
    paper: ClassVar[str] = "AFlow: Automating Agentic Workflow Generation (Zhang et al., 2025)"

    DEFAULTS: ClassVar[dict[str, Any]] = DEFAULTS
    Options = MCTSOptions

    def __init__(self, env: SearchEnv, options: Any = None, **more: Any):
        super().__init__(env, options, **more)
        self._start: DesignSpec | None = self.options.start
        self.wrappers, self.leaves = block_kinds(self.opts["blocks"])
        if not self.wrappers and not self.leaves:
            raise ConfigError("mcts search: no usable blocks to edit with (check 'blocks')")
        self.stats: dict[str, int] = {"rounds": 0, "meta_choice": 0, "random_fallback": 0,
                                      "duplicates_rejected": 0, "exhausted_nodes": 0}
        self._root_cid: str | None = None
        self._proposed: set[str] = set()  # canonical ids of our candidates
        self._exhausted = False
        self.last_prompt = ""
        self.last_menu: list[Edit] = []

    # ----------------------------------------------------------------- the tree
    def _root_spec(self, history: list[Scored]) -> DesignSpec:
        if self._start is not None:
            return self._start
        pool = ([s for s in history if s.candidate.origin == "baseline"]
                or [s for s in history if s.candidate.origin != self.name and
                    s.candidate.spec.block != "code_agent"])
        if not pool:
            return DesignSpec(block="cot")
        pool = [s for s in pool if not s.partial] or pool  # a design racing stopped early is a poor root
        return max(pool, key=lambda s: (s.score, -history.index(s))).candidate.spec

    def tree(self, history: list[Scored]) -> tuple[DesignSpec, list[Scored]]:
        """The root design and the evaluated tree nodes in history order (root first if scored)."""
        if self._root_cid is None and (history or self._start is not None):
            self._root_cid = canonical_id(self._root_spec(history))  # fixed once chosen
        cid = self._root_cid
        root = next((s for s in history if canonical_id(s.candidate.spec) == cid), None)
        root_spec = root.candidate.spec if root else self._root_spec(history)
        nodes = [s for s in history if s is not root and
                 (s.candidate.origin == self.name or canonical_id(s.candidate.spec) in self._proposed)]
        return root_spec, ([root] if root else []) + nodes

    def select(self, pool: list[Scored]) -> Scored:
        """One node of ``pool`` drawn with AFlow's mixed probabilities (seeded rng)."""
        probs = selection_probabilities([cautious_value(s) for s in pool], float(self.opts["lam"]),
                                        float(self.opts["alpha"]), float(self.opts["score_scale"]))
        r, acc = self.env.rng.random(), 0.0
        for s, p in zip(pool, probs):
            acc += p
            if r < acc:
                return s
        return pool[-1]

    def pool(self, nodes: list[Scored]) -> list[Scored]:
        """The selection pool: the root (first node) and the best ``top_k - 1`` others."""
        if not nodes:
            return []
        k = max(1, int(self.opts["top_k"]))
        rest = sorted(nodes[1:], key=lambda s: (s.partial, -s.score))[: k - 1]  # fully measured first
        return [nodes[0]] + rest

    # ----------------------------------------------------------------- expansion
    def expansion_prompt(self, node: Scored, options: list[Edit], history: list[Scored]) -> str:
        spec = node.candidate.spec
        lines = [
            "You improve a workflow (a design made of building blocks) for a task.",
            f"Task: {_short(self.env.task_description or 'answer the question correctly', 300)}",
            "",
            f"Current workflow, validation score {node.score:.2f} (95% CI {node.low:.2f}-{node.high:.2f})"
            + (f" on only {node.n} examples (stopped early by racing):" if node.partial else ":"),
            spec.to_json(),
            f"What it does: {_short(describe_design(spec), 400)}",
        ]
        errors = node.errors[: int(self.opts["errors_shown"])]
        if errors:
            lines += ["", "Errors it raised:"] + [f"- {_short(e, 200)}" for e in errors]
        fails = node.failures[: int(self.opts["failures_shown"])]
        if fails:
            lines += ["", "Examples it got wrong:"]
            for f in fails:
                lines.append(f"- Question: {_short(f.get('input', ''), 220)} | expected: "
                             f"{_short(f.get('target', ''), 60)} | its answer: {_short(f.get('answer', ''), 160)}")
        tried = [s for s in history if s.candidate.parent == node.id][: int(self.opts["experience_shown"])]
        if tried:
            lines += ["", "Changes already tried on it:"]
            for s in tried:
                verdict = "better" if s.score > node.score else "worse" if s.score < node.score else "same"
                lines.append(f"- {_short(_strip_tag(s.candidate.note), 120)} -> {s.score:.2f} ({verdict})")
        lines += ["", "Possible changes (choose exactly ONE):"]
        lines += [f"{i}. [{e.op}] {_short(e.text, 160)}" for i, e in enumerate(options, 1)]
        lines += ["", "Which change is most likely to fix the mistakes above and raise the score? "
                  'Reply with "Choice: <number>" and one short sentence why.']
        return "\n".join(lines)

    async def expand(self, node: Scored, history: list[Scored], known: set[str]) -> Candidate | None:
        """One child of ``node`` by one typed edit, or None when every edit gives a known design."""
        edits = all_edits(node.candidate.spec, self.wrappers, self.leaves, int(self.opts["max_depth"]))
        fresh = [e for e in edits if canonical_id(e.spec) not in known]
        self.stats["duplicates_rejected"] += len(edits) - len(fresh)
        if not fresh:
            return None
        options = menu(fresh, self.env.rng, int(self.opts["menu_size"]))
        self.last_menu = options
        self.last_prompt = self.expansion_prompt(node, options, history)
        choice = None
        if self.env.meta is not None:
            reply = await self.env.meta.ask(self.last_prompt, temperature=float(self.opts["temperature"]),
                                            max_tokens=int(self.opts["max_tokens"]), block="mcts.expand")
            choice = parse_choice(reply, len(options))
        if choice is None:
            choice, how = self.env.rng.randrange(len(options)), "random"
            self.stats["random_fallback"] += 1
        else:
            how = "meta"
            self.stats["meta_choice"] += 1
        edit = options[choice]
        return Candidate(spec=edit.spec, parent=node.id, origin=self.name, note=f"{edit.text} [{how}]")

    async def propose(self, history: list[Scored]) -> list[Candidate]:
        """The root first when it has not been evaluated; then ``per_round`` one-edit children of
        nodes chosen by AFlow's selection rule."""
        root_spec, nodes = self.tree(history)
        known = {canonical_id(s.candidate.spec) for s in history} | self._proposed
        if not nodes or canonical_id(nodes[0].candidate.spec) != self._root_cid:
            cid = canonical_id(root_spec)
            self._root_cid = cid
            if cid in self._proposed:
                return []  # already proposed, not evaluated yet
            self._proposed.add(cid)
            return [Candidate(spec=root_spec, parent=None, origin=self.name, note="root")]
        out: list[Candidate] = []
        for _ in range(int(self.opts["per_round"])):
            pool = self.pool(nodes)
            cand = None
            while pool and cand is None:
                node = self.select(pool)
                cand = await self.expand(node, history, known)
                if cand is None:  # fully expanded: try another node of the pool
                    self.stats["exhausted_nodes"] += 1
                    pool = [s for s in pool if s is not node]
            if cand is None:
                self._exhausted = True
                break
            cid = canonical_id(cand.spec)
            known.add(cid)
            self._proposed.add(cid)
            self.stats["rounds"] += 1
            out.append(cand)
        return out

    # ----------------------------------------------------------------- stopping
    def top_k_averages(self, history: list[Scored]) -> list[float]:
        """The average score of the best ``conv_top_k`` tree nodes after each node, in order."""
        _, nodes = self.tree(history)
        k = max(1, int(self.opts["conv_top_k"]))
        scores: list[float] = []
        out = []
        for s in nodes:
            scores.append(s.score)
            top = sorted(scores, reverse=True)[:k]
            out.append(sum(top) / len(top))
        return out

    def converged(self, history: list[Scored]) -> bool:
        if self._exhausted:
            return True
        avgs = self.top_k_averages(history)
        if int(self.opts["max_rounds"]) and len(avgs) - 1 >= int(self.opts["max_rounds"]):
            return True
        best, stale = -math.inf, 0
        for a in avgs:
            if a > best + float(self.opts["min_delta"]):
                best, stale = a, 0
            else:
                stale += 1
        return stale >= int(self.opts["patience"])
