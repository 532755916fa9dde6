"""`--cookies SOURCE`: recognise a cookie source by its content (never its file name) and load it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from prober import inputs
from prober.cookies import Jar, firefox, har, jsonexport, netscape, rawheader, snapshot
from prober.errors import CredentialError

_FORMATS = (
    "a Netscape cookies.txt, a Firefox cookies.sqlite, a Chromium Cookies database, a browser profile directory, "
    "a Cookie-Editor/EditThisCookie JSON export, a HAR file or a Cookie header"
)
_NETSCAPE_LINE = re.compile(r"^(#HttpOnly_)?[^\t#\s][^\t]*\t(TRUE|FALSE)\t[^\t]*\t(TRUE|FALSE)\t-?\d+\t", re.IGNORECASE)


def _directory(path: Path, domains: Sequence[str] | None) -> Jar:
    """A browser profile directory: Firefox (cookies.sqlite) or Chromium (Network/Cookies or Cookies)."""
    if (path / "cookies.sqlite").is_file():
        return firefox.load(path, domains)
    if (path / "Network" / "Cookies").is_file() or (path / "Cookies").is_file():
        from prober.cookies import chromium  # its decryption library loads only for a Chromium profile

        return chromium.load(path, domains=domains)
    raise CredentialError(
        f"{path}: a directory without cookies.sqlite, Cookies or Network/Cookies: not a browser profile",
        f"pass {_FORMATS}",
    )


def _database(path: Path, domains: Sequence[str] | None) -> Jar:
    with snapshot.open_copy(path, str(path)) as connection:
        present = snapshot.tables(connection)
    if "moz_cookies" in present:
        return firefox.load(path, domains)
    if "cookies" in present and "meta" in present:
        from prober.cookies import chromium

        return chromium.load(path, domains=domains)
    names = ", ".join(sorted(present)[:6]) or "none"
    raise CredentialError(
        f"{path}: SQLite database with tables {names}: not a Firefox or Chromium cookie store",
        "pass a Firefox cookies.sqlite or a Chromium Cookies file",
    )


def load(path: Path, header_domain: str | None = None, domains: Sequence[str] | None = None) -> Jar:
    """The jar in `path`, whatever its format. A raw Cookie header needs `header_domain` (it carries no scope).

    `domains` lets a browser database be read for those domains only; `credentials.load_jar` scopes every format.
    """
    name = str(path)
    if path.is_dir():
        return _directory(path, domains)
    data = inputs.read_bytes(path, inputs.COOKIE_LIMIT, "cookie file", CredentialError, f"pass {_FORMATS}")
    if data.startswith(snapshot.MAGIC):
        return _database(path, domains)
    if data.startswith(firefox.MOZLZ4):
        return Jar(kind="firefox-session", cookies=firefox.read_session(data, name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CredentialError(f"{path}: binary data of no known cookie format", f"pass {_FORMATS}") from None
    stripped = text.strip()
    if not stripped:
        raise CredentialError(f"{path}: the file is empty", f"pass {_FORMATS}")
    if stripped[0] in "[{":
        value = jsonexport.loads(stripped, name)
        if isinstance(value, dict) and "log" in value:
            return har.from_data(value, name)
        return jsonexport.from_data(value, name)
    lines = [line for line in stripped.splitlines() if line.strip()]
    if "Netscape HTTP Cookie File" in lines[0] or any(_NETSCAPE_LINE.match(line) for line in lines):
        return netscape.parse(text, name)
    if rawheader.PREFIX.match(lines[0]) or (len(lines) == 1 and rawheader.LINE.match(lines[0])):
        if header_domain is None:
            raise CredentialError(
                f"{path}: a raw Cookie header, which carries no domain",
                "also pass the domain it was copied from (--cookie-domain aliyun.com, for example)",
            )
        return rawheader.parse(stripped, name, header_domain)
    # The content is not quoted: an unrecognised file may still hold a secret.
    raise CredentialError(
        f"{path}: unknown cookie format ({len(lines)} lines of text: no cookies.txt line, JSON or Cookie header)",
        f"pass {_FORMATS}",
    )
