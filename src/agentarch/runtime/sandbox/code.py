"""``run_code``: run a generated Python snippet in the sandbox and report what it printed."""

from __future__ import annotations

import asyncio

from agentarch.blocks.context import CodeResult
from agentarch.runtime.sandbox.process import Limits, describe_failure, run_process


async def run_code(
    code: str,
    *,
    timeout: float = 10.0,
    memory_mb: int = 512,
    stdin: str = "",
    limits: Limits | None = None,
    allow_unisolated: bool = False,
    hide: tuple[str, ...] = (),
) -> CodeResult:
    """Run ``code`` as ``main.py`` in a fresh sandbox; ``ok`` iff it exited 0 within the limits.

    ``stdout`` is what it printed (at most 64 KB); ``error`` is a short reason on failure
    ("timeout after 10s", "memory limit exceeded (512 MB)", the traceback's last lines ...).
    ``limits`` overrides every limit at once (``timeout`` and ``memory_mb`` are then ignored).
    """
    lim = limits or Limits(timeout=timeout, memory_mb=memory_mb)
    out = await run_process({"main.py": code}, ["main.py"], lim, stdin=stdin.encode(),
                            allow_unisolated=allow_unisolated, hide=hide)
    error = describe_failure(out, lim)
    return CodeResult(ok=not error, stdout=out.stdout, error=error)


def run_code_sync(code: str, **kw) -> CodeResult:
    """``run_code`` for synchronous callers (not from inside a running event loop)."""
    return asyncio.run(run_code(code, **kw))
