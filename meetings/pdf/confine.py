"""Confinement of a PDF child, applied before it reads an untrusted byte (``sandbox._child`` and the render
pool's workers). The resource limits (``sandbox.apply_limits``) stop a child that loops or allocates; this
module is for a child whose PDF library has been taken over by a crafted file:

- **its own user and network namespaces** (``unshare``): no network interface but a loopback that is down,
  and no capability on the host (it cannot raise its rlimits again, mount, or trace other processes);
- **Landlock** (Linux 5.13+): it may create, change or delete files only under the folders the job names
  (its scratch folder, or the page-image cache), execute nothing, and (Landlock ABI 4+) neither bind nor
  connect TCP; (ABI 6+) it cannot signal processes outside itself. It may *read* only the Python
  installation, the project's own packages, system libraries and fonts, the stored PDFs and what the job
  names (``read_from``): not the data directory's secrets (``secret_key``, ``ballot_secret``), not the
  SQLite database, not ``/etc`` beyond what libraries need;
- **seccomp**: ``socket``, ``socketpair``, ``execve``, ``ptrace``, ``mount``, ``bpf`` and a few other calls
  fail with EPERM; calls of another architecture (i386, x32) kill it;
- **RLIMIT_NOFILE**: a bounded number of open files.

Each layer is applied where the kernel offers it, and ``confine`` says which were; Debian 12's kernel (6.1)
and this machine's offer all four.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

OPEN_FILES = 128

_libc = ctypes.CDLL(None, use_errno=True)

# unshare(2)
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

# prctl(2), seccomp(2)
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000

# Per architecture: the audit value seccomp sees, and the numbers of the calls refused.
_ARCH = {
    "x86_64": (0xC000003E, {
        "socket": 41, "socketpair": 53, "execve": 59, "execveat": 322, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "setns": 308, "mount": 165, "umount2": 166, "bpf": 321, "keyctl": 250,
        "perf_event_open": 298, "userfaultfd": 323, "open_by_handle_at": 304, "unshare": 272}),
    "aarch64": (0xC00000B7, {
        "socket": 198, "socketpair": 199, "execve": 221, "execveat": 281, "ptrace": 117, "process_vm_readv": 270,
        "process_vm_writev": 271, "setns": 268, "mount": 40, "umount2": 39, "bpf": 280, "keyctl": 219,
        "perf_event_open": 241, "userfaultfd": 282, "open_by_handle_at": 265, "unshare": 97}),
}
X32_BIT = 0x40000000

# Landlock: the same system call numbers on every architecture.
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_CHANGES = sum(1 << bit for bit in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# Beyond the Python installation and the project's packages: what the PDF libraries and Python may read.
SYSTEM_READABLE = ["/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/fonts", "/usr/share/zoneinfo",
                   "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/dev/urandom", "/proc/self"]
PROJECT_PACKAGES = ["config", "accounts", "meetings", "realtime", "media", "frontend", "operations"]


def readable_paths(read_from: Sequence[str | os.PathLike] = ()) -> list[str]:
    """What a confined child may read: never the data directory as a whole (only what the job names)."""
    base = Path(__file__).resolve().parents[2]
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *SYSTEM_READABLE,
             *(str(base / name) for name in PROJECT_PACKAGES), *(str(p) for p in read_from)}
    return sorted(p for p in paths if os.path.exists(p))


def confine(write_to: Sequence[str | os.PathLike] = (), open_files: int = OPEN_FILES,
            read_from: Sequence[str | os.PathLike] = ()) -> dict[str, str]:
    """Confine this process for good. ``write_to``: the folders (or files) it may write (and read);
    ``read_from``: what else it may read besides the installation. Returns, per layer, what was applied or
    why not."""
    applied = {"open_files": _limit_open_files(open_files)}
    applied["namespaces"] = _own_namespaces()
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # needed by Landlock and seccomp alike
        return {**applied, "landlock": "unavailable: no_new_privs", "seccomp": "unavailable: no_new_privs"}
    applied["landlock"] = _landlock(write_to, readable_paths(read_from))
    applied["seccomp"] = _seccomp()
    return applied


def _limit_open_files(count: int) -> str:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = count if hard == resource.RLIM_INFINITY else min(count, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))
    return str(count)


def _own_namespaces() -> str:
    """A user namespace (no capability on the host) with a network namespace of its own (no network)."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        failed = os.strerror(ctypes.get_errno())
        if _libc.unshare(CLONE_NEWNET) != 0:  # a kernel without user namespaces; root can still do this
            return f"unavailable: {failed}"
        return "network"
    try:
        # The same ids inside, so the files it writes keep their owner; it cannot gain any other id.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        return f"user+network (ids not mapped: {exc.strerror})"
    return "user+network"


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _syscall(number: int, *args) -> int:
    result = _libc.syscall(number, *args)
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def _landlock(write_to: Sequence[str | os.PathLike], readable: Sequence[str]) -> str:
    try:
        abi = _syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), LANDLOCK_CREATE_RULESET_VERSION)
    except OSError as exc:
        return f"unavailable: {exc.strerror}"
    handled_fs = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_CHANGES | (
        FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    file_rights = FS_WRITE_FILE | FS_READ_FILE | (FS_TRUNCATE if abi >= 3 else 0)
    # Shared libraries are mapped executable (that is not Landlock's EXECUTE, which is execve), so reading
    # is all the installation needs.
    read_rights = FS_READ_FILE | FS_READ_DIR
    attr = struct.pack("=Q", handled_fs)
    if abi >= 4:
        attr += struct.pack("=Q", NET_BIND_TCP | NET_CONNECT_TCP)
    if abi >= 6:
        attr += struct.pack("=Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(len(attr)), 0)
    def allow(path: str | os.PathLike, dir_rights: int, file_only_rights: int) -> None:
        allowed = dir_rights if os.path.isdir(path) else file_only_rights
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            rule = ctypes.create_string_buffer(struct.pack("=Qi", allowed, fd), 12)
            _syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0)
        finally:
            os.close(fd)

    try:
        for path in readable:
            allow(path, read_rights, FS_READ_FILE)
        for path in [*write_to, os.devnull]:
            allow(path, handled_fs & ~FS_EXECUTE, file_rights & handled_fs)
        _syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return f"abi {abi}"


def _seccomp() -> str:
    machine = platform.machine()
    if machine not in _ARCH:
        return f"unavailable: no filter for {machine}"
    arch, numbers = _ARCH[machine]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    denied = sorted(set(numbers.values()))
    program = [
        (ld_abs, 0, 0, 4),  # seccomp_data.arch
        (jeq, 1, 0, arch),
        (ret, 0, 0, SECCOMP_RET_KILL_PROCESS),  # another architecture's calls: never expected, never allowed
        (ld_abs, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":
        program.append((jge, len(denied) + 1, 0, X32_BIT))  # x32 calls: to the refusal below
    for i, number in enumerate(denied):
        program.append((jeq, len(denied) - i, 0, number))
    program += [(ret, 0, 0, SECCOMP_RET_ALLOW), (ret, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM)]
    filters = (_SockFilter * len(program))(*[_SockFilter(*row) for row in program])
    fprog = _SockFprog(len(program), filters)
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"unavailable: {os.strerror(ctypes.get_errno())}"
    return f"{len(denied)} calls refused"
