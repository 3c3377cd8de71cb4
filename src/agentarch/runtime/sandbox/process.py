"""Start one untrusted Python program in an isolated child process and collect what it did.

The isolation itself happens in ``_launcher.py`` (see its docstring): new pid, mount, network,
IPC and UTS namespaces; a new root filesystem (size-capped tmpfs) that shows only read-only system
directories and a private ``/tmp/work`` (no home, project, virtualenv or cache exists in it);
rlimits; a throw-away uid when we are root; a scrubbed environment; ``python -s -S`` so no site-packages (and so no ``agentarch``) is importable. This
module builds the launcher's configuration, enforces the wall-clock timeout by killing the
launcher's whole process group (the kernel then kills the program, and with it its pid
namespace), caps the captured output and removes the temporary directory.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agentarch.errors import AgentArchError

LAUNCHER = Path(__file__).resolve().parent / "_launcher.py"
OUTPUT_LIMIT = 64 * 1024
_UID_BASE = 1_600_000_000  # throw-away uids/gids for sandboxed programs (no passwd entry needed)
_CRITICAL = ("/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/dev",
             "/proc", "/sys", "/tmp", "/var", "/run", "/opt")


class SandboxUnavailable(AgentArchError):
    """The sandbox cannot isolate generated code on this machine; nothing was run."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one sandboxed run. ``cpu_seconds`` defaults to the timeout + 1."""

    timeout: float = 10.0
    memory_mb: int = 512
    cpu_seconds: int | None = None
    file_mb: int = 16
    tmpfs_mb: int = 64
    nproc: int = 32
    nofile: int = 64
    output_bytes: int = OUTPUT_LIMIT


@dataclass(slots=True)
class RunOutput:
    """What one sandboxed process did."""

    stdout: str
    stderr: str
    returncode: int | None
    signal: int | None
    timed_out: bool
    aborted: bool
    mode: str
    setup_error: str
    stdout_bytes: int = 0  # how many bytes the program wrote to stdout (``stdout`` keeps at most the cap)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _world_usable(path: str) -> bool:
    """True if any uid can execute ``path`` (file is o+rx, every ancestor o+x)."""
    try:
        if os.stat(path).st_mode & 0o005 != 0o005:
            return False
        p = Path(path).parent
        while True:
            if not os.stat(p).st_mode & 0o001:
                return False
            if p == p.parent:
                return True
            p = p.parent
    except OSError:
        return False


def _hide_candidates() -> list[str]:
    """The parent's private places: home, project, virtualenv, working directory."""
    import agentarch

    pkg_root = Path(agentarch.__file__).resolve().parent.parent  # src/ or site-packages/
    cands = [str(Path.home()), "/root", "/home", os.getcwd(), str(pkg_root), sys.prefix,
             sys.base_prefix, sys.exec_prefix]
    if pkg_root.name == "src":
        cands.append(str(pkg_root.parent))
    out = []
    for c in cands:
        try:
            real = os.path.realpath(c)
        except OSError:
            continue
        if real not in out:
            out.append(real)
    return out


@functools.lru_cache(maxsize=None)
def sandbox_python() -> str:
    """The interpreter the sandboxed program runs on.

    ``AGENTARCH_SANDBOX_PYTHON`` wins; otherwise the first of our own interpreter, its base
    interpreter and the system ``python3`` that the throw-away uid can execute and that does not
    live in a hidden directory. Only the standard library is available to it (``-s -S``).
    """
    env = os.environ.get("AGENTARCH_SANDBOX_PYTHON")
    cands = [env] if env else [sys.executable, getattr(sys, "_base_executable", None),
                               "/usr/bin/python3", "/usr/local/bin/python3",
                               shutil.which("python3")]
    hidden = [h for h in _hide_candidates() if h not in _CRITICAL]
    need_world = os.geteuid() == 0
    for c in cands:
        if not c:
            continue
        real = os.path.realpath(c)
        if not os.path.isfile(real):
            continue
        if need_world and not _world_usable(real):
            continue
        if any(_under(real, h) for h in hidden):
            continue
        return real
    raise SandboxUnavailable(
        "no Python interpreter usable inside the sandbox was found (it must be executable by any "
        "user and live outside your home/project); set AGENTARCH_SANDBOX_PYTHON, e.g. to "
        "/usr/bin/python3")


def hide_paths(python: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Paths covered by an empty read-only mount inside the sandbox."""
    protected = [python, *_CRITICAL]
    out = []
    for h in [*_hide_candidates(), *(os.path.realpath(e) for e in extra)]:
        if h in _CRITICAL or any(_under(p, h) for p in protected):
            continue  # never cover the interpreter or a system directory
        if h not in out:
            out.append(h)
    return out


_SYSTEM_BINDS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                 "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd",
                 "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/alternatives")


def root_binds(python: str) -> list[str]:
    """What the sandbox's root filesystem shows (read-only): system directories and the
    interpreter's installation prefix if it lives elsewhere. Nothing else of the host exists."""
    binds = list(_SYSTEM_BINDS)
    prefix = str(Path(python).parent.parent)
    if not any(_under(prefix, b) or _under(python, b) for b in binds) and prefix not in _CRITICAL:
        binds.append(prefix)
    return binds


def _fresh_uid() -> int:
    return _UID_BASE + random.SystemRandom().randrange(1 << 22)


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, int]:
    buf = bytearray()
    total = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(buf), total
        total += len(chunk)
        if len(buf) < cap:
            buf += chunk[: cap - len(buf)]


async def _feed(stream: asyncio.StreamWriter, data: bytes) -> None:
    try:
        if data:
            stream.write(data)
            await stream.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        try:
            stream.close()
        except (BrokenPipeError, ConnectionResetError, RuntimeError):
            pass


def _decode(data: bytes, total: int, cap: int) -> str:
    text = data.decode("utf-8", "replace")
    if total > cap:
        text += f"\n[output truncated: kept {cap // 1024} KB of {total} bytes]"
    return text


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _StatusReader:
    """Collects the launcher's JSON status lines from a non-blocking pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        os.set_blocking(fd, False)

    def poll(self) -> list[dict]:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.data += chunk
        msgs = []
        for line in self.data.decode("utf-8", "replace").splitlines():
            try:
                msgs.append(json.loads(line))
            except ValueError:
                continue
        return msgs


async def _stop(proc: asyncio.subprocess.Process, status: _StatusReader) -> None:
    """Kill the program, let the launcher reap it, then make sure the whole group is gone."""
    child = next((m["child"] for m in status.poll() if "child" in m), None)
    if child is not None:
        try:
            os.kill(child, signal.SIGKILL)  # pid 1 of its namespace: every process there dies
        except ProcessLookupError:
            pass
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), 2.0)
        except asyncio.TimeoutError:
            pass
    if proc.returncode is None:
        _kill_group(proc.pid)  # the launcher is not reaped yet, so its group id is still ours
        await proc.wait()


async def run_process(
    files: dict[str, str | bytes],
    args: list[str],
    limits: Limits,
    *,
    stdin: bytes = b"",
    pass_fds: tuple[int, ...] = (),
    abort: asyncio.Event | None = None,
    allow_unisolated: bool = False,
    hide: tuple[str, ...] = (),
    isolate: bool = True,
) -> RunOutput:
    """Run ``python -s -S <args>`` in the sandbox with ``files`` in its work directory.

    ``pass_fds`` are inherited by the program (at the same numbers). Setting ``abort`` kills it.
    Raises ``SandboxUnavailable`` if isolation fails and ``allow_unisolated`` is false; with it,
    the program runs without namespaces (rlimits, throw-away uid when root, scrubbed environment
    and timeout still apply) and ``RunOutput.mode`` is "none". ``isolate=False`` simulates a
    machine without namespaces (for tests).
    """
    python = sandbox_python()
    tmp = tempfile.mkdtemp(prefix="agentarch-sbx-")
    status_r, status_w = os.pipe()
    proc = None
    tasks: list[asyncio.Future] = []
    try:
        paths = {}
        for name, content in files.items():
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
            paths[name] = p
        uid = _fresh_uid() if os.geteuid() == 0 else None
        cpu = limits.cpu_seconds or int(math.ceil(limits.timeout)) + 1
        cfg = {
            "python": python,
            "argv": ["-s", "-S", *args],
            "files": paths,
            "workdir": tmp,
            "env": {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                "PYTHONHASHSEED": "0",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUTF8": "1",
                "PYTHONIOENCODING": "utf-8",
            },
            "limits": {
                "cpu": cpu,
                "as": limits.memory_mb * 1024 * 1024,
                "fsize": limits.file_mb * 1024 * 1024,
                "nproc": limits.nproc,
                "nofile": limits.nofile,
                "core": 0,
            },
            "tmpfs_mb": limits.tmpfs_mb,
            "uid": uid,
            "gid": uid,
            "hide": hide_paths(python, hide),
            "binds": root_binds(python),
            "status_fd": status_w,
            "isolate": isolate,
            "allow_unisolated": allow_unisolated,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(cfg),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, pass_fds=(status_w, *pass_fds),
            start_new_session=True, cwd=tmp,
        )
        os.close(status_w)
        status_w = -1
        cap = limits.output_bytes
        out_task = asyncio.ensure_future(_read_capped(proc.stdout, cap))
        err_task = asyncio.ensure_future(_read_capped(proc.stderr, cap))
        feed_task = asyncio.ensure_future(_feed(proc.stdin, stdin))
        wait_task = asyncio.ensure_future(proc.wait())
        waiters = {wait_task}
        abort_task = None
        if abort is not None:
            abort_task = asyncio.ensure_future(abort.wait())
            waiters.add(abort_task)
        tasks = [out_task, err_task, feed_task, wait_task, *([abort_task] if abort_task else [])]
        done, _ = await asyncio.wait(waiters, timeout=limits.timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        aborted = abort_task is not None and abort_task in done and wait_task not in done
        timed_out = not done
        if abort_task is not None:
            abort_task.cancel()
        status = _StatusReader(status_r)
        if wait_task not in done:
            await _stop(proc, status)
        # Every process of the program died with its pid namespace, so the pipes are at EOF;
        # the bound only matters in unisolated mode, where an escaped process may hold them.
        outs = []
        for t in (out_task, err_task):
            try:
                outs.append(await asyncio.wait_for(t, 2.0))
            except asyncio.TimeoutError:
                outs.append((b"", 0))
        feed_task.cancel()
        msgs = status.poll()
        if any(m.get("mode") == "none" for m in msgs):
            _kill_group(proc.pid)  # no pid namespace: take leftovers in its process group down
    finally:
        if proc is not None and proc.returncode is None:  # cancelled: never leave it running
            _kill_group(proc.pid)
        for t in tasks:
            t.cancel()
        for fd in (status_r, status_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)

    mode = next((m["mode"] for m in msgs if "mode" in m), "?")
    setup_error = next((m["setup_error"] for m in msgs if "setup_error" in m), "")
    sig = next((m["signal"] for m in msgs if "signal" in m), None)
    code = next((m["exit"] for m in msgs if "exit" in m), None)
    if setup_error and "cannot isolate" in setup_error:
        raise SandboxUnavailable(
            f"{setup_error}. Generated code is only run isolated (new network and mount "
            "namespaces); run as root or enable unprivileged user namespaces, or pass "
            "allow_unisolated=True to accept the risk.")
    (out, out_n), (err, err_n) = outs
    return RunOutput(
        stdout=_decode(out, out_n, cap), stderr=_decode(err, err_n, cap), returncode=code,
        signal=sig, timed_out=timed_out, aborted=aborted, mode=mode, setup_error=setup_error,
        stdout_bytes=out_n,
    )


def traceback_tail(stderr: str, lines: int = 6) -> str:
    """The last lines of the last traceback in ``stderr`` (or of stderr itself), without the
    ``^^^^`` marker lines."""
    rows = stderr.rstrip().splitlines()
    start = max((i for i, r in enumerate(rows) if r.startswith("Traceback (most recent call")),
                default=-1)
    rows = [r.rstrip() for r in rows[start + 1:] if r.strip() and set(r.strip()) - set("^~")]
    return "\n".join(rows[-lines:])


def describe_failure(out: RunOutput, limits: Limits) -> str:
    """A short readable reason why a sandboxed run failed ("" if it did not)."""
    if out.setup_error:
        return out.setup_error
    if out.timed_out:
        return f"timeout after {limits.timeout:g}s"
    cpu = limits.cpu_seconds or int(math.ceil(limits.timeout)) + 1
    if out.signal == signal.SIGXCPU:
        return f"CPU time limit exceeded ({cpu}s)"
    if out.signal == signal.SIGXFSZ:
        return f"file size limit exceeded ({limits.file_mb} MB)"
    if out.signal is not None:
        name = signal.Signals(out.signal).name if out.signal in signal.valid_signals() else out.signal
        tail = traceback_tail(out.stderr)
        return f"killed by {name}" + (f"\n{tail}" if tail else "")
    if out.returncode == 0:
        if out.stdout_bytes > limits.output_bytes:  # what it printed was cut: not a clean success
            return (f"output limit exceeded: wrote {out.stdout_bytes} bytes to stdout, only the first "
                    f"{limits.output_bytes // 1024} KB were kept")
        return ""
    return explain(traceback_tail(out.stderr), limits) or f"exited with status {out.returncode}"


def explain(tail: str, limits: Limits) -> str:
    """Prefix a traceback tail with the limit it ran into, if it ran into one."""
    last = tail.splitlines()[-1] if tail else ""
    if "MemoryError" in last:
        return f"memory limit exceeded ({limits.memory_mb} MB)\n{tail}"
    if any(s in last for s in ("Network is unreachable", "name resolution",
                               "Name or service not known", "Cannot assign requested address")):
        return f"network access is blocked\n{tail}"
    if "File too large" in last:
        return f"file size limit exceeded ({limits.file_mb} MB)\n{tail}"
    if "Resource temporarily unavailable" in last and ("fork" in tail or "spawn" in tail):
        return f"process limit exceeded ({limits.nproc})\n{tail}"
    return tail
