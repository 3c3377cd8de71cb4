"""Turns an OpenAI chat (a list of messages) into the one question a design answers, and applies
``stop`` sequences to the design's answer.

A design answers a single question, so the conversation is flattened: system (and developer)
messages come first as instructions, then the turns. A lone user message after them is passed as
written; earlier turns are labelled ``User:`` / ``Assistant:`` so the design sees who said what.
Clients such as DSPy put their output format in the system message: it reaches the design.
"""

from __future__ import annotations

from agentarch.serve.errors import APIError

_INSTRUCTION_ROLES = ("system", "developer")
_LABELS = {"user": "User", "assistant": "Assistant", "tool": "Tool"}


def text_of(content, index: int) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise APIError(400, f"messages[{index}].content: only text parts are supported, not "
                                f"'{part.get('type')}'", "unsupported_content", f"messages[{index}].content")
        parts.append(part["text"])
    return "".join(parts)


def question_from(messages: list[dict]) -> str:
    """The question for the design; a chat with no user turn, or ending on another role, is a 400."""
    instructions, turns = [], []
    for i, m in enumerate(messages):
        text = text_of(m.get("content"), i)
        if m["role"] in _INSTRUCTION_ROLES:
            instructions.append(text)
        else:
            turns.append((m["role"], text))
    if not turns or turns[-1][0] != "user":
        raise APIError(400, "the last message (after any system messages) must be from the user",
                       "invalid_messages", "messages")
    if len(turns) == 1:
        body = turns[0][1]
    else:
        body = "\n\n".join(f"{_LABELS.get(role, role.title())}: {text}" for role, text in turns)
    return "\n\n".join([*(t for t in instructions if t.strip()), body])


def apply_stop(text: str, stop: list[str]) -> str:
    """``text`` cut before the first occurrence of any stop sequence."""
    cut = len(text)
    for s in stop:
        at = text.find(s) if s else -1
        if 0 <= at < cut:
            cut = at
    return text[:cut]
