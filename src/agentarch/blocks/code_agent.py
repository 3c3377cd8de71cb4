"""A design written as Python source by a meta model: ``async def forward(inputs, ctx)``
(Automated Design of Agentic Systems, Hu et al., 2025).

The source never runs in our process: ``ctx.run_agent`` hands it to the sandbox, whose model
calls come back through this example's context (cached, costed, capped, traced).
"""

from agentarch.blocks.base import Block, Params
from agentarch.blocks.context import Context
from agentarch.blocks.registry import register
from agentarch.errors import AgentArchError


class AgentCodeError(RuntimeError):
    """The generated agent failed (syntax error, exception, timeout, memory)."""


class CodeAgentParams(Params):
    source: str
    name: str = "generated"


@register
class CodeAgent(Block):
    name = "code_agent"
    paper = "Meta Agent Search's code-defined agents (Hu et al., 2025, ADAS), run in a sandbox"
    summary = "Run model-written Python `async def forward(inputs, ctx)` in the sandbox."
    Params = CodeAgentParams

    async def forward(self, question: str, ctx: Context) -> str:
        result = await ctx.run_agent(self.params.source, question, ctx)
        if not result.ok:
            if isinstance(result.exception, AgentArchError):
                raise result.exception
            raise AgentCodeError(result.error or "the agent failed")
        return "" if result.answer is None else str(result.answer)
