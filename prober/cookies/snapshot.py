"""Open a browser's SQLite cookie store through a private copy, because the running browser locks it."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from prober import inputs
from prober.errors import CredentialError

MAGIC = b"SQLite format 3\x00"  # https://www.sqlite.org/fileformat.html §1.3

# A browser keeps recent writes in the write-ahead log (Firefox) or a rollback journal (Chromium); copying
# them with the database gives the copy the same content the browser sees (https://www.sqlite.org/wal.html).
_SIDE_FILES = ("-wal", "-journal")

_HINT = "close the browser, or pass a copy of the database made while it was closed"
_FILE_HINT = "pass the browser's cookies.sqlite or Cookies file, or its profile directory"


def _error(name: str, exc: sqlite3.Error) -> CredentialError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return CredentialError(f"{name}: the database is locked by another program ({text})", _HINT)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CredentialError(
            f"{name}: the SQLite database is corrupt ({text})",
            "copy the cookie database again (with its -wal file) or export the cookies from the browser",
        )
    return CredentialError(f"{name}: cannot read the SQLite database ({text})", _HINT)


@contextmanager
def open_copy(path: Path, name: str) -> Iterator[sqlite3.Connection]:
    """Copy `path` and its -wal/-journal to a temporary directory and yield a connection to the copy.

    sqlite3 errors raised inside the block become one-line CredentialErrors naming `name`.
    """
    with tempfile.TemporaryDirectory(prefix="prober-cookies-") as tmp:
        copy = Path(tmp) / "cookies.db"
        try:
            # Bounded, and regular files only: a FIFO or /dev/zero named as a database is refused, not copied.
            inputs.copy(path, copy, inputs.COOKIE_LIMIT, "cookie database", CredentialError, _FILE_HINT)
            for suffix in _SIDE_FILES:
                side = path.with_name(path.name + suffix)
                if side.is_file():
                    target = copy.with_name(copy.name + suffix)
                    inputs.copy(side, target, inputs.COOKIE_LIMIT, "cookie database", CredentialError, _FILE_HINT)
        except OSError as exc:
            raise CredentialError(
                f"{name}: cannot copy the database: {exc.strerror or type(exc).__name__}", _HINT
            ) from None
        try:
            connection = sqlite3.connect(copy)
        except sqlite3.Error as exc:
            raise _error(name, exc) from None
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            yield connection
        except sqlite3.Error as exc:
            raise _error(name, exc) from None
        finally:
            connection.close()


def tables(connection: sqlite3.Connection) -> frozenset[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return frozenset(str(row[0]) for row in rows)


def columns(connection: sqlite3.Connection, table: str) -> frozenset[str]:
    return frozenset(str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})").fetchall())


def hosts(column: str, domains: Sequence[str] | None) -> tuple[str, list[str]]:
    """A WHERE clause (and its parameters) for rows whose `column` is one of `domains`, with or without a leading
    dot, or a name under one, so a browser's other sites are never read. `Jar.scoped` then applies the exact rule
    (public suffixes, IP addresses). `None`: every row."""
    if domains is None:
        return "1", []
    clauses, parameters = [], []
    for domain in domains:
        escaped = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(f"lower({column}) IN (?, ?) OR lower({column}) LIKE ? ESCAPE '\\'")
        parameters += [domain, "." + domain, "%." + escaped]
    return " OR ".join(f"({c})" for c in clauses) or "0", parameters


def integer(value: object, column: str, row: int, name: str) -> int:
    """A numeric column of a browser database; SQLite is typeless, so a damaged file may hold anything."""
    if value is None:
        return 0
    try:
        if isinstance(value, int | float | str | bytes):
            return int(value)
    except (ValueError, OverflowError):
        pass
    raise CredentialError(
        f"{name}: row {row} has a non-numeric {column}", "the database is damaged or was not written by a browser"
    )
