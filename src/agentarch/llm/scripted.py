"""A deterministic model for unit tests: answers come from a function or a list of rules.

``ScriptedModel(lambda req: "42")`` answers every call with "42"; a rule list
``[("capital of France", "Paris"), ...]`` answers with the first rule whose pattern (a regular
expression) matches the last user message. Every request is recorded in ``calls``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Callable, Iterable

from agentarch.llm.types import Completion, Request, Usage

Responder = Callable[[Request], str]


class ScriptedModel:
    backend = "scripted"

    def __init__(self, respond: Responder | Iterable[tuple[str, str]] | str = "", name: str = "scripted",
                 delay: float = 0.0):
        self.name = name
        self.delay = delay
        self.calls: list[Request] = []
        if callable(respond):
            self._respond = respond
        elif isinstance(respond, str):
            self._respond = lambda _req, _r=respond: _r
        else:
            rules = [(re.compile(p, re.S | re.I), a) for p, a in respond]

            def by_rule(req: Request) -> str:
                text = "\n".join(m.get("content") or "" for m in req.messages)
                for pat, ans in rules:
                    if pat.search(text):
                        return ans
                return ""

            self._respond = by_rule

    async def complete(self, request: Request) -> Completion:
        self.calls.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self._respond(request)
        prompt = sum(len((m.get("content") or "").split()) for m in request.messages)
        return Completion(text=text, usage=Usage(prompt, len(text.split())))

    async def aclose(self) -> None:
        return None
