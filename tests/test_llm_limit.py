"""The concurrency cap (``llm/limit.py``): calls wait in arrival order, and no slot is lost or
made when a call fails, is cancelled while waiting, or is cancelled just as it was handed a slot."""

from __future__ import annotations

import asyncio

import pytest

from agentarch.errors import ModelError
from agentarch.llm.limit import LimitedModel
from agentarch.llm.types import Completion, Request


class Gate:
    """A backend whose calls finish when the test says so; records the order they started in."""

    backend, name = "test", "gate"

    def __init__(self):
        self.started: list[str] = []
        self.release: dict[str, asyncio.Future] = {}

    async def complete(self, request: Request) -> Completion:
        text = request.messages[0]["content"]
        self.started.append(text)
        self.release[text] = asyncio.get_running_loop().create_future()
        if await self.release[text] == "fail":
            raise ModelError("failed")
        return Completion(text)

    async def aclose(self) -> None:
        return None


def req(text: str) -> Request:
    return Request([{"role": "user", "content": text}])


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_waiting_calls_start_in_arrival_order_and_failures_free_their_slot():
    async def go():
        gate = Gate()
        limited = LimitedModel(gate, 2)
        tasks = [asyncio.create_task(limited.complete(req(t))) for t in "abcde"]
        await settle()
        assert gate.started == ["a", "b"]
        gate.release["a"].set_result("fail")
        await settle()
        assert gate.started == ["a", "b", "c"]
        for t in "bcde":
            await settle()
            gate.release[t].set_result("ok")
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert gate.started == list("abcde")
        assert [str(r) if isinstance(r, Exception) else r.text for r in results] == ["failed", "b", "c", "d", "e"]
        assert limited._free == 2 and not limited._waiting

    asyncio.run(go())


@pytest.mark.parametrize("handed_a_slot_first", [False, True])
def test_a_call_cancelled_while_waiting_neither_loses_nor_keeps_a_slot(handed_a_slot_first):
    async def go():
        gate = Gate()
        limited = LimitedModel(gate, 1)
        first = asyncio.create_task(limited.complete(req("a")))
        waiting = asyncio.create_task(limited.complete(req("b")))
        later = asyncio.create_task(limited.complete(req("c")))
        await settle()
        if handed_a_slot_first:
            gate.release["a"].set_result("ok")
            await asyncio.sleep(0)  # "a" returns and hands its slot to "b", which has not run yet
        waiting.cancel()
        await settle()
        if not handed_a_slot_first:
            assert gate.started == ["a"]
            gate.release["a"].set_result("ok")
            await settle()
        assert gate.started == ["a", "c"]  # the slot went on to "c"
        gate.release["c"].set_result("ok")
        assert (await first).text == "a" and (await later).text == "c"
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert limited._free == 1 and not limited._waiting

    asyncio.run(go())
