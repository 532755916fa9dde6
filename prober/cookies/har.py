"""HAR 1.2 captures: cookies sent in the recorded requests and set by the recorded responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from prober.cookies import Cookie, Jar, Key, setcookie
from prober.cookies.jsonexport import describe, loads
from prober.errors import CredentialError
from prober.redact import Secret

_HINT = "save the capture with cookies: in the browser's network panel use 'Save all as HAR (with sensitive data)'"


def _pairs(items: Any) -> list[tuple[str, str]]:
    """HAR name/value lists (headers, cookies); malformed items are skipped, as browsers write extras."""
    if not isinstance(items, list):
        return []
    return [
        (item["name"], item["value"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str)
    ]


def _started(entry: dict[str, Any]) -> float:
    """The entry's start time, for Max-Age (RFC 6265 §5.2.2 counts from when the cookie was received)."""
    value = entry.get("startedDateTime")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return 0.0


def _request_cookies(request: dict[str, Any], host: str) -> list[Cookie]:
    """Cookies the browser sent: scoped to the request host, host-only (a request carries no scope)."""
    pairs = _pairs(request.get("cookies"))
    if not pairs:
        for header, value in _pairs(request.get("headers")):
            if header.lower() == "cookie":
                for part in value.split(";"):
                    cookie_name, sep, cookie_value = part.strip().partition("=")
                    if sep and cookie_name.strip():
                        pairs.append((cookie_name.strip(), cookie_value.strip()))
    return [Cookie(name=n, value=Secret(v), domain=host, host_only=True) for n, v in pairs]


def _response_cookies(response: dict[str, Any], url: str, now: float) -> list[Cookie]:
    """Cookies the server set, from Set-Cookie headers (RFC 6265 §5.2, scoped per Domain/Path)."""
    headers = [v for h, v in _pairs(response.get("headers")) if h.lower() == "set-cookie"]
    found = []
    for value in headers:
        for line in value.split("\n"):  # Firefox joins repeated Set-Cookie headers with newlines
            cookie = setcookie.parse(line, url, now) if line.strip() else None
            if cookie is not None:
                found.append(cookie)
    if headers:
        return found
    # No Set-Cookie header recorded: fall back to the HAR `cookies` list with its own attributes.
    items = response.get("cookies")
    for item in items if isinstance(items, list) else []:
        if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str)):
            continue
        line = f"{item['name']}={item['value']}"
        for attribute in ("domain", "path"):
            if isinstance(item.get(attribute), str):
                line += f"; {attribute}={item[attribute]}"
        cookie = setcookie.parse(line, url, now)
        if cookie is None:
            continue
        expires = None
        if isinstance(item.get("expires"), str):
            try:
                expires = datetime.fromisoformat(item["expires"]).timestamp()
            except (ValueError, OverflowError, OSError):
                expires = None
        found.append(
            replace(cookie, secure=item.get("secure") is True, http_only=item.get("httpOnly") is True, expires=expires)
        )
    return found


def from_data(data: Any, name: str) -> Jar:
    """A parsed JSON value that should be a HAR: `{"log": {"entries": [...]}}`."""
    log = data.get("log") if isinstance(data, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CredentialError(f"{name}: {describe(data)}, not a HAR file (no log.entries list)", _HINT)
    if not entries:
        raise CredentialError(f"{name}: HAR without entries: no requests were recorded", _HINT)
    # A later cookie with the same name, domain and path replaces an earlier one, as in a browser's store.
    jar: dict[Key, Cookie] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        request = entry.get("request")
        response = entry.get("response")
        url = request.get("url") if isinstance(request, dict) else None
        if not isinstance(url, str):
            continue
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            continue  # a recorded URL that does not parse cannot scope a cookie
        found = _request_cookies(request, host) if isinstance(request, dict) and host else []
        if isinstance(response, dict):
            found += _response_cookies(response, url, _started(entry))
        for cookie in found:
            jar[cookie.key] = cookie
    if not jar:
        raise CredentialError(
            f"{name}: HAR without cookies: none of its {len(entries)} entries sent or set a cookie", _HINT
        )
    return Jar(kind="har", cookies=tuple(jar.values()))


def parse(text: str, name: str) -> Jar:
    return from_data(loads(text, name), name)
