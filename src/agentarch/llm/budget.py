"""A hard budget on model calls, tokens, dollars and seconds, and the usage meter that enforces it.

The cap is never exceeded, even with many concurrent callers: before a call is sent, its worst
case (one call; prompt bound + max_tokens tokens; their price) is reserved, and a call whose
reservation would cross a cap raises ``BudgetExceeded`` without being sent. After the call the
reservation is replaced by the real usage. Seconds are wall-clock since the meter started; a call
is cut off when the time runs out.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from agentarch.errors import BudgetExceeded, ConfigError
from agentarch.llm.prices import price_for
from agentarch.llm.types import Completion, Request


class Budget(BaseModel):
    """Caps; ``None`` means no cap on that dimension."""

    model_config = ConfigDict(extra="forbid")

    calls: int | None = None
    tokens: int | None = None
    dollars: float | None = None
    seconds: float | None = None


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dollars: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class MeteredModel:
    """Counts what is really sent to the backend and enforces a ``Budget``."""

    def __init__(self, inner, budget: Budget | None = None, price: tuple[float, float] | None = None):
        self.inner = inner
        self.backend = inner.backend
        self.name = inner.name
        self.budget = budget or Budget()
        self.price = price if price is not None else price_for(inner.backend, inner.name)
        if self.budget.dollars is not None and self.price is None:
            raise ConfigError(
                f"no price is known for model '{inner.name}', so a dollar budget cannot be enforced; "
                "give its price (--price-in/--price-out, dollars per million tokens) or cap calls or tokens instead")
        self.used = Usage()
        self.by_model: dict[str, Usage] = {}  # model name -> what was sent to it (all add up to ``used``)
        self._reserved_calls = 0
        self._reserved_tokens = 0
        self._reserved_dollars = 0.0
        self.started = time.monotonic()

    def _price_of(self, model: str) -> tuple[float, float] | None:
        if not model or model == self.name:
            return self.price
        named = price_for(self.backend, model)
        return named if named is not None else self.price

    def _cost(self, prompt: int, completion: int, model: str = "") -> float:
        price = self._price_of(model)
        if price is None:
            return 0.0
        return prompt * price[0] + completion * price[1]

    def _count(self, model: str) -> Usage:
        name = model or self.name
        used = self.by_model.get(name)
        if used is None:
            used = self.by_model[name] = Usage()
        return used

    def remaining_seconds(self) -> float | None:
        if self.budget.seconds is None:
            return None
        return self.budget.seconds - (time.monotonic() - self.started)

    def reserve(self, request: Request) -> tuple[int, float, float | None]:
        """Check the caps and reserve ``request``'s worst case: (tokens, dollars) reserved and the
        seconds left (``None``: no time budget). Raises ``BudgetExceeded`` without reserving."""
        b = self.budget
        if b.tokens is None and b.dollars is None:
            tokens, dollars = 0, 0.0  # nothing to reserve against: skip bounding the prompt (it reads it all)
        else:
            bound = request.prompt_bound()
            tokens = bound + request.max_tokens
            dollars = self._cost(bound, request.max_tokens, request.model)
        # Check and reserve with no await in between: atomic on the event loop.
        if b.calls is not None and self.used.calls + self._reserved_calls + 1 > b.calls:
            raise BudgetExceeded(f"call budget of {b.calls} spent")
        if b.tokens is not None and self.used.tokens + self._reserved_tokens + tokens > b.tokens:
            raise BudgetExceeded(f"token budget of {b.tokens} would be crossed by this call")
        if b.dollars is not None and self.used.dollars + self._reserved_dollars + dollars > b.dollars:
            raise BudgetExceeded(f"dollar budget of ${b.dollars:.4f} would be crossed by this call")
        left = None if b.seconds is None else self.remaining_seconds()
        if left is not None and left <= 0:
            raise BudgetExceeded(f"time budget of {b.seconds:.0f}s spent")
        self._reserved_calls += 1
        self._reserved_tokens += tokens
        self._reserved_dollars += dollars
        return tokens, dollars, left

    def unreserve(self, tokens: int, dollars: float) -> None:
        """Give back what ``reserve`` took, once the call has come back (or failed)."""
        self._reserved_calls -= 1
        self._reserved_tokens -= tokens
        self._reserved_dollars -= dollars

    def count_failed(self, request: Request) -> None:
        """A call that was sent and failed, or was cancelled: it still counts as a call."""
        self.used.calls += 1
        self._count(request.model).calls += 1

    def count_sent(self, request: Request, out: Completion) -> None:
        """A call that came back, whatever it says: its call, tokens and cost."""
        prompt, completion = out.usage.prompt_tokens, out.usage.completion_tokens
        cost = self._cost(prompt, completion, request.model) if self.price is not None or request.model else 0.0
        for used in (self.used, self._count(request.model)):
            used.calls += 1
            used.prompt_tokens += prompt
            used.completion_tokens += completion
            used.dollars += cost

    async def complete(self, request: Request) -> Completion:
        tokens, dollars, left = self.reserve(request)
        try:
            if left is None:
                out = await self.inner.complete(request)
            else:
                try:
                    out = await asyncio.wait_for(self.inner.complete(request), left)
                except asyncio.TimeoutError:
                    self.count_failed(request)
                    raise BudgetExceeded(f"time budget of {self.budget.seconds:.0f}s spent") from None
        except BudgetExceeded:
            raise
        except BaseException:
            self.count_failed(request)
            raise
        finally:
            self.unreserve(tokens, dollars)
        self.count_sent(request, out)
        return out

    async def aclose(self) -> None:
        await self.inner.aclose()
