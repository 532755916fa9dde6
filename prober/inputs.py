"""Reading files given on the command line: regular files only, bounded size."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from prober.errors import ProberError

KiB = 1024
MiB = 1024 * KiB

# What prober reads at most from each kind of file. Each is far above any real file of its kind, and far
# below what would exhaust memory: a file over its limit is refused, never read in part.
CATALOGUE_LIMIT = 4 * MiB  # the shipped catalogue is ~40 KiB; 10,000 probes are ~3 MiB
KEY_LIMIT = 64 * KiB  # a key file holds one line
COOKIE_LIMIT = 64 * MiB  # a browser's whole cookie database, session store or HAR file
REPORT_LIMIT = 256 * MiB  # a stored JSON report of a very large sweep

_CHUNK = MiB


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def size(count: int) -> str:
    """A byte count as the limits are written: 4 MiB, 64 KiB."""
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if count >= unit:
            return f"{count / unit:g} {name}"
    return f"{count} bytes"


def _refuse(path: Path, what: str, reason: str, error: type[ProberError], hint: str) -> ProberError:
    return error(f"cannot read {what} {path}: {reason}", hint)


def _check(path: Path, mode: int, length: int, limit: int, what: str, error: type[ProberError], hint: str) -> None:
    if not stat.S_ISREG(mode):
        raise _refuse(path, what, f"{_kind(mode)}, not a regular file", error, hint)
    if length > limit:
        raise _refuse(path, what, _too_big(what, limit), error, hint)


def _too_big(what: str, limit: int) -> str:
    return f"larger than {size(limit)}, the most prober reads as a {what}"


def open_regular(path: Path, limit: int, what: str, error: type[ProberError], hint: str) -> int:
    """An open, read-only descriptor of `path` once it is known to be a regular file of at most `limit` bytes.

    The path is looked at before it is opened (a device is never opened), and the open descriptor again
    (the path may have been swapped in between). O_NONBLOCK makes opening a FIFO return at once instead of
    waiting for a writer. The caller closes the descriptor.
    """
    try:
        before = path.stat()
        _check(path, before.st_mode, before.st_size, limit, what, error, hint)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise _refuse(path, what, exc.strerror or type(exc).__name__, error, hint) from None
    try:
        opened = os.fstat(fd)
        _check(path, opened.st_mode, opened.st_size, limit, what, error, hint)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read(fd: int, limit: int) -> bytes:
    """At most limit + 1 bytes: one byte more than allowed says the file is too big, whatever its size said."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_bytes(path: Path, limit: int, what: str, error: type[ProberError], hint: str) -> bytes:
    """The content of the regular file `path`, at most `limit` bytes; anything else is one clear `error`.

    `what` names the file in messages ("catalogue", "key file"): `cannot read catalogue PATH: reason`.
    """
    fd = open_regular(path, limit, what, error, hint)
    try:
        data = _read(fd, limit)
    except OSError as exc:
        raise _refuse(path, what, exc.strerror or type(exc).__name__, error, hint) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read, or its size was not its length (/proc, say)
        raise _refuse(path, what, _too_big(what, limit), error, hint)
    return data


def copy(path: Path, target: Path, limit: int, what: str, error: type[ProberError], hint: str) -> None:
    """Copy the regular file `path` (at most `limit` bytes) to the new file `target`, created owner-only.

    Reading `path` fails as one clear `error`; an OSError writing `target` is left to the caller.
    """
    fd = open_regular(path, limit, what, error, hint)
    try:
        created = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(created, "wb") as out:
            total = 0
            while True:
                try:
                    chunk = os.read(fd, _CHUNK)
                except OSError as exc:
                    raise _refuse(path, what, exc.strerror or type(exc).__name__, error, hint) from None
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise _refuse(path, what, _too_big(what, limit), error, hint)
                out.write(chunk)
    finally:
        os.close(fd)
