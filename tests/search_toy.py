"""A toy task whose optimum is known, for the search tests (not a test module itself).

"Report the number N." The scripted model's quality q of a request adds up: 1 for the words
"step by step" or "carefully" in the prompt, 2 for cot's "careful" instruction ("Solve the
problem carefully"), 1 for temperature 0, 1 for a short prompt (<= 32 words: one plain call).
It answers N when N mod 4 < q, else 0. So the cot family is clearly best: plain cot ~0.75,
direct and most other step-by-step designs ~0.5, and a greedy cot with instruction="careful"
is the optimum (1.0): one parameter edit away
from the cot baseline, a needle for random sampling (one leaf block of ~25, one instruction of 3).
"""

import re

from agentarch.blocks.context import CodeResult
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

NUMBER = re.compile(r"number (\d+)")


def quality(text: str, req) -> int:
    low = text.lower()
    return (("step by step" in low or "carefully" in low) + 2 * ("solve the problem carefully" in low)
            + (req.temperature == 0) + (len(text.split()) <= 32))


def responder():
    def respond(req):
        text = "\n".join(m.get("content") or "" for m in req.messages)
        m = NUMBER.search(text)
        if not m:
            return "Answer: 0"
        n = int(m.group(1))
        return f"Answer: {n}" if n % 4 < quality(text, req) else "Answer: 0"

    return respond


# The same toy as JSON rules for the CLI's test-only scripted backend (--model scripted:rules.json):
# good enough for resume tests (cot ~0.5, careful cot 1.0).
RULES = [
    [r"^(?=.*carefully).*?number (\d+)", r"Answer: \1"],
    [r"^(?=.*step by step).*?number (\d*[02468])\b", r"Answer: \1"],
    [r".", "Answer: 0"],
]


def model(delay=0.0):
    return ScriptedModel(responder(), delay=delay)


def task(n=40):
    exs = [Example(f"ex{i:03d}", f"Report the number {11 + 7 * i}.", str(11 + 7 * i)) for i in range(n)]
    return Task("toy_numbers", "Report the number in the question.", exs, metric="numeric")


async def no_code(code, **_):
    return CodeResult(ok=False, error="no code in tests")


async def no_agent(source, question, ctx):
    raise RuntimeError("no agents in tests")
