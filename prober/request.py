"""What one hop sends: its headers and body with every credential scoped to the origin the catalogue named, and the
checks that keep a probe's first request from going where its URL or captured credentials must not go."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from yarl import URL

from prober import capture, inert, scope
from prober.cookies import Cookie
from prober.cookies import header as cookie_header
from prober.model import Auth, Probe

if TYPE_CHECKING:
    from prober.credentials import Credentials


def origin(url: URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


@dataclass(frozen=True, slots=True)
class Guard:
    """What a filled probe carries besides its own credential: the scopes of the captured credentials in it
    (registrable domains) and which parts of the request hold them."""

    scopes: frozenset[str] = frozenset()
    carriers: capture.Carriers = field(default_factory=capture.Carriers)

    def refusal(self, url: URL) -> str | None:
        """Why the first request must not be sent with these values, or None. The catalogue check rejects such
        probes already; this holds even for a catalogue that was never checked."""
        if not self.scopes:
            return None
        if url.scheme != "https":  # --allow-insecure is for test servers' keys and cookies, never for these
            return "captured credentials are never sent over plain http: use https"
        host = url.host or ""
        outside = sorted(s for s in self.scopes if not scope.within(host, (s,)))
        if outside:
            return f"withheld: {host} is outside {', '.join(outside)}, where the captured credentials it uses came from"
        return None


NO_CAPTURES = Guard()  # a probe without {{ name }} placeholders filled from captures (immutable: one for all)


@dataclass(frozen=True, slots=True)
class Request:
    """The headers and body of one hop, and what was sent or withheld of everything credential-derived."""

    headers: dict[str, str]
    body: bytes | None
    cookies: tuple[Cookie, ...]
    key_sent: bool
    sent: tuple[str, ...]
    withheld: tuple[str, ...]


def build(
    probe: Probe, guard: Guard, url: URL, first: URL, body: bytes | None, creds: Credentials, allow_insecure: bool
) -> Request:
    """Credentials, and every header or body that carries a captured value, go only to the origin the catalogue
    named and only over https: never to a redirect target on another origin (curl's rule for Authorization, applied
    to all of them; CodexBar re-sends console cookies only on same-origin redirects, docs/vendor.md#cookie-scoping)."""
    headers = dict(probe.headers)
    same_origin = url is first or origin(url) == origin(first)  # the first hop: the same URL object
    secure_enough = url.scheme == "https" or allow_insecure
    allowed = same_origin and secure_enough
    carried = guard.carriers
    key_sent = False
    cookies: tuple[Cookie, ...] = ()
    withheld: list[str] = []
    sent: list[str] = []
    if probe.auth is Auth.KEY and creds.key is not None and probe.key_style is not None:
        if allowed:
            headers[probe.key_style.header] = probe.key_style.header_value(creds.key.reveal())
            key_sent = True
        else:
            withheld.append(probe.key_style.header)
    elif probe.auth is Auth.CONSOLE_TOKEN and creds.console_token is not None:
        # The token goes only to console gateways over https (--allow-insecure is for test servers' keys and
        # cookies, never this), checked here for every hop as well as by `prober check`.
        if same_origin and url.scheme == "https" and scope.token_host(url.host or ""):
            headers["Authorization"] = f"Bearer {creds.console_token.reveal()}"
            sent.append("Authorization")
        else:
            withheld.append("Authorization")
    elif probe.auth is Auth.COOKIES and creds.jar is not None:
        if allowed:
            cookies = creds.jar.for_url(str(url), time.time())
            if cookies:
                headers["Cookie"] = cookie_header(cookies)
        else:
            withheld.append("Cookie")
    # Headers that hold a captured value: none for most probes (no placeholder, the catalogue's carriers empty).
    carrier_headers = sorted(k for k in headers if k.lower() in carried.headers) if carried.headers else []
    if allowed:
        sent += carrier_headers
    else:
        for name in carrier_headers:
            del headers[name]
        withheld += carrier_headers
    if body is not None and carried.body:
        if allowed:
            sent.append("body")
        else:
            body = None
            withheld.append("body")
    return Request(headers, body, cookies, key_sent, tuple(sent), tuple(withheld))


# An http(s) URL whose authority is a bare host name: no user info, port, backslash or other character a parser
# could read differently. Its host is what urlsplit would say, without the cost of urlsplit.
_PLAIN = re.compile(r"https?://([A-Za-z0-9.-]+)(?=[/?#]|\Z)")


def parse(url: str) -> URL | str:
    """The URL the HTTP client will send to, or why it must not send to `url`: it cannot parse it, or reads another
    host than the catalogue check did (a parser differential such as `https://evil.test\\@console.aliyun.com/`)."""
    try:
        parsed = URL(url, encoded=False)
        plain = _PLAIN.match(url)
        checked = plain.group(1) if plain is not None else urlsplit(url).hostname
    except ValueError as exc:
        return f"not sent: the URL cannot be parsed ({inert.line(str(exc), 200)})"
    # yarl shows an international name decoded (`三重.jp`) and keeps its ASCII form (`xn--ehqz56n.jp`) beside it;
    # urlsplit gives the name as written: either form of the same name agrees.
    wanted = (checked or "").lower().rstrip(".")
    if wanted != (parsed.raw_host or "").lower().rstrip(".") and wanted != (parsed.host or "").lower().rstrip("."):
        return "not sent: URL parsers disagree about its host; write the URL without backslashes or user info"
    return parsed
