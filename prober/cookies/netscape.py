"""Netscape `cookies.txt` (curl -c, wget, browser extensions), including `#HttpOnly_` lines."""

from __future__ import annotations

from prober.cookies import Cookie, Jar
from prober.errors import CredentialError
from prober.redact import Secret

_HTTPONLY = "#HttpOnly_"
_FIELDS = 7


def parse(text: str, name: str) -> Jar:
    """Parse the seven tab-separated fields per line: domain, subdomains flag, path, secure, expiry, name, value."""
    cookies: list[Cookie] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        http_only = line.startswith(_HTTPONLY)
        if http_only:
            line = line[len(_HTTPONLY) :]
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == _FIELDS - 1:
            fields.append("")  # curl writes an empty value without the trailing tab
        if len(fields) != _FIELDS:
            raise CredentialError(
                f"{name}:{number}: not a Netscape cookie line ({len(fields)} tab-separated fields, expected 7)",
                "export the jar as Netscape cookies.txt (curl -c, or a browser extension's 'Netscape' format)",
            )
        domain, subdomains, path, secure, expiry, cookie_name, value = fields
        try:
            expires = int(expiry)
            if expires > 253402300799:  # 9999-12-31: beyond any real expiry, and beyond a float's reach
                raise ValueError
        except ValueError:
            raise CredentialError(
                f"{name}:{number}: expiry {expiry[:20]!r} is not a number of seconds",
                "the fifth field of a cookies.txt line is the expiry in epoch seconds (0 for a session cookie)",
            ) from None
        include_subdomains = subdomains.upper() == "TRUE"
        cookies.append(
            Cookie(
                name=cookie_name,
                value=Secret(value),
                domain=domain.lower().lstrip("."),
                host_only=not include_subdomains,
                path=path or "/",
                secure=secure.upper() == "TRUE",
                http_only=http_only,
                expires=float(expires) if expires > 0 else None,
            )
        )
    if not cookies:
        raise CredentialError(
            f"{name}: no cookies found",
            "the file must be a Netscape cookies.txt: one tab-separated line per cookie",
        )
    return Jar(kind="netscape", cookies=tuple(cookies))
