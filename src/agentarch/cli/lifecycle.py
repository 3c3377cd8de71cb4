"""The end of a run, whatever ends it: every command that keeps a run in the store (eval, search,
team-optimize, fit-router, fit-policy) wraps its work in ``run_lifecycle`` so a run is never left
``running`` when the process stops.

- Ctrl-C or SIGTERM (``kill``; a job started in the background with ``&`` ignores Ctrl-C): the run
  is marked ``interrupted``, a line says how to resume (the same command), and ``KeyboardInterrupt``
  goes on up (the CLI exits 130, or 143 after SIGTERM).
- The store's disk is full: the run is marked ``failed`` if the store still takes that one small
  write, and ``StoreFull`` (one line naming the file) goes on up.
- Any other error: the run is marked ``failed`` with the reason, and the error goes on up.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import signal
import sys
from contextlib import contextmanager
from typing import Iterator

from agentarch.cli.common import err
from agentarch.errors import StoreFull


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so the run is marked before the process ends."""

    seen = False  # click turns any KeyboardInterrupt into an abort; this tells the CLI which it was


def terminate_on_sigterm() -> None:
    """Turn SIGTERM into ``Terminated`` (commands that serve, like uvicorn, install their own)."""
    def handler(signum, frame):
        Terminated.seen = True
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)


def resume_command() -> str:
    """The command line that started this process, as the user would type it again."""
    return shlex.join(["agentarch", *sys.argv[1:]])


def config_run_id(config: dict) -> str:
    """A run id from what defines the run, so the same command resumes the same run."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def _mark(store, run_id: str, status: str, reason: str) -> bool:
    try:
        store.end_run(run_id, status, reason)
        return True
    except StoreFull:
        return False


@contextmanager
def run_lifecycle(store, run_id: str) -> Iterator[None]:
    """Mark ``run_id`` ``interrupted`` or ``failed`` (with the reason) if the body does not finish;
    the body marks success itself (``store.finish_run``)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        _mark(store, run_id, "interrupted", f"interrupted ({how})")
        err.print(f"interrupted: run {run_id} is marked interrupted; finished work is kept in {store.path}.\n"
                  f"Resume with the same command:  {resume_command()}", highlight=False, soft_wrap=True)
        raise
    except StoreFull as exc:
        if not _mark(store, run_id, "failed", str(exc)):
            exc.args = (f"{exc.args[0]} (the run could not be marked failed either)",)
        raise
    except BaseException as exc:
        if isinstance(exc, SystemExit) and not exc.code:
            raise
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _mark(store, run_id, "failed", reason)
        raise
