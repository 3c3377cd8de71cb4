"""The sandbox: generated code (program-of-thought snippets, HumanEval completions and tests,
agents written by a meta model) never runs in our process.

Each run is a fresh child process in new pid/mount/network/IPC/UTS namespaces, as a throw-away
uid (when we are root), with rlimits, a wall-clock timeout, a private size-capped ``/tmp`` work
directory, the parent's home/project/virtualenv hidden, a scrubbed environment and a bare
``python -s -S``. See ``_launcher.py`` for the details.

``run_code`` runs a snippet; ``run_agent`` runs an agent's ``async def forward(inputs, ctx)``
whose model calls are proxied to the parent's ``Context`` (cache, accounting and budget apply).
"""

from agentarch.runtime.sandbox.agent import AgentResult, run_agent, run_agent_sync
from agentarch.runtime.sandbox.code import run_code, run_code_sync
from agentarch.runtime.sandbox.process import Limits, SandboxUnavailable, sandbox_python

__all__ = ["AgentResult", "Limits", "SandboxUnavailable", "run_agent", "run_agent_sync",
           "run_code", "run_code_sync", "sandbox_python"]
