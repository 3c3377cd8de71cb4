"""Model layer: one ``Model`` protocol, backends (embedded, OpenAI-compatible, scripted) and wrappers
(cache, budget, retry, concurrency limit, usage accounting). Everything above talks to a ``Model``."""

from agentarch.llm.types import Completion, Message, Request, Usage
from agentarch.llm.base import Model

__all__ = ["Completion", "Message", "Model", "Request", "Usage"]
