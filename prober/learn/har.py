"""Pure: a HAR as Chromium and Firefox devtools save it -> the requests `prober learn` keeps, and why it drops the rest.

HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): `log.entries[]`, each a `request` (method, url, headers,
cookies, queryString, postData) and its `response` (status, headers, cookies, content, redirectURL). Chromium adds
`_resourceType` (document, xhr, fetch, script, ...); Firefox does not, so there the URL and content type decide.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from prober import scope, vendor
from prober.errors import ProberError
from prober.model import Pairs

# Why a request is left out, in the words the terminal summary uses.
OTHER_SITE = "for other sites"
NOT_HTTP = "not http(s)"
SIGN_IN = "sign-in pages (prober uses your session, never a password)"
ANALYTICS = "analytics"
PREFLIGHT = "CORS preflights"
STATIC = "static files"
OTHER_KIND = "neither documents, XHR nor fetch"
REPEAT = "repeats of a request already learned"
ALREADY = "requests the catalogue already makes"

_KEPT_TYPES = frozenset({"document", "xhr", "fetch"})
_STATIC_TYPES = frozenset({"script", "stylesheet", "image", "media", "font", "manifest", "texttrack", "prefetch"})
_BEACON_TYPES = frozenset({"ping", "beacon", "cspviolationreport"})
_STATIC_SUFFIXES = (
    *(".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".avif"),
    *(".woff", ".woff2", ".ttf", ".otf", ".eot", ".map", ".mp4", ".webm", ".mp3", ".wasm"),
)
_STATIC_TYPES_BY_MIME = ("image/", "font/", "text/css", "javascript", "video/", "audio/", "application/wasm")
# Alibaba's own telemetry (ARMS retcode, the aplus/mmstat trackers, log service uploads), by host or path.
_ANALYTICS = ("arms-retcode", "retcode.", "aplus", "mmstat", ".log.aliyuncs.com", "/r.png", "/collect", "/track")


class HarError(ProberError):
    """The file is not a HAR prober can read."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One request of the HAR and its answer, as `prober learn` reads them."""

    index: int
    method: str
    url: str  # without the query and fragment
    query: Pairs
    headers: Pairs
    cookies: Pairs  # (name, value) the request sent
    body: str | None
    body_type: str
    resource: str  # Chromium's _resourceType, lower case; "" from Firefox
    status: int
    response_headers: Pairs
    response_type: str
    response_text: str
    set_cookies: Pairs  # (name, value) the answer set
    started: str

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").rstrip(".").lower()

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def _pairs(items: Any) -> Pairs:
    if not isinstance(items, list):
        return ()
    found: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            value = item.get("value", "")
            found.append((item["name"], value if isinstance(value, str) else str(value)))
    return tuple(found)


def _cookie_header(headers: Pairs) -> Pairs:
    found: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() == "cookie":
            for part in value.split(";"):
                key, separator, rest = part.strip().partition("=")
                if separator and key:
                    found.append((key, rest))
    return tuple(found)


def _set_cookie_headers(headers: Pairs) -> Pairs:
    found: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() in ("set-cookie", "set-cookie2"):
            for line in value.split("\n"):  # Firefox joins repeated Set-Cookie headers with newlines
                key, separator, rest = line.split(";", 1)[0].strip().partition("=")
                if separator and key:
                    found.append((key, rest))
    return tuple(found)


def _text(content: Any) -> str:
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return ""
    text: str = content["text"]
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ""  # a binary answer: nothing to learn a capture from
    return text


def _object(holder: dict[str, Any], key: str) -> dict[str, Any]:
    value = holder.get(key)
    return value if isinstance(value, dict) else {}


def _entry(index: int, raw: Any) -> Entry | None:
    request = _object(raw, "request") if isinstance(raw, dict) else {}
    if not isinstance(request.get("url"), str):
        return None
    response = _object(raw, "response")
    parts = urlsplit(request["url"])
    headers = _pairs(request.get("headers"))
    post = _object(request, "postData")
    body = post.get("text") if isinstance(post.get("text"), str) else None
    if body is None and isinstance(post.get("params"), list):
        body = urlencode(_pairs(post["params"]))
    response_headers = _pairs(response.get("headers"))
    content = _object(response, "content")
    status = response.get("status")
    return Entry(
        index=index,
        method=str(request.get("method") or "GET").upper(),
        url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        headers=headers,
        cookies=tuple(dict.fromkeys((*_pairs(request.get("cookies")), *_cookie_header(headers)))),
        body=body,
        body_type=str(post.get("mimeType") or ""),
        resource=str(raw.get("_resourceType") or "").lower(),
        status=status if isinstance(status, int) and not isinstance(status, bool) else 0,
        response_headers=response_headers,
        response_type=str(content.get("mimeType") or ""),
        response_text=_text(content),
        set_cookies=tuple(dict.fromkeys((*_pairs(response.get("cookies")), *_set_cookie_headers(response_headers)))),
        started=str(raw.get("startedDateTime") or ""),
    )


def entries(data: Any) -> list[Entry]:
    """Every request of a HAR document, in the order the browser made them. HarError when it is no HAR."""
    log = data.get("log") if isinstance(data, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise HarError(
            "not a HAR file (no log.entries)",
            "save one from the browser's devtools: in the Network panel, 'Save all as HAR'",
        )
    found = [_entry(n, raw) for n, raw in enumerate(log["entries"])]
    return [entry for entry in found if entry is not None]


def _static(entry: Entry) -> bool:
    path = entry.path.lower()
    mime = entry.response_type.lower()
    return path.endswith(_STATIC_SUFFIXES) or any(marker in mime for marker in _STATIC_TYPES_BY_MIME)


def dropped(entry: Entry) -> str | None:
    """Why `prober learn` leaves this request out, or None to keep it: documents, XHR and fetch to Alibaba's
    domains only (prober/scope.py KEY_DOMAINS), never a sign-in page, a tracker, a preflight or a static file."""
    if urlsplit(entry.url).scheme not in ("http", "https"):
        return NOT_HTTP
    if not scope.within(entry.host, scope.KEY_DOMAINS):
        return OTHER_SITE
    if entry.host in vendor.LOGIN_HOSTS:
        return SIGN_IN
    where = f"{entry.host}{entry.path}".lower()
    if any(marker in where for marker in _ANALYTICS) or entry.resource in _BEACON_TYPES:
        return ANALYTICS
    if entry.method == "OPTIONS" or entry.resource == "preflight":
        return PREFLIGHT
    if entry.resource in _STATIC_TYPES or (not entry.resource and _static(entry)):
        return STATIC
    if entry.resource and entry.resource not in _KEPT_TYPES:
        return OTHER_KIND
    return None
