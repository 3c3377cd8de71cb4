"""A toy task whose optimum is known, for the search tests (not a test module itself).

The scripted model answers "Report the number N." correctly only when the prompt holds cot's
"careful" instruction ("Solve the problem carefully"); with "step by step" it is right for even N
only (half the examples); otherwise it says 0. So the best designs are the ones whose chain of
thought uses instruction="careful", and a plain cot scores about 0.5.
"""

import re

from agentarch.blocks.context import CodeResult
from agentarch.llm.scripted import ScriptedModel
from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

RULES = [
    [r"^(?=.*carefully).*?number (\d+)", r"Answer: \1"],
    [r"^(?=.*step by step).*?number (\d*[02468])\b", r"Answer: \1"],
    [r".", "Answer: 0"],
]


def responder(rules=RULES):
    compiled = [(re.compile(p, re.S | re.I), a) for p, a in rules]

    def respond(req):
        text = "\n".join(m.get("content") or "" for m in req.messages)
        for pat, ans in compiled:
            m = pat.search(text)
            if m:
                return m.expand(ans)
        return ""

    return respond


def model(delay=0.0):
    return ScriptedModel(responder(), delay=delay)


def task(n=40):
    exs = [Example(f"ex{i:03d}", f"Report the number {11 + 7 * i}.", str(11 + 7 * i)) for i in range(n)]
    return Task("toy_numbers", "Report the number in the question.", exs, metric="numeric")


async def no_code(code, **_):
    return CodeResult(ok=False, error="no code in tests")


async def no_agent(source, question, ctx):
    raise RuntimeError("no agents in tests")
