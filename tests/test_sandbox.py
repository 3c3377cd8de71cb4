"""The sandbox runs generated code in a real, isolated subprocess: results, limits, escapes."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import stat
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import agentarch
from agentarch.runtime.sandbox import SandboxUnavailable, run_code, run_code_sync
from agentarch.runtime.sandbox import process as sbx


def run(code: str, **kw):
    return asyncio.run(run_code(code, **kw))


@pytest.fixture(scope="module", autouse=True)
def _isolation_available():
    try:
        run("pass")
    except SandboxUnavailable as exc:  # the kernel refuses namespaces here: nothing to test
        pytest.skip(str(exc))


def _sandbox_pids() -> list[int]:
    """Processes on the host running as a sandbox uid."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                uid = os.stat(f"/proc/{d}").st_uid
            except OSError:
                continue
            if uid >= sbx._UID_BASE:
                pids.append(int(d))
    return pids


# --- happy paths --------------------------------------------------------------------------------

def test_prints_result():
    r = run("print(sum(range(10)))")
    assert r.ok and r.stdout == "45\n" and r.error == ""


def test_stdin_is_passed():
    r = run("import sys\nprint(sys.stdin.read().upper())", stdin="hello\n")
    assert r.ok and r.stdout.strip() == "HELLO"


def test_exception_reports_last_traceback_lines():
    r = run("def f(x):\n    return 1 / x\nprint('before')\nf(0)")
    assert not r.ok
    assert r.stdout == "before\n"
    assert r.error.splitlines()[-1] == "ZeroDivisionError: division by zero"
    assert "return 1 / x" in r.error and "Traceback" not in r.error


def test_nonzero_exit_is_a_failure():
    r = run("import sys; sys.exit(3)")
    assert not r.ok and "status 3" in r.error


def test_memory_within_the_limit_works():
    r = run("x = bytearray(64 * 2**20); print(len(x))", memory_mb=256)
    assert r.ok and r.stdout.strip() == str(64 * 2**20)


def test_output_is_capped():
    r = run("import sys\nfor _ in range(100): sys.stdout.write('x' * 10000)")
    assert not r.ok and r.error == ("output limit exceeded: wrote 1000000 bytes to stdout, "
                                    "only the first 64 KB were kept")
    assert r.stdout.startswith("x" * 1000)
    assert len(r.stdout) < 64 * 1024 + 200 and "output truncated" in r.stdout


def test_sync_wrapper():
    assert run_code_sync("print('hi')").stdout == "hi\n"


def test_concurrent_runs_are_independent():
    async def both():
        return await asyncio.gather(*(run_code(f"import os; print({i}, os.getuid())")
                                      for i in range(4)))
    results = asyncio.run(both())
    assert all(r.ok for r in results)
    assert [r.stdout.split()[0] for r in results] == ["0", "1", "2", "3"]
    uids = {r.stdout.split()[1] for r in results}
    assert "0" not in uids


# --- limits ---------------------------------------------------------------------------------------

def test_allocating_10_gb_is_a_memory_error():
    t0 = time.monotonic()
    r = run("x = bytearray(10 * 2**30)\nprint('allocated')", memory_mb=256)
    assert not r.ok and "allocated" not in r.stdout
    assert r.error.startswith("memory limit exceeded (256 MB)")
    assert "MemoryError" in r.error
    assert time.monotonic() - t0 < 5


def test_infinite_loop_times_out():
    t0 = time.monotonic()
    r = run("while True:\n    pass", timeout=1)
    assert not r.ok and r.error == "timeout after 1s"
    assert time.monotonic() - t0 < 3


def test_sleeping_child_processes_are_killed_on_timeout():
    # The program starts a grandchild in a new session (escaping the process group) and sleeps.
    code = ("import os, subprocess, time\n"
            "subprocess.Popen(['sleep', '60'], start_new_session=True)\n"
            "time.sleep(60)\n")
    t0 = time.monotonic()
    r = run(code, timeout=1)
    assert r.error == "timeout after 1s" and time.monotonic() - t0 < 3
    assert _sandbox_pids() == []  # the pid namespace died with the program


def test_fork_bomb_is_capped_and_cleaned_up():
    code = ("import os, time\n"
            "n = 0\n"
            "try:\n"
            "    for _ in range(1000):\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(30)\n"
            "            os._exit(0)\n"
            "        n += 1\n"
            "except OSError as exc:\n"
            "    print('refused:', exc)\n"
            "print('forked', n)\n")
    t0 = time.monotonic()
    r = run(code, timeout=4)
    assert r.ok, r.error
    assert "refused:" in r.stdout
    forked = int(r.stdout.split("forked")[1])
    assert 0 < forked < sbx.Limits().nproc
    assert time.monotonic() - t0 < 4
    assert _sandbox_pids() == []  # the sleeping children died with pid 1 of their namespace


def test_writing_10_gb_stops_at_the_file_size_limit():
    code = ("chunk = b'x' * 2**20\n"
            "written = 0\n"
            "try:\n"
            "    with open('big.bin', 'wb') as f:\n"
            "        for _ in range(10 * 1024):\n"
            "            f.write(chunk); f.flush(); written += len(chunk)\n"
            "finally:\n"
            "    print(written)\n")
    t0 = time.monotonic()
    r = run(code)
    assert not r.ok
    assert r.error.startswith("file size limit exceeded (16 MB)")
    assert int(r.stdout) <= 16 * 2**20
    assert time.monotonic() - t0 < 5


def test_many_files_stop_at_the_private_tmpfs_cap():
    code = ("import os\n"
            "total = 0\n"
            "try:\n"
            "    for i in range(1000):\n"
            "        with open(f'f{i}', 'wb') as f:\n"
            "            for _ in range(10):\n"
            "                f.write(b'x' * 2**20); total += 2**20\n"
            "except OSError as exc:\n"
            "    print(exc.strerror, total)\n")
    r = run(code)
    assert r.ok, r.error
    reason, total = r.stdout.rsplit(" ", 1)
    assert reason == "No space left on device"
    assert int(total) <= sbx.Limits().tmpfs_mb * 2**20


def test_work_directory_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    r = run("open('left.txt', 'w').write('x'); print(__import__('os').getcwd())")
    assert r.ok and r.stdout.strip() == "/tmp/work"
    assert list(tmp_path.iterdir()) == []


# --- escapes ------------------------------------------------------------------------------------

def test_parent_environment_is_not_visible(monkeypatch):
    monkeypatch.setenv("SECRET_API_KEY", "xyz-secret-123")
    monkeypatch.setenv("HF_TOKEN", "tok-secret-456")
    code = (f"import os\n"
            f"print(sorted(os.environ))\n"
            f"print(os.environ.get('SECRET_API_KEY'), os.environ.get('HF_TOKEN'))\n"
            f"try:\n"
            f"    print(open('/proc/{os.getpid()}/environ').read())\n"
            f"except OSError as exc:\n"
            f"    print('environ:', type(exc).__name__)\n")
    r = run(code)
    assert r.ok, r.error
    assert "secret" not in r.stdout
    assert "None None" in r.stdout
    assert "environ: FileNotFoundError" in r.stdout  # our pid does not exist in its pid namespace
    assert os.environ["SECRET_API_KEY"] == "xyz-secret-123"


def test_home_ssh_keys_are_unreachable(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_test"
    key.write_text("TOPSECRET-KEY")
    key.chmod(0o644)  # even world-readable, it must stay out of reach
    monkeypatch.setenv("HOME", str(home))
    code = ("import os\n"
            f"for p in ['~/.ssh/id_test', {str(key)!r}, '/root/.ssh/id_rsa', '/root']:\n"
            "    try:\n"
            "        print(p, open(os.path.expanduser(p)).read())\n"
            "    except OSError as exc:\n"
            "        print(p, 'blocked', type(exc).__name__)\n")
    r = run(code)
    assert r.ok, r.error
    assert "TOPSECRET" not in r.stdout
    assert r.stdout.count("blocked") == 4
    assert key.read_text() == "TOPSECRET-KEY"


def test_network_is_blocked_even_to_a_listening_local_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the port is really open for the parent
        r = run(f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                "print('connected')")
        assert not r.ok and "connected" not in r.stdout
        assert r.error.startswith("network access is blocked")
        r = run("import socket\nsocket.create_connection(('93.184.216.34', 80), timeout=2)")
        assert r.error.startswith("network access is blocked")
    finally:
        server.close()


def test_cannot_import_agentarch_even_with_its_path():
    src = str(Path(agentarch.__file__).resolve().parent.parent)
    r = run("import agentarch")
    assert not r.ok and "ModuleNotFoundError: No module named 'agentarch'" in r.error
    r = run(f"import sys\nsys.path.insert(0, {src!r})\nimport agentarch")
    assert not r.ok and "ModuleNotFoundError" in r.error
    r = run(f"import os\nprint(os.path.exists({src!r}), os.path.exists('/work'))")
    assert r.stdout.strip() == "False False"


def test_cannot_open_the_parent_cache_db(tmp_path):
    private = tmp_path / "cache"
    private.mkdir(mode=0o700)
    db = private / "cache.sqlite"
    con = sqlite3.connect(db)
    con.execute("create table cache (k text, v text)")
    con.execute("insert into cache values ('key', 'CACHED-SECRET')")
    con.commit()
    con.close()
    code = (f"try:\n"
            f"    print(open({str(db)!r}, 'rb').read())\n"
            f"except OSError as exc:\n"
            f"    print('blocked', type(exc).__name__)\n")
    r = run(code)
    assert r.ok and r.stdout.startswith("blocked") and "CACHED-SECRET" not in r.stdout
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


def test_ctypes_system_is_contained(tmp_path):
    marker = f"pwned_{uuid.uuid4().hex}"
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # world-writable on the host: only the mount namespace keeps it out
    secret = tmp_path / "secret.txt"
    secret.write_text("HOST-SECRET")
    targets = [f"/tmp/{marker}", f"/var/tmp/{marker}", f"{shared}/{marker}", f"/{marker}",
               f"/usr/{marker}"]
    shell = "; ".join([*(f"echo x > {t}" for t in targets),
                       f"cat {secret}", "cat /root/.ssh/* /etc/shadow", "id -u",
                       "echo $SECRET_API_KEY"])
    code = ("import ctypes, sys\n"
            "sys.stdout.flush()\n"
            f"rc = ctypes.CDLL(None).system({shell.encode()!r})\n"
            "print('rc', rc)\n")
    r = run(code)
    assert r.ok, r.error
    lines = r.stdout.split()
    uid = int(lines[lines.index("rc") - 1])
    assert uid >= sbx._UID_BASE  # the shell ran as the throw-away uid, not root
    assert "HOST-SECRET" not in r.stdout
    for t in [f"/tmp/{marker}", f"/var/tmp/{marker}", f"{shared}/{marker}", f"/{marker}",
              f"/usr/{marker}"]:
        assert not os.path.exists(t), t  # nothing it wrote reached the host


def test_cannot_signal_the_parent():
    r = run(f"import os, signal\n"
            f"for pid in ({os.getpid()}, -1):\n"
            f"    try:\n"
            f"        os.kill(pid, signal.SIGKILL)\n"
            f"    except OSError as exc:\n"
            f"        print(pid, type(exc).__name__)\n"
            f"print('alive')\n")
    assert f"{os.getpid()} ProcessLookupError" in r.stdout  # outside its pid namespace
    # kill(-1) only reaches its own processes (it is pid 1 of its namespace, so it survives)
    assert "alive" in r.stdout


def test_isolation_failure_fails_closed(tmp_path, monkeypatch):
    fake = tmp_path / "launcher.py"
    fake.write_text(
        "import json, os, sys\n"
        "cfg = json.loads(sys.argv[1])\n"
        "os.write(cfg['status_fd'], b'{\"setup_error\": \"cannot isolate the sandbox (test)\"}\\n')\n"
        "os._exit(125)\n")
    monkeypatch.setattr(sbx, "LAUNCHER", fake)
    with pytest.raises(SandboxUnavailable, match="allow_unisolated=True"):
        run("print(1)")


def test_sandbox_python_is_not_the_parents_venv():
    py = sbx.sandbox_python()
    assert not py.startswith(str(Path(agentarch.__file__).resolve().parents[2]))


def test_without_namespaces_it_refuses_unless_allowed(monkeypatch):
    lim = sbx.Limits(timeout=1, memory_mb=256)
    with pytest.raises(SandboxUnavailable, match="isolation was switched off"):
        asyncio.run(sbx.run_process({"main.py": "print(1)"}, ["main.py"], lim, isolate=False))
    # Unisolated, the work directory is on the host, so the throw-away uid must reach it
    # (pytest's tmp_path is under a root-only directory).
    tmp_path = Path(tempfile.mkdtemp(dir="/tmp"))
    tmp_path.chmod(0o755)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setenv("SECRET_API_KEY", "xyz")
    code = ("import os\n"
            "print(os.getuid(), os.environ.get('SECRET_API_KEY'))\n"
            "x = bytearray(2**30)\n")
    out = asyncio.run(sbx.run_process({"main.py": code}, ["main.py"], lim, isolate=False,
                                      allow_unisolated=True))
    assert out.mode == "none"
    uid, key = out.stdout.split()
    assert int(uid) >= sbx._UID_BASE and key == "None"  # degraded, but still not root
    assert sbx.describe_failure(out, lim).startswith("memory limit exceeded (256 MB)")
    out = asyncio.run(sbx.run_process({"main.py": "while True: pass"}, ["main.py"], lim,
                                      isolate=False, allow_unisolated=True))
    assert out.timed_out
    assert list(tmp_path.iterdir()) == []
    tmp_path.rmdir()
