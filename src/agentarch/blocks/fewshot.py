"""Few-shot demonstrations: prepend worked examples from the training split to the child's question
(in-context learning, Brown et al., 2020, 'Language Models are Few-Shot Learners'; demos chosen by
the search as in DSPy's LabeledFewShot / BootstrapFewShot, Khattab et al., 2024)."""

from agentarch.blocks.base import Block, Params
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register


class FewShotParams(Params):
    demos: tuple[tuple[str, str], ...] = ()  # (question, answer) pairs, shown in this order


def with_demos(question: str, demos) -> str:
    """The question preceded by the worked examples (unchanged when there are none)."""
    if not demos:
        return question
    shown = "\n\n".join(f"Example question: {q}\nExample answer: {a}" for q, a in demos)
    return f"Here are solved examples of similar questions.\n\n{shown}\n\nNow the real question: {question}"


@register
class FewShot(Block):
    name = "fewshot"
    paper = "In-context few-shot examples (Brown et al., 2020); DSPy LabeledFewShot/BootstrapFewShot (Khattab et al., 2024)"
    summary = "Prepend worked (question, answer) examples from the training split to the child's question."
    Params = FewShotParams
    max_children = 1
    default_children = ("cot",)

    async def forward(self, question: str, ctx: Context) -> str:
        return await self.child(with_demos(question, self.params.demos), ctx)
