"""A store the user may not write, through the real CLI run as a non-root user: a read-only file
or a read-only folder gives one line saying so (not a traceback, not "not an agentarch
database"), the store is left intact, and the read-only commands still read it.

The tests run as root here, so the command runs as uid 65534 (``nobody``) on an interpreter
that user may execute; as a non-root user it runs as that user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from cli_run import SRC, cli, one_line_error, settle, snapshot, write_rules

NOBODY = 65534


def _as_user_kwargs() -> dict:
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}


@pytest.fixture(scope="module")
def unprivileged():
    """(command prefix, extra env, subprocess kwargs) that run ``agentarch`` without root."""
    if os.geteuid() != 0:
        return [sys.executable, "-m", "agentarch.cli.main"], {}, {}
    # Our interpreter may sit under /root, which uid 65534 cannot enter: take the first one of
    # the same Python version it can run, with our installed packages on its path.
    env = {"PYTHONPATH": os.pathsep.join([SRC, sysconfig.get_paths()["purelib"]]), "HOME": tempfile.gettempdir()}
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    probe = f"import sys, pydantic_core, agentarch.cli.main; assert sys.version.startswith('{version}.')"
    tried = []
    for python in dict.fromkeys(p for p in (sys.executable, getattr(sys, "_base_executable", None),
                                            "/usr/bin/python3", shutil.which("python3")) if p):
        try:
            r = subprocess.run([python, "-c", probe], env={**os.environ, **env}, capture_output=True, text=True,
                               **_as_user_kwargs())
        except PermissionError:  # the user may not execute it (or enter its folder)
            tried.append(python)
            continue
        if r.returncode == 0:
            return [python, "-m", "agentarch.cli.main"], env, _as_user_kwargs()
        tried.append(python)
    pytest.skip(f"no Python {version} with agentarch's packages that uid {NOBODY} may run (tried {tried})")


@pytest.fixture
def place():
    """A folder every user can enter (pytest's tmp_path is private to root), with a store made by
    a real ``agentarch eval``."""
    root = Path(tempfile.mkdtemp(prefix="agentarch-access-"))
    store = root / "store"
    try:
        root.chmod(0o755)
        (root / "d.jsonl").write_text('{"question": "2 + 2", "answer": "4"}\n{"question": "1 + 3", "answer": "4"}\n')
        model = write_rules(root / "rules.json", [[".*", "The answer is 4."]])
        store.mkdir()
        db = store / "s.db"
        args = ["eval", "--task", str(root / "d.jsonl"), "--metric", "numeric", "-d", "cot", "--model", model,
                "--db", str(db)]
        made = cli(*args)
        assert made.returncode == 0, made.stderr
        settle(db)
        before = snapshot(db)
        settle(db)
        assert before["runs"] and sorted(p.name for p in store.iterdir()) == ["s.db"]
        yield {"root": root, "db": db, "args": args, "before": before,
               "run": json.loads(before["runs"][0])[0]}
    finally:
        if store.exists():
            store.chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)


def _give(path: Path, mode: int) -> None:
    """Make ``path`` belong to the unprivileged user (when we are root) with ``mode``."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    path.chmod(mode)


def test_read_only_store_file(unprivileged, place):
    command, env, kw = unprivileged
    db = place["db"]
    _give(db.parent, 0o755)  # the folder is the user's: only the file is read-only
    _give(db, 0o444)

    msg = one_line_error(cli(*place["args"], command=command, env=env, **kw))
    assert str(db) in msg and "read-only" in msg and "another --db" in msg
    assert "not an agentarch database" not in msg
    assert snapshot(db) == place["before"]

    listed = cli("runs", "--db", str(db), command=command, env=env, **kw)
    assert listed.returncode == 0 and place["run"][:10] in listed.stdout, listed.stderr
    shown = cli("runs", place["run"][:6], "--db", str(db), command=command, env=env, **kw)
    assert shown.returncode == 0 and f"run {place['run']} (eval, done)" in shown.stdout, shown.stderr


def test_read_only_folder(unprivileged, place):
    command, env, kw = unprivileged
    db = place["db"]
    _give(db, 0o644)  # the user may write the file, but not create its journal next to it
    db.parent.chmod(0o555)

    msg = one_line_error(cli(*place["args"], command=command, env=env, **kw))
    assert str(db) in msg and f"folder '{db.parent}' is not writable" in msg
    assert "not an agentarch database" not in msg

    listed = cli("runs", "--db", str(db), command=command, env=env, **kw)
    assert listed.returncode == 0 and place["run"][:10] in listed.stdout, listed.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == ["s.db"]
    assert snapshot(db) == place["before"]


def test_new_store_in_a_read_only_folder(unprivileged, place):
    command, env, kw = unprivileged
    db = place["db"].parent / "new.db"
    place["db"].parent.chmod(0o555)
    msg = one_line_error(cli(*place["args"][:-1], str(db), command=command, env=env, **kw))
    assert f"{db}: cannot create the store: folder '{db.parent}' is not writable" in msg
    assert not db.exists()
