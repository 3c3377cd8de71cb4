"""Meta Agent Search: a meta model writes new agents as Python code, conditioned on an archive of
the agents tried so far and their scores (Hu et al., 2025, 'Automated Design of Agentic Systems',
ADAS).

Each proposal follows ADAS's recipe with our own, much shorter prompts (they must fit, answer
included, in the 2048-token slot of the embedded 0.5B model):

1. **Propose.** The meta model sees the task, the ``forward(inputs, ctx)`` API of the sandbox with
   a tiny worked example, every registered building block (name, parameters, summary) as ideas to
   implement, and the best few archive entries (hand-designed baselines are described in words,
   generated agents shown as code) with their validation score and 95% interval. It answers with
   a thought, a name and the code.
2. **Reflect twice.** Two further turns ask it to check its proposal — first for novelty and
   promise against the archive, then for correctness — and to give the revised code.
3. **Debug.** The code is compiled (never executed in-process) and, when the loop provides a
   ``smoke_context``, run on one training example in the sandbox with the *design* model. An
   error goes back to the meta model with the traceback tail, up to ``debug_tries`` times; a
   proposal that still fails is dropped (``stats["invalid"]``) and never enters the archive.
4. **Check the answer.** When the loop gives the task's metric (``env.options["smoke_score"]``)
   and it scores the smoke answer 0, one more turn shows the question, the agent's answer and
   the expected one (``answer_debug``); the revision is kept only when it answers that example
   right. Valid agents from a 1.5B meta model often run cleanly yet garble their answer (joining
   a string character by character), which no error message would reveal.

Every prompt is a single self-contained user turn (no growing conversation), so each call stays
within the small context; the one exception is the request for the code of a reply that gave none,
which replays that reply as the model's own turn when it fits (``ask_for_code``). Meta calls use ``temperature > 0`` through ``env.meta`` (a ``Context``
on the meta model), whose sample counters make a rerun ask for the same samples in the same
order, so a killed search replays its proposals from the cache.

Options (``MetaAgentSearch(env, options)`` or ``(env, **options)``): ``MetaOptions``, defaults in
``DEFAULTS``. ``env.options["smoke_context"]``
is a zero-argument callable (sync or async) returning a fresh ``Context`` on the evaluated model
(with the task's ``extract`` and a ``run_code``), or absent to compile-check only.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar

from pydantic import Field

from agentarch.blocks.context import Context
from agentarch.blocks.registry import all_blocks
from agentarch.blocks.spec import DesignSpec
from agentarch.errors import AgentArchError, ConfigError
from agentarch.search.base import Candidate, Optimizer, OptimizerOptions, Scored, SearchEnv
from agentarch.search.meta_parse import Proposal, check_source, parse_partial, parse_proposal

DEFAULTS: dict[str, Any] = {
    "per_round": 1,          # valid candidates asked for per propose()
    "attempts": 2,           # fresh proposals tried per wanted candidate before giving up
    "reflections": 2,        # reflection turns per proposal
    "debug_tries": 3,        # debug turns after a failed check
    "ask_for_code": True,    # a reply without code is continued once with a request for the code
    "answer_debug": 1,       # turns after a smoke answer the task's metric scores 0 (a revision is kept
    #                          only when it answers that example right)
    "temperature": 0.8,      # meta model sampling temperature (> 0)
    "max_tokens": 500,       # per meta reply
    "context_tokens": 1800,  # prompt + reply must stay under this (n_ctx 2048 per slot)
    "archive_shown": 4,      # archive entries shown (best first)
    "code_shown": 2,         # of those, how many generated agents are shown with their code
    "code_lines": 24,        # code lines shown per archive entry
    "smoke_timeout": 60.0,   # seconds for the smoke run
    "smoke_max_calls": 30,   # model calls allowed in the smoke run
    "generations": 0,        # converged after this many meta proposals in the history (0 = never)
    "stop_after_invalid": 6,  # converged after this many invalid proposals in a row
}

API = """\
An agent is Python code defining `async def forward(inputs, ctx)` that returns the answer text.
`inputs` is the question (a string). Available inside forward:
- `await ctx.ask(prompt, temperature=0.0, max_tokens=256)` -> str: one model call
- `await ctx.chat(prompt, n=3, temperature=0.7, system=None)` -> list of n str
- `ctx.extract(text)` -> str: the final answer inside a text (use it to compare or vote)
- `await ctx.run_code(python_source)` -> object with .ok, .stdout, .error (runs in a sandbox)
Standard library only; no files, no network. Ask the model to end with "Answer: <answer>"."""

EXAMPLE = '''\
```python
async def forward(inputs, ctx):
    drafts = await ctx.chat("Solve step by step. End with 'Answer: <answer>'.\\n\\n" + inputs,
                            n=3, temperature=0.7)
    answers = [ctx.extract(d) for d in drafts]
    return max(answers, key=answers.count)
```'''

FORMAT = """\
Reply in exactly this format:
THOUGHT: <the idea in one to three sentences>
NAME: <a short name>
```python
async def forward(inputs, ctx):
    ...
```"""

REFLECTIONS = (
    "Reflect: is this agent really new compared with the archive, and is it likely to score higher? "
    "If not, change the idea to something more promising.",
    "Reflect: check the code line by line. Does it use only the ctx calls listed, await every ask/chat, "
    "and return the answer text? Fix every mistake.",
)

WRITE_CODE = " Then write the complete code of the agent."
CODE_REPLY_TOKENS = 200  # the least room a reply with code needs
ASK_CODE = ("Now write the complete code of this agent: one ```python block defining "
            "`async def forward(inputs, ctx)`.")



class MetaOptions(OptimizerOptions):
    """Meta Agent Search's options (defaults in ``DEFAULTS``)."""

    per_round: int = Field(DEFAULTS["per_round"], ge=1, description="valid candidates asked for per round")
    attempts: int = Field(DEFAULTS["attempts"], ge=1, description="fresh proposals per wanted candidate")
    reflections: int = Field(DEFAULTS["reflections"], ge=0, description="reflection turns per proposal")
    debug_tries: int = Field(DEFAULTS["debug_tries"], ge=0, description="debug turns after a failed check")
    ask_for_code: bool = Field(DEFAULTS["ask_for_code"], description="continue a reply without code, once")
    answer_debug: int = Field(DEFAULTS["answer_debug"], ge=0,
                              description="turns after a smoke answer scored 0 (revision kept when right)")
    temperature: float = Field(DEFAULTS["temperature"], gt=0.0, description="meta model sampling temperature")
    max_tokens: int = Field(DEFAULTS["max_tokens"], ge=16, description="tokens per meta reply")
    context_tokens: int = Field(DEFAULTS["context_tokens"], ge=64, description="prompt + reply must fit in this")
    archive_shown: int = Field(DEFAULTS["archive_shown"], ge=1, description="archive entries shown")
    code_shown: int = Field(DEFAULTS["code_shown"], ge=0, description="archive agents shown with their code")
    code_lines: int = Field(DEFAULTS["code_lines"], ge=1, description="code lines shown per archive agent")
    smoke_timeout: float = Field(DEFAULTS["smoke_timeout"], gt=0.0, description="seconds for the smoke run")
    smoke_max_calls: int = Field(DEFAULTS["smoke_max_calls"], ge=1, description="model calls in the smoke run")
    generations: int = Field(DEFAULTS["generations"], ge=0, description="stop after this many proposals (0: never)")
    stop_after_invalid: int = Field(DEFAULTS["stop_after_invalid"], ge=0,
                                    description="stop after this many invalid proposals in a row (0: never)")


_CODE = re.compile(r"```.*?(?:```|\Z)", re.S)


def estimate_tokens(text: str) -> int:
    """A cheap, slightly high estimate of the token count of ``text`` (Qwen2.5's tokenizer gives
    about 4.1 characters per token on these prompts' prose and about 3 on code)."""
    code = sum(len(m) for m in _CODE.findall(text))
    return int((len(text) - code) / 3.8 + code / 2.7) + 8


def _short(value: Any, most: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= most else text[: most - 3] + "..."


def _param_text(name: str, default: Any) -> str:
    if isinstance(default, (tuple, list)):
        return f"{name}=[..]"
    if isinstance(default, dict):
        return f"{name}={{..}}"
    if isinstance(default, str):
        return f"{name}={_short(default, 14)!r}"
    return f"{name}={default}"


def block_catalog(detail: int = 2) -> str:
    """One line per registered block: ``name(param=default, ...): summary`` (``detail`` 2), with
    parameter names only (1), without parameters (0), or with the summary cut at its first clause
    (-1)."""
    lines = []
    for name, cls in all_blocks().items():
        head = name
        fields = cls.Params.model_fields
        if detail >= 2:
            parts = [_param_text(k, "?" if f.is_required() else f.default) for k, f in fields.items()]
            head += f"({', '.join(parts)})"
        elif detail == 1:
            head += f"({', '.join(fields)})"
        summary = cls.summary
        if detail < 0:
            summary = re.split(r"[;:]\s|, (?=and |then |with )|\. ", summary)[0].rstrip(".")
        lines.append(f"- {head}: {summary}")
    return "\n".join(lines)


def describe_design(spec: DesignSpec) -> str:
    """A short readable description of a block design: its label and what each block does."""
    blocks = all_blocks()
    parts: list[str] = []
    seen: set[str] = set()

    def walk(s: DesignSpec) -> None:
        cls = blocks.get(s.block)
        if cls is None:
            return
        if s.block not in seen:
            seen.add(s.block)
            parts.append(f"{s.block}: {cls.summary}")
        for c in list(s.children) or [DesignSpec(block=b) for b in cls.default_children]:
            walk(c)

    walk(spec)
    if len(parts) == 1 and not spec.params:
        return parts[0]
    return f"{spec.label()} — " + " Inside, ".join(parts)


def _entry_name(s: Scored) -> str:
    spec = s.candidate.spec
    if spec.block == "code_agent":
        return str(spec.params.get("name") or "generated")
    return spec.label()


def render_entry(i: int, s: Scored, with_code: bool, code_lines: int = 24) -> str:
    spec = s.candidate.spec
    score = f"score {s.score:.2f} (95% CI {s.low:.2f}-{s.high:.2f})"
    if s.partial:
        score += f", only {s.n} validation examples: stopped early by racing"
    if spec.block != "code_agent":
        return f"{i}. [{score}] {describe_design(spec)}"
    head = f"{i}. [{score}] {_entry_name(s)} (generated code)"
    thought = _short(s.candidate.note, 200)
    text = f"{head}\n   idea: {thought}" if thought else head
    if with_code:
        lines = str(spec.params.get("source", "")).rstrip().splitlines()
        if len(lines) > code_lines:
            lines = lines[:code_lines] + ["    # ... (truncated)"]
        text += "\n```python\n" + "\n".join(lines) + "\n```"
    return text


def _example_input(ex: Any) -> Any:
    if hasattr(ex, "input"):
        return ex.input
    if isinstance(ex, dict):
        return ex.get("input", ex.get("question", ""))
    return ex


class MetaAgentSearch(Optimizer):
    """ADAS's Meta Agent Search (Hu et al., 2025): a meta model programs new agents from an archive."""

    name: ClassVar[str] = "meta"
    paper: ClassVar[str] = "Meta Agent Search (Hu et al., 2025, 'Automated Design of Agentic Systems')"

    DEFAULTS: ClassVar[dict[str, Any]] = DEFAULTS
    Options = MetaOptions

    def __init__(self, env: SearchEnv, options: Any = None, **more: Any):
        super().__init__(env, options, **more)
        if env.meta is None:
            raise ConfigError("meta search needs a meta model: give one with --meta-model "
                              "(it may be the same backend as the design model)")
        self.stats: dict[str, int] = {"proposed": 0, "valid": 0, "invalid": 0, "debug_attempts": 0,
                                      "reflections": 0, "unparsed": 0, "meta_calls": 0,
                                      "smoke_runs": 0, "answer_debug": 0, "answer_fixed": 0,
                                      "code_asked": 0}
        self._invalid_streak = 0
        self._proposed_ids: set[str] = set()
        self._smoke_index = 0
        self._smoke: tuple[Any, str] | None = None  # (example, answer) of the latest passing smoke run
        self.last_prompts: list[str] = []  # the prompts of the latest proposal, for inspection

    # ----------------------------------------------------------------- prompts
    def _task(self) -> str:
        desc = _short(self.env.task_description or "answer the question correctly", 400)
        return f"Task: {desc}"

    def _archive(self, history: list[Scored], shown: int, code_shown: int) -> str:
        ranked = sorted(history, key=lambda s: (-s.score, s.id))[:shown]
        out, codes = [], 0
        for i, s in enumerate(ranked, 1):
            with_code = s.candidate.spec.block == "code_agent" and codes < code_shown
            codes += with_code
            out.append(render_entry(i, s, with_code, self.opts["code_lines"]))
        return "\n".join(out) if out else "(empty: no agent has been scored yet)"

    def propose_prompt(self, history: list[Scored]) -> str:
        """The first prompt of a proposal, shrunk until prompt + reply fit in ``context_tokens``:
        first fewer archive agents with code (down to one), then less detail on the blocks (defaults,
        parameter names, full summaries), then fewer archive entries and no code."""
        room = int(self.opts["context_tokens"]) - int(self.opts["max_tokens"])
        shown, code_shown = int(self.opts["archive_shown"]), int(self.opts["code_shown"])
        one = min(code_shown, 1)
        steps = [(code_shown, 2, shown), (one, 2, shown), (one, 1, shown), (one, 0, shown),
                 (one, -1, shown), (one, -1, min(shown, 3)), (0, -1, min(shown, 3)), (0, -1, 1)]
        for code_n, detail, shown_n in steps:
            prompt = (
                f"You design agents (programs that call a language model) for a task.\n{self._task()}\n\n"
                f"{API}\n\nExample agent:\n{EXAMPLE}\n\n"
                f"Building blocks (known ideas you may combine or implement in code):\n"
                f"{block_catalog(detail)}\n\n"
                f"Archive (best agents so far, validation score with 95% interval):\n"
                f"{self._archive(history, shown_n, code_n)}\n\n"
                "Write a new agent that should score higher than the archive and differs from it.\n"
                f"{FORMAT}")
            if estimate_tokens(prompt) <= room:
                break
        return prompt

    def _current(self, p: Proposal) -> str:
        head = f'Your agent "{p.name or "unnamed"}"'
        if p.thought:
            head += f" — {_short(p.thought, 300)}"
        if not p.code.strip():
            return f"{head}. You gave no code for it yet."
        return f"{head}:\n```python\n{p.code.rstrip()}\n```"

    def reflect_prompt(self, p: Proposal, history: list[Scored], turn: int) -> str:
        names = ", ".join(_entry_name(s) for s in sorted(history, key=lambda s: -s.score)[:6])
        return (f"{self._task()}\n\n{API}\n\nArchive agents: {names or '(none)'}\n\n"
                f"{self._current(p)}\n\n{REFLECTIONS[turn % len(REFLECTIONS)]}"
                f"{WRITE_CODE if not p.code.strip() else ''}\n{FORMAT}")

    def debug_prompt(self, p: Proposal, error: str) -> str:
        return (f"{self._task()}\n\n{API}\n\n{self._current(p)}\n\n"
                f"It failed with this error:\n{_short_block(error, 900)}\n\n"
                f"Fix the error and give the full corrected agent.\n{FORMAT}")

    def answer_prompt(self, p: Proposal, ex: Any, answer: str) -> str:
        target = getattr(ex, "target", None)
        return (f"{self._task()}\n\n{API}\n\n{self._current(p)}\n\n"
                f"It ran without error on this training question:\n{_short_block(str(_example_input(ex)), 500)}\n"
                f"It returned:\n{_short_block(answer, 400)}\n"
                f"The expected answer is: {_short(target, 100)}\n\n"
                f"Find the mistake in the agent's logic (how it prompts, combines or formats answers) and "
                f"give the full corrected agent. Do not write the expected answer into the code.\n{FORMAT}")

    # ----------------------------------------------------------------- meta calls
    async def _ask(self, prompt: str, step: str) -> str:
        """The meta model's reply to ``prompt``. A reply that stops after its thought and name
        (the 1.5B model often does: 56 of 69 replies in one run) is continued once, in the same
        conversation, with a request for the code; the two texts are read together."""
        self.stats["meta_calls"] += 1
        self.last_prompts.append(prompt)
        meta: Context = self.env.meta  # type: ignore[assignment]
        kw = {"temperature": float(self.opts["temperature"]), "max_tokens": int(self.opts["max_tokens"])}
        text = await meta.ask(prompt, block=f"meta.{step}", **kw)
        if not self.opts["ask_for_code"] or not text.strip() or parse_proposal(text) is not None:
            return text
        room = int(self.opts["context_tokens"]) - estimate_tokens(prompt + text + ASK_CODE)
        if room < CODE_REPLY_TOKENS:
            return text  # the conversation would leave too little room for the code
        kw["max_tokens"] = min(kw["max_tokens"], room)
        self.stats["meta_calls"] += 1
        self.stats["code_asked"] += 1
        turns = [{"role": "user", "content": prompt}, {"role": "assistant", "content": text},
                 {"role": "user", "content": ASK_CODE}]
        more = (await meta.chat(turns, block=f"meta.{step}.code", **kw))[0]
        return f"{text}\n{more}"

    # ----------------------------------------------------------------- checks
    async def check(self, p: Proposal, known: set[str], example: Any = None) -> str:
        """'' when ``p`` is usable, else the error to show the meta model. The smoke run takes the
        next training example, or ``example``."""
        self._smoke = None
        err = check_source(p.code)
        if err:
            return err
        if self._spec(p).id in known:
            return "This agent is identical to one already in the archive; write a different one."
        factory = self.env.options.get("smoke_context")
        if factory is None or not self.env.train:
            return ""
        ctx = factory()
        if inspect.isawaitable(ctx):
            ctx = await ctx
        from agentarch.runtime.sandbox import run_agent

        ex = example
        if ex is None:  # the next training example, in turn
            ex = self.env.train[self._smoke_index % len(self.env.train)]
            self._smoke_index += 1
        self.stats["smoke_runs"] += 1
        result = await run_agent(p.code, _example_input(ex), ctx,
                                 timeout=float(self.opts["smoke_timeout"]),
                                 max_calls=int(self.opts["smoke_max_calls"]))
        if isinstance(result.exception, AgentArchError):
            raise result.exception  # budget spent or model down: stop the search, not the agent
        if not result.ok:
            return result.error or "the agent failed"
        if result.answer is None:
            return "forward returned None: it must return the answer text"
        if result.calls == 0:
            return ("forward never called the model: an agent must use ctx.ask (or another ctx call) "
                    "to answer; a fixed reply is not an agent")
        self._smoke = (ex, str(result.answer))
        return ""

    def _smoke_wrong(self) -> bool:
        """Whether the latest passing smoke answer scored 0 by the task's metric (when the loop
        gives one as ``env.options["smoke_score"]``, a callable (answer, example) -> score)."""
        score = self.env.options.get("smoke_score")
        if score is None or self._smoke is None:
            return False
        ex, answer = self._smoke
        try:
            return float(score(answer, ex)) <= 0.0
        except Exception:  # a metric that cannot read the example: no answer check
            return False

    async def _fix_answer(self, p: Proposal, known: set[str]) -> Proposal:
        """ADAS's debug loop with the answer as feedback: a valid agent that answered its smoke
        example wrong is shown the question, its answer and the expected one; the revision replaces
        it only when it passes every check and answers that example right."""
        for _ in range(int(self.opts["answer_debug"])):
            if not self._smoke_wrong():
                break
            ex, answer = self._smoke
            self.stats["answer_debug"] += 1
            fixed = parse_proposal(await self._ask(self.answer_prompt(p, ex, answer), "answer"))
            if fixed is None:
                self.stats["unparsed"] += 1
                break
            revised = Proposal(fixed.thought or p.thought, fixed.name or p.name, fixed.code)
            if await self.check(revised, known, example=ex) or self._smoke_wrong():
                break
            self.stats["answer_fixed"] += 1
            p = revised
        return p

    @staticmethod
    def _spec(p: Proposal) -> DesignSpec:
        return DesignSpec(block="code_agent", params={"source": p.code, "name": p.name or "generated"})

    # ----------------------------------------------------------------- one proposal
    async def _one(self, history: list[Scored], known: set[str]) -> Candidate | None:
        self.last_prompts = []
        self.stats["proposed"] += 1
        p = parse_partial(await self._ask(self.propose_prompt(history), "propose"))
        if not p.code:
            self.stats["unparsed"] += 1  # a reply without code: the turns below ask for it
        for turn in range(int(self.opts["reflections"])):
            self.stats["reflections"] += 1
            revised = parse_proposal(await self._ask(self.reflect_prompt(p, history, turn), "reflect"))
            if revised is None:
                self.stats["unparsed"] += 1
            elif not check_source(revised.code) or check_source(p.code):
                # keep the revision unless it broke code that compiled
                p = Proposal(revised.thought or p.thought, revised.name or p.name, revised.code)
        error = await self.check(p, known)
        tries = 0
        while error and tries < int(self.opts["debug_tries"]):
            tries += 1
            self.stats["debug_attempts"] += 1
            fixed = parse_proposal(await self._ask(self.debug_prompt(p, error), "debug"))
            if fixed is None:
                self.stats["unparsed"] += 1
                continue
            p = Proposal(fixed.thought or p.thought, fixed.name or p.name, fixed.code)
            error = await self.check(p, known)
        if error:
            self.stats["invalid"] += 1
            return None
        self.stats["valid"] += 1
        p = await self._fix_answer(p, known)
        spec = self._spec(p)
        return Candidate(spec=spec, parent=None, origin="meta", note=p.thought)

    async def propose(self, history: list[Scored]) -> list[Candidate]:
        """Up to ``per_round`` new, checked agents written by the meta model (empty when every
        attempt failed its checks)."""
        known = {s.id for s in history} | self._proposed_ids
        out: list[Candidate] = []
        for _ in range(int(self.opts["per_round"])):
            for _attempt in range(max(1, int(self.opts["attempts"]))):
                cand = await self._one(history, known)
                if cand is None:
                    self._invalid_streak += 1
                    continue
                self._invalid_streak = 0
                known.add(cand.spec.id)
                self._proposed_ids.add(cand.spec.id)
                out.append(cand)
                break
        return out

    def converged(self, history: list[Scored]) -> bool:
        gens = int(self.opts["generations"])
        if gens and sum(1 for s in history if s.candidate.origin == "meta") >= gens:
            return True
        limit = int(self.opts["stop_after_invalid"])
        return bool(limit) and self._invalid_streak >= limit


def _short_block(text: str, most: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= most else "..." + text[-(most - 3):]
