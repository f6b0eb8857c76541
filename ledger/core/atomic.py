"""Crash-safe file writes and the one writer lock.

A file of the ledger is never rewritten in place: the new bytes go to a temporary file in the same directory,
which is flushed and fsynced, renamed over the old name (an atomic step on POSIX), and then the directory is
fsynced so that the rename itself survives a crash. A reader, or the next command after a kill -9 or a full
disk, sees either the old file whole or the new one whole, never a mix and never an empty file.

Writers in different processes are serialised by :func:`writer_lock`, an exclusive ``flock`` on a lock file
beside the files it guards. The lock is re-entrant within one process, so a command that calls several library
functions which each take it does not deadlock itself; other threads wait like other processes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from pathlib import Path

from ledger.core.errors import LedgerError

LOCK_NAME = ".ledger.lock"


class WriteError(LedgerError):
    """A file of the ledger could not be written; the previous version is kept."""


def fsync_dir(path: str | os.PathLike) -> None:
    """fsync a directory so that a rename or a new entry in it survives a crash."""
    fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data``: the old file stays whole until the new one is complete and on disk.

    Raises :class:`WriteError` (with the file named and the previous version kept) when the disk is full or
    the file is too large for the process's limits; the temporary file is removed.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise WriteError(
                f"{path}: could not write ({os.strerror(e.errno)}); the previous version is kept, "
                "nothing was changed: free some space and run the command again"
            ) from e
        raise
    fsync_dir(directory)


def append_atomic(path: str | os.PathLike, data: bytes, *, separator: bytes = b"") -> None:
    """Append ``data`` to ``path`` by writing the whole new file with :func:`write_atomic` (copy, never in place).

    ``separator`` goes between the old bytes and ``data`` when the old file does not already end with it.
    """
    path = Path(path)
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = b""
    if before and separator and not before.endswith(separator):
        before += separator
    write_atomic(path, before + data)


_local = threading.local()  # per thread: {directory: depth}; flock conflicts across threads too (own fds)


@contextlib.contextmanager
def writer_lock(directory: str | os.PathLike = "."):
    """Hold the exclusive writer lock of the ledger rooted at ``directory`` (re-entrant in one thread).

    Blocks until another process's, or another thread's, writer is done: each thread takes the ``flock``
    on its own descriptor, and flocks on different descriptors of one file exclude each other. The lock
    file (``.ledger.lock``) holds nothing and is ignored by git.
    """
    key = os.path.realpath(os.fspath(directory))
    held = _local.__dict__.setdefault("held", {})
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    os.makedirs(key, exist_ok=True)
    fd = os.open(os.path.join(key, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
