"""Pure: what a report records of each answer so `prober replica --from` can serve it again, and the request
signature that finds the recording for a request (issue 15).

A hop keeps the answer's headers as received, less the hop-by-hop ones (RFC 9110 §7.6.1) and the values of the
cookies it sets; prober/intake.py then keeps them like all server text (scrubbed, inert, capped). A signature says
which request a hop answered without holding a secret: method, URL, which credential and in which header, and the
names of the cookies sent, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from prober.headers import lowered as header_name
from prober.model import Auth, Hop, KeyStyle, Pairs, Probe
from prober.redact import MASKED, REDACTED

# RFC 9110 §7.6.1: these describe one connection, not the answer; a replay has its own connection.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
    | {"proxy-authenticate", "proxy-authorization"}
)
_SET_COOKIE = frozenset({"set-cookie", "set-cookie2"})
# A hostile server may send thousands of headers; a report keeps the first ones, each capped by prober/intake.py.
MAX_HEADERS = 100

# The credential a request presents, as a signature names it: the kind, and for the key the header that carried it.
NONE = "none"
CONSOLE_TOKEN = "console-token"


def kept_headers(headers: Iterable[tuple[str, str]]) -> Pairs:
    """The answer's headers as a hop keeps them: no hop-by-hop header (nor one the Connection header names), and
    every Set-Cookie without its value (`name=; Path=/; HttpOnly`): which cookie was set, with what scope, is
    evidence; its value is a credential."""
    pairs = list(headers)
    named = {
        token.strip().lower() for name, value in pairs if name.lower() == "connection" for token in value.split(",")
    }
    kept: list[tuple[str, str]] = []
    for name, value in pairs:
        lowered = header_name(name)
        if lowered in HOP_BY_HOP or lowered in named:
            continue
        kept.append((name, _without_value(value) if lowered in _SET_COOKIE else value))
        if len(kept) == MAX_HEADERS:
            break
    return tuple(kept)


# RFC 6265 §4.1.1 and the attributes browsers added since: all a Set-Cookie keeps besides the cookie's name.
_ATTRIBUTES = frozenset(
    {"expires", "max-age", "domain", "path", "secure", "httponly", "samesite", "partitioned", "priority"}
)


def _without_value(set_cookie: str) -> str:
    """`name=; Domain=...; Path=/`: the value is gone, and so is anything that is not a known attribute (a value
    holding `;`, such as HTML character references, would otherwise leave its tail behind)."""
    first, *parts = set_cookie.split(";")
    kept = [p.strip() for p in parts if p.split("=", 1)[0].strip().lower() in _ATTRIBUTES]
    return "; ".join([f"{first.split('=', 1)[0].strip()}=", *kept])


@dataclass(frozen=True, slots=True)
class Signature:
    """Which request an answer belongs to. Two probes of one URL differ in method, credential or cookie names;
    what still differs between them (the body) breaks the tie in prober/replica/replay.py."""

    method: str
    host: str  # lower case, no port: a replay serves every host on one port
    path: str  # percent-decoded
    query: Pairs  # decoded, in order
    credential: str  # NONE, CONSOLE_TOKEN, or "key:<style>" (prober.model.KeyStyle)
    cookies: tuple[str, ...]  # the names of the cookies sent, sorted

    def loosely(self, other: Signature) -> bool:
        """The same request but for query values the report scrubbed or masked (a captured value in the URL):
        those match any value, since a replay never knows the secret they stood for."""
        if (self.method, self.host, self.path, self.credential, self.cookies) != (
            other.method,
            other.host,
            other.path,
            other.credential,
            other.cookies,
        ) or len(self.query) != len(other.query):
            return False
        return all(
            mine[0] == theirs[0] and (mine[1] == theirs[1] or REDACTED in mine[1] or MASKED in mine[1])
            for mine, theirs in zip(self.query, other.query, strict=True)
        )


def _key(style: KeyStyle) -> str:
    return f"key:{style.value}"


def _url_parts(url: str) -> tuple[str, str, Pairs]:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    return host, unquote(parts.path) or "/", tuple(parse_qsl(parts.query, keep_blank_values=True))


def of_hop(probe: Probe, hop: Hop) -> Signature:
    """The signature of the request a recorded hop answered, from what the hop says was sent."""
    credential = NONE
    if hop.key_sent and probe.key_style is not None:
        credential = _key(probe.key_style)
    elif probe.auth is Auth.CONSOLE_TOKEN and "Authorization" in hop.sent:
        credential = CONSOLE_TOKEN
    host, path, query = _url_parts(hop.url)
    return Signature(hop.method.upper(), host, path, query, credential, tuple(sorted(set(hop.cookies_sent))))


def credential_of(headers: Mapping[str, str]) -> str:
    """The credential a request presents, by header (names lower-cased). A Bearer value starting `sk-` is the key
    (docs/vendor.md#hosts-inference: every key is `sk-…`); any other Bearer is the console token."""
    for style in (KeyStyle.X_API_KEY, KeyStyle.X_DASHSCOPE_API_KEY):
        if headers.get(style.header.lower()):
            return _key(style)
    value = headers.get("authorization", "")
    if value[:7].lower() == "bearer " and value[7:].strip():
        return _key(KeyStyle.BEARER) if value[7:].strip().startswith("sk-") else CONSOLE_TOKEN
    return NONE


def of_request(
    method: str, host: str, path: str, query: Pairs, headers: Mapping[str, str], cookies: Iterable[str]
) -> Signature:
    """The signature of a request as a replay receives it (header names lower-cased, path and query decoded)."""
    return Signature(
        method.upper(),
        host.rstrip(".").lower(),
        path or "/",
        query,
        credential_of(headers),
        tuple(sorted(set(cookies))),
    )
