"""Cookie records and the RFC 6265 rules that decide which cookies a request may carry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from prober import scope
from prober.redact import Secret

# A cookie's name, domain, host-only flag and path: a browser's store holds one cookie per key (RFC 6265 §5.3 step
# 11, with the host-only flag telling a host cookie from a domain cookie of the same name).
Key = tuple[str, str, bool, str]


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    value: Secret
    domain: str  # lower-case, no leading dot
    host_only: bool  # True: only `domain` itself (no Domain attribute was set)
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    expires: float | None = None  # epoch seconds; None for a session cookie

    def expired(self, now: float) -> bool:
        return self.expires is not None and self.expires <= now

    @property
    def key(self) -> Key:
        """What a store tells cookies apart by: a later cookie with the same key replaces an earlier one."""
        return (self.name, self.domain, self.host_only, self.path)


def domain_match(host: str, cookie: Cookie) -> bool:
    """RFC 6265 §5.1.3, with §5.3 step 6 host-only cookies matching their host alone."""
    host = host.lower().rstrip(".")
    if cookie.host_only or scope.is_ip(host):
        return host == cookie.domain
    return host == cookie.domain or host.endswith("." + cookie.domain)


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4."""
    request_path = request_path or "/"
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


@dataclass(frozen=True, slots=True)
class Jar:
    """The cookies loaded from one source. `kind` names the source format (e.g. "netscape").

    `left_out` counts the cookies of the source that were not kept (other sites, public suffixes): a count only,
    never their names or values.
    """

    kind: str
    cookies: tuple[Cookie, ...]
    left_out: int = 0
    # The cookies whose domain matches each host asked about so far: a sweep asks about a few hosts many times, and
    # a browser-sized jar would otherwise be walked whole for every request (issue 9, finding 8).
    _by_host: dict[str, tuple[Cookie, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def for_host(self, host: str) -> tuple[Cookie, ...]:
        """The cookies whose domain matches `host` (RFC 6265 §5.1.3), in jar order."""
        found = self._by_host.get(host)
        if found is None:
            found = self._by_host[host] = tuple(c for c in self.cookies if domain_match(host, c))
        return found

    def for_url(self, url: str, now: float) -> tuple[Cookie, ...]:
        """The cookies RFC 6265 §5.4 lets a request to `url` carry, longest path first."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        secure = parts.scheme == "https"
        chosen = [
            c
            for c in self.for_host(host)
            if path_match(parts.path, c.path) and (secure or not c.secure) and not c.expired(now)
        ]
        # §5.4 step 2: longer paths first; the sort is stable so file order breaks ties.
        chosen.sort(key=lambda c: -len(c.path))
        return tuple(chosen)

    def secrets(self) -> Iterable[Secret]:
        return (c.value for c in self.cookies)

    def scoped(self, domains: Sequence[str]) -> Jar:
        """Only the cookies `keep` allows for `domains`; the others are counted in `left_out`."""
        kept = tuple(c for c in self.cookies if keep(c, domains))
        return Jar(self.kind, kept, self.left_out + len(self.cookies) - len(kept))


def keep(cookie: Cookie, domains: Sequence[str]) -> bool:
    """A cookie is kept when its domain is inside `domains` and it is not a domain cookie on a public suffix.

    RFC 6265 §5.3 step 5: a browser ignores `Domain=com` (or `co.uk`, `github.io`) unless the setting host is that
    very name, when the cookie becomes host-only; a jar holding a domain cookie on a public suffix would send it to
    every site under it, so it is left out. A host-only cookie on such a name goes to that exact host alone.
    """
    if not scope.within(cookie.domain, domains):
        return False
    return cookie.host_only or not scope.public_suffix(cookie.domain)


def header(cookies: Iterable[Cookie]) -> str:
    return "; ".join(f"{c.name}={c.value.reveal()}" for c in cookies)
