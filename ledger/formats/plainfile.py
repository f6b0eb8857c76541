"""Reading only plain files, and only as much as a source may hold.

A repository is contributed to by many people: a symlink ``sources/leak.txt -> /etc/passwd`` would have
`ledger build` read a secret and Datasette publish it, ``source add /dev/zero`` would read until memory runs
out, and a FIFO would hang the command forever. So every file the ledger reads as a source or a claims file is
checked first, without reading it: it must be a regular file (a FIFO, a device, a socket or a directory is
refused), a symlink must stay inside the repository, and a source must be no larger than the limit.

The limit is ``--max-bytes`` on `ledger source add`, else the ``LEDGER_MAX_SOURCE_BYTES`` environment
variable (bytes; ``K``, ``M``, ``G`` suffixes allowed), else :data:`DEFAULT_MAX_SOURCE_BYTES` (100 MB).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ledger.core.errors import LedgerError, NotPlainFile, SourceTooLarge

DEFAULT_MAX_SOURCE_BYTES = 100 * 1024 * 1024
MAX_SOURCE_BYTES_ENV = "LEDGER_MAX_SOURCE_BYTES"
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(value: str, where: str = MAX_SOURCE_BYTES_ENV) -> int:
    """``"30M"`` -> 31457280; a clear error for anything but a positive size."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", str(value), re.IGNORECASE)
    if not m or int(m.group(1)) == 0:
        raise LedgerError(f"{where}: {value!r} is not a size; give a positive number of bytes, e.g. 104857600 or 100M")
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def max_source_bytes(given: int | None = None) -> int:
    """The size limit for a source: ``given``, else the environment variable, else the default."""
    if given is not None:
        return given
    env = os.environ.get(MAX_SOURCE_BYTES_ENV)
    return parse_size(env) if env else DEFAULT_MAX_SOURCE_BYTES


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_kind(path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotPlainFile(
            f"{path}: is {_kind(mode)}, not a plain file; the ledger reads only regular files: "
            "save the content to a file and give that"
        )


def _refuse_size(path, size: int, limit: int) -> None:
    if size > limit:
        raise SourceTooLarge(
            f"{path}: {size:,} bytes is over the limit of {limit:,} bytes for a source; if it really is one, "
            f"raise the limit with --max-bytes or {MAX_SOURCE_BYTES_ENV} (e.g. {MAX_SOURCE_BYTES_ENV}=500M)"
        )


def check_inside(path: str | os.PathLike, root: str | os.PathLike) -> None:
    """Refuse ``path`` if it (or a directory on its way) is a symlink leading outside ``root``."""
    real = os.path.realpath(path)
    top = os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        raise NotPlainFile(
            f"{path}: is a symlink to {real}, outside the repository ({top}); a build never reads files "
            "outside it (a contributed symlink could publish a secret): replace the link with a copy of the file"
        )


def check_plain(path: str | os.PathLike, *, root: str | os.PathLike | None = None, max_bytes: int | None = None) -> None:
    """Check ``path`` without reading it: inside ``root`` (when given), a regular file, at most ``max_bytes``."""
    if root is not None:
        check_inside(path, root)
    st = os.stat(path)
    _refuse_kind(path, st.st_mode)
    if max_bytes is not None:
        _refuse_size(path, st.st_size, max_bytes)


def read_plain(path: str | os.PathLike, *, max_bytes: int | None = None, root: str | os.PathLike | None = None) -> bytes:
    """The bytes of a regular file, checked before reading (see :func:`check_plain`).

    The file is opened non-blocking (a FIFO does not hang the open) and checked on the open descriptor, so
    what is read is what was checked; a file that grows past the limit while it is read is refused too.
    """
    if root is not None:
        check_inside(path, root)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise NotPlainFile(f"{path}: is a directory, not a plain file; give a file") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        _refuse_kind(path, st.st_mode)
        if max_bytes is None:
            return f.read()
        _refuse_size(path, st.st_size, max_bytes)
        data = f.read(max_bytes + 1)
        _refuse_size(path, len(data), max_bytes)
        return data


def repository_root(sources_dir: str | os.PathLike) -> Path:
    """The repository a ``sources/`` directory belongs to: its parent (the link itself is not followed)."""
    return Path(os.path.abspath(sources_dir)).parent
