"""Racing: spend the validation budget where it decides something.

A candidate is measured on a growing prefix of the validation split (the rungs below, then the whole
split) and after each rung it is compared with the incumbent -- the best design measured on the whole
split so far -- by a paired bootstrap over the same examples (the statistics of ``runtime/stats.py``).
A candidate is dropped at that rung when the upper end of the interval of (candidate - incumbent)
is not above 0: it is significantly worse, or it has not been better on a single example so far and
so gives no sign that more examples would make it the new best. On the first rung an exact tie
(the same value on every example) goes on when some of its answers differ from the incumbent's: a
handful of examples cannot tell a design that matches the incumbent there from one that is better
elsewhere (``self_consistency`` matching ``cot`` on 8 examples it already gets right, say); a tie
with the very same answers (a change of ``max_tokens`` the answers never reach) is dropped.
When the rival is right on every example of the prefix (an easy first rung), nothing can be better
there and every right answer is the same answer, so only a significantly worse candidate is dropped: in
``make demo`` on ``word_problems``, ``cot`` got the first 6 examples right and the old rule dropped
every other design there, ``program_of_thought`` included.
``drop="worse"`` drops only a significantly worse candidate (or one with the very same answers):
a lucky first rung then decides less, but more candidates pay for the next rung, and on the
scripted toy at an equal budget the default found the optimum more often (``bench/race_rules.py``).
A survivor goes on to the next rung and, at the end, to the whole validation set; a design that
reached the whole split is kept whatever its score. Ideas from successive halving / Hyperband
(Li et al., 2018), F-race and irace (Birattari et al., 2002; Lopez-Ibanez et al., 2016) and the
minibatch evaluation of DSPy's MIPROv2 (Opsahl-Ong et al., 2024); the procedure here is our own.

Two guards keep one candidate from eating the budget. Before it survives rung k, a candidate may
spend at most ``SHARES[k]`` of the budget that was left when its race began (never less than
``FLOOR_CALLS`` calls per example of the rung); it is measured on one
example, then on the first ``PROBE``, and the calls (and tokens) per example measured so far decide
how many more examples it can pay for. The meter enforces the same share as a hard cap, so even a
first example that costs more than the share is not paid beyond it. A candidate stopped by its
share is "cut": it was screened on fewer examples, and the report says so.

Every batch is raced together: all its candidates are screened on the first rung (cheapest first
for the coverage batch), then the survivors go on cheapest first (by the calls per example they
made), the best first-rung value first among equally cheap ones. With no incumbent yet (the first
batch), the first of them is the rival of the others there and the first to be measured on the
whole split (it becomes the incumbent); baselines race like every other design. Cheapest first
keeps one lucky, costly design from eating the budget: on ``temporal_sequences`` the first-rung
leader, ``reconcile`` at 3 of 8 and 8.4 calls per example, went straight to the whole split (504
calls of a 600-call budget) and scored 0.18 there; taken after a one-call incumbent, it must first beat that
incumbent on the next rung within its share. ``order="value"`` takes the best first-rung value
first whatever it costs. With the ``pareto`` objective a candidate is compared only with front designs that
are no more costly per example, and with ``cost-aware`` the paired values include the token cost.

The opening batch (the first, with the baselines and the coverage designs, raced before any design
has the whole split) may spend at most ``OPENING_SHARE`` of the calls left as it began: a first-rung
survivor other than the incumbent whose whole-split cost (its calls per example so far) would take
the batch past the share is "held" where it is. On ``temporal_sequences``, where the 0.5B model is
near chance with every baseline, 284 of 600 calls screened 17 designs on 8 examples, five survived
(none was worse on so few) and their whole-split measurements took the remaining 316: the optimizer
never proposed a design. Held designs keep their first-rung score, like dropped ones.

A resumed search replays each recorded race: the caps come from the recorded proposal and the
steps (example counts) from the recorded outcome, so it takes the same decisions without a call.

A proposal that cannot pay for the first rung within its share, at the calls per example of its
dry run (below), is not raced at all ("unaffordable"; ``skip_unaffordable=False`` races it anyway):
raced, it would be stopped by its share before the race decides anything about it. On
``temporal_sequences`` (600 calls) this rule would have skipped 19 of the 24 proposals made after
the opening batch; 18 were cut by their share and one by the budget, none reached a decision, and
together they took 262 calls. Late in a search, when a tenth of what is left pays for a few calls,
only cheap designs are still worth screening.

Coverage: before the optimizer proposes anything, one default design of every block family of the
typed space (a leaf alone; a composite around ``cot``) joins the baselines' batch, so every family
is screened on a small batch even when the baselines would otherwise spend the budget. The batch
is ordered by the calls one example makes against a free stand-in model (``dry_run_calls``).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

from agentarch.blocks.spec import DesignSpec
from agentarch.errors import ConfigError
from agentarch.runtime.stats import paired_bootstrap

# ---- plain data (edit freely) ------------------------------------------------------------------
RUNGS = (8, 20)  # validation examples (a prefix of the split) at each screening rung; then the whole split
SHARES = (0.1, 0.25)  # before surviving rung k, a candidate spends at most SHARES[k] of the budget left
#                       when its race began (a rung beyond the list uses the last share)
FLOOR_CALLS = 1  # a share never pays less than this many calls per example of its rung, so a one-call
#                 design is always screened, however small the budget
PROBE = 3  # examples measured before the first rung is extended: one alone, then up to PROBE
CONFIDENCE = (0.8, 0.9, 0.95)  # after rung k, dropped when the two-sided CONFIDENCE[k] paired interval
#                               of (candidate - rival) does not reach above 0 (looser on small rungs:
#                               a candidate that is probably worse is not worth 20 more examples)
COVERAGE_CHILD = "cot"  # what a composite block wraps in the coverage batch
DRY_RUN_SECONDS = 5.0  # a dry run that takes longer is ordered last
DROP = "not-better"  # "not-better": dropped when not better on a single example or significantly worse;
#                      "worse": only when significantly worse (or the very same answers)
ORDER = "cheapest"  # first-rung survivors go on cheapest first ("cheapest") or best first-rung value first ("value")
COVERAGE_SHARE = 0.25  # block-family designs join the first batch (beside the baselines), cheapest first,
#                        while their estimated first-rung cost stays within this share of the call budget
SKIP_UNAFFORDABLE = True  # a proposal whose dry run cannot pay for the first rung within its share is not raced
OPENING_SHARE = 0.5  # the first batch (baselines and block families) may spend this share of the budget it
#                      began with; a survivor that would take it past the share stays where it is ("held"),
#                      and the rest is left for the optimizer's proposals (None: no limit)

DROP_RULES = ("not-better", "worse")
ORDERS = ("cheapest", "value")

# ---- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RaceConfig:
    """How a search races: screening rungs, budget shares, probe size, confidence, coverage."""

    rungs: tuple[int, ...] = RUNGS
    shares: tuple[float, ...] = SHARES
    probe: int = PROBE
    confidence: tuple[float, ...] = CONFIDENCE
    coverage: bool = True
    coverage_share: float = COVERAGE_SHARE
    drop: str = DROP
    order: str = ORDER
    opening_share: float | None = OPENING_SHARE
    skip_unaffordable: bool = SKIP_UNAFFORDABLE

    def __post_init__(self):
        if self.opening_share is not None and not 0 < self.opening_share <= 1:
            raise ConfigError(f"race opening_share must be above 0 and at most 1 (or None), not {self.opening_share}")
        if self.drop not in DROP_RULES:
            raise ConfigError(f"race drop rule '{self.drop}' is unknown; known: {', '.join(DROP_RULES)}")
        if self.order not in ORDERS:
            raise ConfigError(f"race order '{self.order}' is unknown; known: {', '.join(ORDERS)}")

    def to_dict(self) -> dict:
        d = {"rungs": list(self.rungs), "shares": list(self.shares), "probe": self.probe,
             "confidence": list(self.confidence), "coverage": self.coverage, "coverage_share": self.coverage_share}
        # a setting enters the dict (and so the run id) only when it differs from how races first ran
        return {**d, **({"drop": self.drop} if self.drop != "not-better" else {}),
                **({"order": self.order} if self.order != "value" else {}),
                **({"opening_share": self.opening_share} if self.opening_share is not None else {}),
                **({"skip_unaffordable": False} if not self.skip_unaffordable else {})}

    def sizes(self, n_val: int) -> list[int]:
        """The example counts a candidate is measured on: the rungs below ``n_val``, then ``n_val``."""
        return [r for r in self.rungs if r < n_val] + [n_val]

    def share(self, i: int, sizes: Sequence[int]) -> float | None:
        """The budget share a candidate may have spent by the end of step ``i`` (None: no share,
        the candidate survived a round and only the hard budget applies)."""
        if i > 0 and i == len(sizes) - 1:
            return None
        return self.shares[min(i, len(self.shares) - 1)]

    def level(self, i: int) -> float:
        """The confidence of the paired test after step ``i``."""
        return self.confidence[min(i, len(self.confidence) - 1)]


def parse_rungs(text: str) -> tuple[int, ...]:
    """``"8,20"`` -> ``(8, 20)``: whole numbers >= 1, strictly increasing; a one-line error otherwise."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        rungs = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--rungs: '{text}' is not a comma list of whole numbers (e.g. 8,20)") from None
    if not rungs or any(r < 1 for r in rungs):
        raise ConfigError(f"--rungs: '{text}': every rung must be a whole number >= 1")
    if any(b <= a for a, b in zip(rungs, rungs[1:])):
        raise ConfigError(f"--rungs: '{text}': rungs must grow strictly (e.g. 8,20)")
    return rungs


# ---- statistics --------------------------------------------------------------------------------


def example_value(result, objective: str, lam: float) -> float:
    """One example's contribution to the objective: its score, minus ``lam`` per 1000 tokens when
    the objective is cost-aware (the per-example form of ``pareto.value_of``)."""
    if objective == "cost-aware":
        return result.score - lam * (result.prompt_tokens + result.completion_tokens) / 1000.0
    return result.score


def paired_verdict(mine: dict, theirs: dict, ids: Sequence[str], objective: str, lam: float,
                   confidence: float = CONFIDENCE[-1], ties_go_on: bool = False, drop: str = DROP) -> dict | None:
    """The paired difference (mine - theirs) on the examples ``ids`` both have, or None when they
    share none: ``{"mean", "low", "high", "n", "worse"}``; ``worse`` (drop it) when the interval does
    not reach above 0 -- except, with ``ties_go_on``, an exact tie whose answers differ from theirs
    somewhere; with ``drop="worse"`` only when the interval lies below 0 or every answer is theirs.
    Against a rival right on every shared example (the objective being its scores) only a significantly
    worse candidate is dropped, whatever ``drop`` says: no candidate can be better there, and every
    right answer is the same answer."""
    common = [i for i in ids if i in mine and i in theirs]
    if not common:
        return None
    a = [example_value(mine[i], objective, lam) for i in common]
    b = [example_value(theirs[i], objective, lam) for i in common]
    cmp = paired_bootstrap(a, b, confidence=confidence)
    exact_tie = a == b
    same_answers = exact_tie and all(mine[i].extracted == theirs[i].extracted for i in common)
    if objective != "cost-aware" and all(theirs[i].score >= 1 for i in common):
        # a rival right on every example leaves no room to be better there, and right answers are
        # the same answers: only significantly worse decides
        worse = cmp.diff.high < 0
    elif drop == "worse":
        worse = cmp.diff.high < 0 or same_answers
    else:
        worse = cmp.diff.high <= 0 and not (ties_go_on and exact_tie and not same_answers)
    return {"mean": cmp.diff.mean, "low": cmp.diff.low, "high": cmp.diff.high, "n": len(common),
            "worse": worse}


def tokens_per_example(results: dict) -> float:
    return sum(r.prompt_tokens + r.completion_tokens for r in results.values()) / len(results) if results else 0.0


def affordable(done: int, sent_calls: int, sent_tokens: int, cap_calls: float | None,
               cap_tokens: float | None) -> int:
    """How many examples in all a candidate can pay for: ``done`` plus what its cap has left pays
    at the calls (and tokens) per example it has sent so far (one example when nothing is measured
    yet; no limit when it has sent nothing, i.e. everything came from the cache)."""
    if done == 0:
        return 1
    most = math.inf
    for cap, spent in ((cap_calls, sent_calls), (cap_tokens, sent_tokens)):
        if cap is None or spent <= 0:
            continue
        most = min(most, done + math.floor(max(0.0, cap - spent) / (spent / done)))
    return 1 << 30 if most == math.inf else int(most)


# ---- coverage ----------------------------------------------------------------------------------


def family_designs(space) -> list[DesignSpec]:
    """One default design per block family of ``space``: a leaf alone, a composite around
    ``COVERAGE_CHILD`` (few-shot with the first demos). Families whose default does not build are left out."""
    out = []
    for name, b in space.blocks.items():
        params = {}
        if name == "fewshot":
            params["demos"] = [list(d) for d in space.demos[:2]]
        children = (DesignSpec(block=COVERAGE_CHILD),) if b.composite else ()
        spec = space.normalize(DesignSpec(block=name, params=params, children=children))
        if space.valid(spec):
            out.append(spec)
    return out


async def dry_run_calls(spec: DesignSpec, question: str = "What is 2 + 3?") -> float:
    """Model calls one example of ``spec`` makes against a free stand-in model that always answers
    "Answer: 5" (no budget, no cache, no sandbox): a cost order for the coverage batch. Code runs
    succeed and print 5, the usual path, so a design that retries on a failed run (program_of_thought)
    is costed at what it usually makes, not at its retries."""
    from agentarch.blocks.context import CodeResult, Context
    from agentarch.llm.scripted import ScriptedModel

    async def no_code(code, **_):
        return CodeResult(ok=True, stdout="5\n")

    async def no_agent(source, q, ctx):
        raise RuntimeError("dry run")

    ctx = Context(model=ScriptedModel("Reasoning: 2 + 3 = 5.\nAnswer: 5"), run_code=no_code, run_agent=no_agent)
    try:
        await asyncio.wait_for(spec.build()(question, ctx), DRY_RUN_SECONDS)
    except Exception:  # a design that fails or hangs on the stand-in is ordered by what it made so far
        if not ctx.trace:
            return math.inf
    return float(len(ctx.trace))


async def cheapest_first(specs: Sequence[DesignSpec]) -> list[tuple[DesignSpec, float]]:
    """``specs`` with their dry-run calls per example, cheapest first (stable on ties)."""
    costs = [await dry_run_calls(s) for s in specs]
    order = sorted(range(len(specs)), key=lambda i: (costs[i], i))
    return [(specs[i], costs[i]) for i in order]


def within_coverage_share(order: Sequence[tuple[DesignSpec, float]], keep: set[str], first_rung: int,
                          budget_calls: float | None, share: float) -> tuple[list[DesignSpec], list[DesignSpec]]:
    """Split a cheapest-first batch into the designs to screen and the block families left out.
    Each design's first-rung cost is estimated as its dry-run calls per example times ``first_rung``;
    designs whose id is in ``keep`` (the baselines) always stay, outside the share; any other design
    stays only while the running estimate of those others fits in ``share`` of ``budget_calls``. With
    no call budget, nothing is left out. The estimate is fixed before any call, so a resumed search
    makes the same split."""
    if budget_calls is None:
        return [spec for spec, _ in order], []
    cap = share * budget_calls
    spent = 0.0
    kept, left_out = [], []
    for spec, cost in order:
        if spec.id in keep:
            kept.append(spec)
        elif math.isfinite(cost) and spent + cost * first_rung <= cap:
            spent += cost * first_rung
            kept.append(spec)
        else:
            left_out.append(spec)
    return kept, left_out


# ---- one candidate's race ----------------------------------------------------------------------


@dataclass
class Lane:
    """One candidate in a race: what it has been measured on, what it spent, how it ended."""

    candidate: object  # search.base.Candidate
    role: str
    round: int
    cap_calls: float | None = None  # the budget left when its race began (shares are of this)
    cap_tokens: float | None = None
    results: dict = field(default_factory=dict)  # example id -> ExampleResult, a prefix of val
    n: int = 0
    step: int = 0  # index into the rung sizes reached
    calls_sent: int = 0
    tokens_sent: int = 0
    outcome: str = ""  # "full", "dropped", "cut", "budget"
    steps: list = field(default_factory=list)  # the example counts it was measured on, in order
    plan: list | None = None  # the steps a resumed run replays (recorded when its race ended)
    plan_outcome: str = ""  # how that recorded race ended
    versus: dict | None = None  # the last paired comparison: rival, diff interval
    summary: object = None  # the evaluator's summary for the examples measured

    @property
    def id(self) -> str:
        return self.candidate.spec.id

    def value(self, objective: str, lam: float) -> float:
        if not self.results:
            return -math.inf
        return sum(example_value(r, objective, lam) for r in self.results.values()) / len(self.results)

    def calls_per_example(self) -> float:
        """Model calls per example measured so far (cached results count what they cost)."""
        return sum(r.calls for r in self.results.values()) / len(self.results) if self.results else math.inf

    def info(self, n_val: int, cfg: RaceConfig) -> dict:
        return {"outcome": self.outcome, "n": self.n, "of": n_val, "rung": self.step,
                "calls_sent": self.calls_sent, "tokens_sent": self.tokens_sent,
                "cap_calls": self.cap_calls, "cap_tokens": self.cap_tokens, "versus": self.versus,
                "steps": list(self.steps)}


Measure = Callable[[Lane, list, "float | None", "float | None"], Awaitable[bool]]


class Race:
    """Races batches of candidates on ``val`` for the search loop.

    ``measure(lane, examples, calls_cap, tokens_cap)`` evaluates the lane's design on ``examples``
    with at most that many more calls/tokens sent, updates the lane and returns False when the
    *search* budget ran out; ``rivals()`` gives the fully measured designs to compare with as
    ``(design id, per-example results, tokens per example)``; ``left()`` the budget left as
    ``(calls, tokens)`` (None: no cap)."""

    def __init__(self, cfg: RaceConfig, val: Sequence, objective: str, lam: float, measure: Measure,
                 rivals: Callable[[], list], left: Callable[[], tuple]):
        self.cfg = cfg
        self.val = list(val)
        self.sizes = cfg.sizes(len(self.val))
        self.objective = objective
        self.lam = lam
        self.measure = measure
        self.rivals = rivals
        self.left = left

    def start(self, lane: Lane, recorded: dict | None = None, ended: dict | None = None) -> None:
        """Fix the lane's caps: from the recorded proposal of a resumed run, else the budget left now;
        ``ended`` (the race record of a resumed run) makes it replay the same steps."""
        if recorded is not None:
            lane.cap_calls, lane.cap_tokens = recorded.get("cap_calls"), recorded.get("cap_tokens")
        else:
            lane.cap_calls, lane.cap_tokens = self.left()
        if ended is not None and "steps" in ended:
            lane.plan, lane.plan_outcome = list(ended["steps"]), ended.get("outcome", "")

    def unaffordable(self, calls_per_example: float) -> str:
        """Why a proposal whose dry run makes ``calls_per_example`` cannot pay for the first rung
        within its share of the budget left now (empty when it can): raced, it would be cut before
        any comparison, its calls spent for nothing. An unknown cost (a dry run that failed or made
        no call, e.g. an agent written as code, which runs in the sandbox) is raced."""
        left = self.left()[0]
        if left is None or not self.cfg.skip_unaffordable or not math.isfinite(calls_per_example):
            return ""
        first = self.sizes[0]
        cap = max(self.cfg.shares[0] * left, FLOOR_CALLS * first)
        need = calls_per_example * first
        if need <= cap:
            return ""
        digits = 0 if round(need) > round(cap) else 1  # never "would cost 12 ... share is 12"
        return (f"its first {first} examples would cost about {need:.{digits}f} calls ({calls_per_example:g} per "
                f"example in a dry run), its share of the {left} calls left is {cap:.{digits}f}")

    def _caps(self, lane: Lane, i: int) -> tuple[float | None, float | None]:
        share = self.cfg.share(i, self.sizes)
        if share is None:
            return None, None
        return (None if lane.cap_calls is None else max(share * lane.cap_calls, FLOOR_CALLS * self.sizes[i]),
                None if lane.cap_tokens is None else share * lane.cap_tokens)

    async def advance(self, lane: Lane, i: int) -> bool:
        """Measure ``lane`` up to rung ``i`` within its share; False when the search budget ran out.
        A lane its share stops is marked "cut"."""
        target = self.sizes[i]
        cap_calls, cap_tokens = self._caps(lane, i)
        while lane.n < target:
            if lane.plan is not None:  # a resumed run: the steps the first run took (all cached)
                want = next((k for k in lane.plan if lane.n < k <= target), lane.n)
                if want <= lane.n and lane.plan_outcome == "budget":  # where the search budget ran out
                    lane.outcome = "budget"
                    return False
            else:
                want = next(k for k in (1, self.cfg.probe, target) if k > lane.n)
                want = min(want, target, affordable(lane.n, lane.calls_sent, lane.tokens_sent, cap_calls, cap_tokens))
            if want <= lane.n:
                lane.outcome = "cut"
                return True
            more_calls = None if cap_calls is None else max(0, math.floor(cap_calls) - lane.calls_sent)
            more_tokens = None if cap_tokens is None else max(0, math.floor(cap_tokens) - lane.tokens_sent)
            if lane.plan is not None:
                more_calls = more_tokens = None
            ok = await self.measure(lane, self.val[:want], more_calls, more_tokens)
            lane.steps.append(lane.n)
            if not ok:
                lane.outcome = "budget"
                return False
            if lane.n < want:  # the share's hard cap stopped it mid-way
                lane.outcome = "cut"
                return True
        lane.step = i
        return True

    def judge(self, lane: Lane, rivals: list | None = None) -> bool:
        """Compare ``lane`` with the rivals (default: the fully measured ones) on the examples it
        has; True when it survives."""
        ids = [e.id for e in self.val[:lane.n]]
        mine_tokens = tokens_per_example(lane.results)
        lane.versus = None
        for rid, theirs, their_tokens in (self.rivals() if rivals is None else rivals):
            if rid == lane.id:
                continue
            if self.objective == "pareto" and their_tokens > mine_tokens:
                continue  # a cheaper candidate may sit on the front whatever its accuracy
            v = paired_verdict(lane.results, theirs, ids, self.objective, self.lam, self.cfg.level(lane.step),
                               ties_go_on=lane.step == 0, drop=self.cfg.drop)
            if v is None:
                continue
            v["rival"] = rid
            if lane.versus is None or v["worse"] or v["mean"] < lane.versus["mean"]:
                lane.versus = v
            if v["worse"]:
                lane.outcome = "dropped"
                return False
        return True

    def held(self, lane: Lane, leader: Lane, began: float | None) -> bool:
        """In the opening batch, whether ``lane`` (a first-rung survivor other than the ``leader``,
        which becomes the incumbent) stays where it is: the calls it would need for the whole split,
        at the calls per example it has made, would take the batch past its share of the ``began``
        calls. A resumed run holds what the first run held."""
        if lane.plan is not None:
            return lane.plan_outcome == "held"
        if self.cfg.opening_share is None or began is None or lane is leader:
            return False
        spent = began - self.left()[0]
        need = lane.calls_per_example() * (len(self.val) - lane.n)
        return spent + need > self.cfg.opening_share * began

    async def run(self, lanes: list[Lane], begin: Callable[[Lane], None],
                  screened: Callable[[Lane], None], finish: Callable[[Lane], None]) -> bool:
        """Race ``lanes`` (in the order given): screen each on the first rung, then take the
        survivors, best first, through the other rungs. ``begin`` is called as a lane starts,
        ``screened`` after its first rung if it goes on, ``finish`` when its race ends (any outcome).
        Returns False when the search budget ran out."""
        survivors: list[Lane] = []
        last = len(self.sizes) - 1
        began = self.left()[0] if not self.rivals() else None  # the opening batch: calls left as it began
        for lane in lanes:
            begin(lane)
            if not await self.advance(lane, 0):
                finish(lane)
                return False
            if lane.outcome != "cut":
                if lane.step == last:  # the first rung was the whole split
                    self.judge(lane)  # for the record; a fully measured design is kept
                    lane.outcome = "full"
                elif self.judge(lane):
                    screened(lane)
                    survivors.append(lane)
                    continue
            finish(lane)
        if self.cfg.order == "cheapest":  # stable: batch order on ties
            survivors.sort(key=lambda ln: (ln.calls_per_example(), -ln.value(self.objective, self.lam)))
        else:
            survivors.sort(key=lambda ln: -ln.value(self.objective, self.lam))
        if survivors and not self.rivals():  # no incumbent yet: the first survivor is the rival (F-race)
            leader, kept = survivors[0], [survivors[0]]
            for lane in survivors[1:]:
                if self.judge(lane, [(leader.id, leader.results, tokens_per_example(leader.results))]):
                    kept.append(lane)
                else:
                    finish(lane)
            survivors = kept
        for lane in survivors:
            if self.held(lane, survivors[0], began):
                lane.outcome = "held"
                finish(lane)
                continue
            for i in range(1, last + 1):
                if not self.judge(lane):
                    break
                if not await self.advance(lane, i):
                    finish(lane)
                    return False
                if lane.outcome == "cut":
                    break
            else:
                self.judge(lane)  # for the record
                lane.outcome = "full"
            finish(lane)
        return True
