"""Meta-Prompting (Suzgun & Kalai, 2024, 'Meta-Prompting: Enhancing Language Models with
Task-Agnostic Scaffolding').

A conductor breaks the problem down and consults experts by writing lines "Expert <Name>: <instruction>".
Each expert is a fresh call of the same model with that persona and sees only its instruction; its
reply goes back to the conductor. After at most ``rounds`` consultations, or as soon as it writes
"FINAL ANSWER:", the conductor gives the answer.
"""

import asyncio
import re

from pydantic import Field

from agentarch.blocks.base import Block, Params
from agentarch.blocks.common import answer_line
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register

CONDUCTOR = ("You are the conductor. Break the problem into parts and consult experts: to call one, write a "
             "line 'Expert <Name>: <complete instruction>' (experts see nothing but the instruction). Check "
             "their answers. When you are sure, write 'FINAL ANSWER: <answer>'.")
EXPERT_CALL = re.compile(r"^\s*Expert ([^:\n]{1,60}):[ \t]*(.+?)(?=^\s*Expert [^:\n]{1,60}:|^\s*FINAL ANSWER|\Z)",
                         re.M | re.S)
FINAL = re.compile(r"FINAL ANSWER\s*:\s*(.+)", re.I)


def expert_calls(text: str) -> list[tuple[str, str]]:
    """(expert name, instruction) pairs in a conductor's reply; triple quotes around an instruction go."""
    return [(name.strip(), instr.strip().strip('"').strip("'").strip())
            for name, instr in EXPERT_CALL.findall(text or "") if instr.strip()]


class MetaPromptingParams(Params):
    rounds: int = Field(3, ge=1)
    max_experts: int = Field(2, ge=1)  # expert calls acted on per conductor turn
    max_tokens: int = Field(320, ge=1)


@register
class MetaPrompting(Block):
    name = "meta_prompting"
    paper = "Meta-Prompting (Suzgun & Kalai, 2024)"
    summary = "A conductor consults expert personas of the same model, then gives the final answer."
    Params = MetaPromptingParams

    async def forward(self, question: str, ctx: Context) -> str:
        p = self.params
        ask = f"Question: {question}"
        if ctx.answer_format:
            ask += "\n\n" + answer_line(ctx.answer_format, "When you are sure, write", "FINAL ANSWER")
        history = [{"role": "system", "content": CONDUCTOR}, {"role": "user", "content": ask}]
        for r in range(p.rounds + 1):
            if r == p.rounds:
                history.append({"role": "user", "content": "No more experts. Write 'FINAL ANSWER: <answer>' now."})
            reply = (await ctx.chat(history, temperature=0.0, max_tokens=p.max_tokens,
                                    block=f"{self.name}.conductor"))[0]
            history.append({"role": "assistant", "content": reply})
            final, calls = FINAL.search(reply), expert_calls(reply)[: p.max_experts]
            if final or r == p.rounds:
                break
            if not calls:
                history.append({"role": "user", "content": "Consult an expert, or write 'FINAL ANSWER: <answer>'."})
                continue
            outs = await asyncio.gather(*(
                ctx.ask(instr, system=f"You are Expert {name}.", temperature=0.0, max_tokens=p.max_tokens,
                        block=f"{self.name}.expert") for name, instr in calls))
            history.append({"role": "user", "content": "\n\n".join(
                f"Expert {name} replied:\n{out.strip()}" for (name, _), out in zip(calls, outs))})
        return f"{reply}\nAnswer: {final.group(1).strip()}" if final else reply
