"""Sandbox launcher: isolates one untrusted Python program, then execs it.

Standalone on purpose (standard library only, never imports agentarch): the parent runs it as
``<python> -I -S _launcher.py <config json>`` in a new session. It

1. reads the program files from the parent's private temporary directory;
2. enters new namespaces: pid (the program becomes pid 1, so when it exits or is killed every
   process it started dies too), mount, network (only a downed loopback: no connections at all),
   IPC and UTS. As root this is plain ``unshare``; as an ordinary user it first creates a user
   namespace mapping only that user;
3. builds a new root filesystem for the program (``build_root``): a size-capped tmpfs with
   read-only binds of the system directories only, a minimal ``/dev``, a fresh ``/proc`` and a
   private ``/tmp/work``, then ``pivot_root``s into it. The parent's home, project, virtualenv,
   caches and the host's ``/tmp`` do not exist there; paths in ``hide`` that do are covered;
4. sets resource limits (CPU seconds, address space, file size, processes, open files, no core);
5. as root, drops to a throw-away uid/gid with no supplementary groups (so ``RLIMIT_NPROC`` is
   enforced, and root-only files such as ``/root/.ssh`` are unreadable);
6. asks the kernel to SIGKILL the program if this launcher dies (the parent kills this launcher's
   process group on timeout), and execs the program with a scrubbed environment.

The launcher reports to the parent over ``status_fd`` as JSON lines: ``{"mode": ...}``, then
``{"setup_error": ...}`` or ``{"exit": n}`` / ``{"signal": n}``.
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags, what):
    _check(_libc.unshare(flags), what)


def _mount(source, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {fstype or source} on {target}")


class Status:
    def __init__(self, fd):
        self.fd = fd

    def send(self, **msg):
        try:
            os.write(self.fd, (json.dumps(msg) + "\n").encode())
        except OSError:
            pass


def _write_map(path, text):
    with open(path, "w") as f:
        f.write(text)


def enter_outer(cfg):
    """Namespaces the launcher itself enters. Returns the isolation mode."""
    if not cfg["isolate"]:
        raise OSError("isolation was switched off")
    if os.geteuid() == 0:
        _unshare(CLONE_NEWPID, "unshare(pid)")
        return "root"
    # An ordinary user: a user namespace gives the capabilities needed for the others.
    uid, gid = os.getuid(), os.getgid()
    _unshare(CLONE_NEWUSER | CLONE_NEWPID, "unshare(user, pid)")
    _write_map("/proc/self/setgroups", "deny")
    _write_map("/proc/self/uid_map", f"0 {uid} 1")
    _write_map("/proc/self/gid_map", f"0 {gid} 1")
    return "userns"


SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
MNT_DETACH = 2
MS_REMOUNT = 32


def _bind_ro(src, dst, is_dir):
    if is_dir:
        os.makedirs(dst, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
        open(dst, "a").close()
    _mount(src, dst, None, MS_BIND | MS_REC)
    _mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(cfg, mode):
    """A new root filesystem holding only what a Python program needs; returns the work dir.

    The root is a size-capped tmpfs (mounted over ``/tmp`` in our private mount namespace, so it
    also hides the host's ``/tmp``) with read-only binds of the system directories in
    ``cfg["binds"]`` (``/usr``, ``/lib``..., a few files of ``/etc``, the interpreter's prefix),
    a minimal ``/dev``, a fresh ``/proc`` and a world-writable ``/tmp``. Home directories,
    projects, virtualenvs, caches, ``/var``, ``/srv``, ``/opt``... simply do not exist in it.
    """
    _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS, "unshare(mnt, net)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = "/tmp"
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(cfg['tmpfs_mb'])}m,mode=755")
    for top in cfg["binds"]:
        if not os.path.lexists(top):
            continue
        dst = root + top
        if os.path.islink(top):
            os.makedirs(os.path.dirname(dst), mode=0o755, exist_ok=True)
            if not os.path.lexists(dst):
                os.symlink(os.readlink(top), dst)
        else:
            _bind_ro(top, dst, os.path.isdir(top))
    dev = root + "/dev"
    os.makedirs(dev, mode=0o755, exist_ok=True)
    for name in ("null", "zero", "full", "random", "urandom"):
        if os.path.exists("/dev/" + name):
            open(f"{dev}/{name}", "a").close()
            _mount("/dev/" + name, f"{dev}/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(root + "/proc", 0o555)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.mkdir(root + "/tmp")
    os.chmod(root + "/tmp", 0o1777)
    for p in cfg["hide"]:
        q = root + p
        if os.path.islink(q) or not os.path.exists(q):
            continue
        if os.path.isdir(q):
            _mount("tmpfs", q, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                   "size=16k,mode=755")
        else:
            _mount(root + "/dev/null", q, None, MS_BIND)
    os.mkdir(root + "/tmp/work", 0o700)
    os.chdir(root)
    if SYS_PIVOT_ROOT is not None:
        _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
        _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    elif mode == "root":
        os.chroot(".")  # safe: the program runs without privileges
    else:
        raise OSError("pivot_root is not known on this architecture")
    os.chdir("/")
    return "/tmp/work"


def setup_child(cfg, mode, files):
    """Runs in the forked child (pid 1 of the new pid namespace): returns the work directory."""
    work = build_root(cfg, mode) if mode != "none" else cfg["workdir"]
    uid, gid = cfg.get("uid"), cfg.get("gid")
    for name, data in files.items():
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        if uid is not None and mode != "userns":
            os.chown(path, uid, gid)
    if uid is not None and mode != "userns":
        os.chown(work, uid, gid)
        os.chmod(work, 0o700)

    lim = cfg["limits"]
    for res, key in ((resource.RLIMIT_CPU, "cpu"), (resource.RLIMIT_AS, "as"),
                     (resource.RLIMIT_FSIZE, "fsize"), (resource.RLIMIT_NPROC, "nproc"),
                     (resource.RLIMIT_NOFILE, "nofile"), (resource.RLIMIT_CORE, "core")):
        if lim.get(key) is not None:
            resource.setrlimit(res, (int(lim[key]), int(lim[key])))

    if uid is not None and mode != "userns":
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise OSError("could not drop root privileges")
    os.chdir(work)
    return work


def _count_processes(uid):
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat("/proc/" + d).st_uid == uid
            except OSError:
                pass
    return n


def main():
    cfg = json.loads(sys.argv[1])
    status = Status(cfg["status_fd"])
    os.set_inheritable(cfg["status_fd"], False)
    files = {}
    for name, path in cfg["files"].items():
        with open(path, "rb") as f:
            files[name] = f.read()
    if os.geteuid() != 0 and cfg["limits"].get("nproc") is not None:
        # Without root the program keeps our uid, whose processes all count against
        # RLIMIT_NPROC: allow the limit on top of those already running.
        cfg["limits"]["nproc"] += _count_processes(os.getuid())
    try:
        mode = enter_outer(cfg)
    except OSError as exc:
        if not cfg["allow_unisolated"]:
            status.send(setup_error=f"cannot isolate the sandbox ({exc})")
            os._exit(125)
        mode = "none"
    status.send(mode=mode)
    launcher = os.getpid()
    # Orphans of the program are re-parented to us, and reaped below, not left as zombies.
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    pid = os.fork()
    if pid == 0:
        try:
            work = setup_child(cfg, mode, files)
            env = dict(cfg["env"], HOME=work, TMPDIR=work)
            # Cleared by setuid, so set after it: dies with the launcher.
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != launcher and mode == "none":
                os._exit(125)
            argv = [cfg["python"], *cfg["argv"]]
            os.execve(cfg["python"], argv, env)
        except BaseException as exc:  # noqa: BLE001 - report anything that stops the set-up
            status.send(setup_error=f"sandbox set-up failed: {exc}")
            os._exit(125)
    # The launcher only waits; if it is killed, the kernel kills the program (pdeathsig). On
    # timeout the parent kills the program (pid 1 of its namespace: all its processes die).
    status.send(child=pid)
    _, st = os.waitpid(pid, 0)
    while True:  # reap whatever already died (the parent kills its process group later)
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    if os.WIFSIGNALED(st):
        status.send(signal=os.WTERMSIG(st))
        os._exit(128 + os.WTERMSIG(st))
    code = os.WEXITSTATUS(st)
    status.send(exit=code)
    os._exit(code)


if __name__ == "__main__":
    main()
