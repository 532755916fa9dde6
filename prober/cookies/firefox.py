"""Firefox-family profiles (Firefox, Zen, LibreWolf): `cookies.sqlite` plus the session cookies of the session store."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lz4.block

from prober import inputs
from prober.cookies import Cookie, Jar, Key, snapshot
from prober.errors import CredentialError
from prober.redact import Secret

_REQUIRED = frozenset({"name", "value", "host", "path", "expiry", "isSecure", "isHttpOnly"})

# Firefox keeps session cookies out of cookies.sqlite: they live in the session store (recovery.jsonlz4 while
# it runs, sessionstore.jsonlz4 after a clean exit), compressed as mozLz4 (CodexBar #612: "Session cookies from
# passport.alibabacloud.com that may not persist to disk").
SESSION_FILES = ("sessionstore-backups/recovery.jsonlz4", "sessionstore.jsonlz4")
MOZLZ4 = b"mozLz40\x00"  # the session store's magic (mozilla-central, toolkit/components/lz4)
_SESSION_LIMIT = 4 * inputs.COOKIE_LIMIT  # uncompressed; JSON compresses about 4:1

# Recent Firefox releases store expiry in milliseconds, older ones in seconds; 10**11 seconds is the year 5138.
_MS_THRESHOLD = 10**11


def _scope(host: str) -> tuple[str, bool]:
    """Firefox writes a domain cookie's host with a leading dot and a host-only cookie's without."""
    return host.lstrip(".").lower(), not host.startswith(".")


def read_database(path: Path, name: str, domains: Sequence[str] | None = None) -> Jar:
    """The persistent cookies of a `cookies.sqlite` (the moz_cookies table), read from a copy.

    With `domains`, only the rows for those domains are read; the rest are counted in `left_out`.
    """
    with snapshot.open_copy(path, name) as connection:
        if "moz_cookies" not in snapshot.tables(connection):
            raise CredentialError(
                f"{name}: SQLite database without a moz_cookies table: not a Firefox cookies.sqlite",
                "pass the cookies.sqlite of a Firefox, Zen or LibreWolf profile",
            )
        missing = _REQUIRED - snapshot.columns(connection, "moz_cookies")
        if missing:
            raise CredentialError(
                f"{name}: moz_cookies has no column {', '.join(sorted(missing))}: an unknown Firefox schema",
                "pass the cookies.sqlite of a current Firefox, Zen or LibreWolf profile",
            )
        where, parameters = snapshot.hosts("host", domains)
        rows = connection.execute(
            f"SELECT name, value, host, path, expiry, isSecure, isHttpOnly FROM moz_cookies WHERE {where} ORDER BY id",
            parameters,
        ).fetchall()
        (total,) = connection.execute("SELECT count(*) FROM moz_cookies").fetchone()
    cookies = []
    for row, (cookie_name, value, host, path_, raw_expiry, secure, http_only) in enumerate(rows, start=1):
        domain, host_only = _scope(str(host))
        expiry = snapshot.integer(raw_expiry, "expiry", row, name)
        seconds = expiry / 1000 if expiry > _MS_THRESHOLD else float(expiry)
        cookies.append(
            Cookie(
                name=str(cookie_name),
                value=Secret(str(value)),
                domain=domain,
                host_only=host_only,
                path=str(path_ or "/"),
                secure=bool(secure),
                http_only=bool(http_only),
                expires=seconds if seconds > 0 else None,
            )
        )
    return Jar(kind="firefox", cookies=tuple(cookies), left_out=int(total) - len(cookies))


def lz4_block(source: bytes, size: int) -> bytes:
    """Decompress one LZ4 block of `size` bytes (the kept `lz4` library; mozLz4 is one raw block after a header)."""
    try:
        out = lz4.block.decompress(source, uncompressed_size=size)
    except lz4.block.LZ4BlockError:
        raise ValueError("corrupt LZ4 block") from None
    if len(out) != size:  # the library returns short output for some truncated blocks
        raise ValueError("corrupt LZ4 block")
    return bytes(out)


def read_session(data: bytes, name: str) -> tuple[Cookie, ...]:
    """The session cookies of a mozLz4 session store file (magic, little-endian size, one LZ4 block, JSON)."""
    hint = "pass the profile's sessionstore-backups/recovery.jsonlz4 as Firefox wrote it"
    if not data.startswith(MOZLZ4) or len(data) < 12:
        raise CredentialError(f"{name}: not a mozLz4 session store (no 'mozLz40' header)", hint)
    (size,) = struct.unpack("<I", data[8:12])
    if size > _SESSION_LIMIT:  # the header may claim up to 4 GiB, and the block format can deliver it
        raise CredentialError(
            f"{name}: the session store says it holds {size} bytes, more than {inputs.size(_SESSION_LIMIT)}", hint
        )
    try:
        store: Any = json.loads(lz4_block(data[12:], size))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CredentialError(f"{name}: corrupt session store ({exc})", hint) from None
    entries = store.get("cookies", []) if isinstance(store, dict) else None
    if not isinstance(entries, list):
        raise CredentialError(f"{name}: the session store has no cookie list", hint)
    cookies = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        domain, host_only = _scope(str(entry.get("host", "")))
        cookies.append(
            Cookie(
                name=entry["name"],
                value=Secret(str(entry.get("value", ""))),
                domain=domain,
                host_only=host_only,
                path=str(entry.get("path") or "/"),
                secure=bool(entry.get("secure")),
                http_only=bool(entry.get("httponly")),
                expires=None,
            )
        )
    return tuple(cookies)


def load(path: Path, domains: Sequence[str] | None = None) -> Jar:
    """A profile directory or its cookies.sqlite; session cookies from the profile's session store are added.

    With `domains`, the database is read for those domains only; `Jar.scoped` filters the session cookies.
    """
    profile = path if path.is_dir() else path.parent
    database = path / "cookies.sqlite" if path.is_dir() else path
    if not database.is_file():
        raise CredentialError(
            f"{profile}: no cookies.sqlite in this profile", "pass a Firefox profile directory or its cookies.sqlite"
        )
    stored = read_database(database, str(database), domains)
    merged: dict[Key, Cookie] = {c.key: c for c in stored.cookies}
    stores = [profile / f for f in SESSION_FILES if (profile / f).is_file()]
    if stores:
        newest = max(stores, key=lambda p: p.stat().st_mtime)
        hint = "pass the profile's sessionstore-backups/recovery.jsonlz4 as Firefox wrote it"
        data = inputs.read_bytes(newest, inputs.COOKIE_LIMIT, "session store", CredentialError, hint)
        for cookie in read_session(data, str(newest)):
            merged.setdefault(cookie.key, cookie)
    return Jar(kind="firefox", cookies=tuple(merged.values()), left_out=stored.left_out)
