"""A raw `Cookie:` request header (from a file or an environment variable), scoped to a domain the user names."""

from __future__ import annotations

import re
from collections.abc import Mapping

from prober import scope
from prober.cookies import Cookie, Jar
from prober.errors import CredentialError
from prober.redact import Secret

# `Cookie:` before the header's value, which a pasted header may or may not carry.
PREFIX = re.compile(r"^\s*cookie\s*:", re.IGNORECASE)
# One line that reads as a Cookie header: the optional prefix, then a first `name=value`.
LINE = re.compile(r"^\s*(cookie\s*:\s*)?[^\s=;\t]+=[^\t\n]*$", re.IGNORECASE)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$"
)


def domain(text: str) -> str:
    """The domain a header's cookies are scoped to: lower-case, no leading dot, a bare host name, not a name the
    public-suffix list holds (`com`, `co.uk`: the cookies would belong to every site under it)."""
    value = text.strip().lstrip(".").lower()
    if not _HOSTNAME.match(value):
        raise CredentialError(
            f"cookie domain {text[:60]!r} is not a host name",
            "name the domain the header was copied from, such as aliyun.com or alibabacloud.com (no scheme or path)",
        )
    if scope.public_suffix(value, listed_only=True):
        raise CredentialError(
            f"cookie domain {value!r} is a public suffix: anyone can register a site under it",
            "name the site's own domain, such as aliyun.com or alibabacloud.com",
        )
    return value


def parse(text: str, name: str, domain_name: str) -> Jar:
    """`name=value; name2=value2`, optionally after `Cookie:`; every cookie becomes a domain cookie on the domain.

    A header carries no scope (RFC 6265 §5.4 sends only name=value), so the user names the domain it belongs to.
    On a name with no registrable part (`localhost`) the cookies are host-only, as a browser makes them (RFC 6265
    §5.3 step 5); an IP address matches only itself anyway (§5.1.3).
    """
    where = domain(domain_name)
    host_only = scope.public_suffix(where)
    body = PREFIX.sub("", text.strip(), count=1).strip()
    if "\n" in body:
        raise CredentialError(
            f"{name}: a Cookie header is one line; this text has {body.count(chr(10)) + 1}",
            "paste only the value of one Cookie request header",
        )
    cookies = []
    for number, part in enumerate(body.split(";"), start=1):
        pair = part.strip()
        if not pair:
            continue
        if "=" not in pair:
            raise CredentialError(
                f"{name}: pair #{number} has no '=': not a Cookie header",
                "a Cookie header reads name=value; name2=value2",
            )
        cookie_name, _, value = pair.partition("=")
        if not cookie_name.strip():
            raise CredentialError(
                f"{name}: pair #{number} has an empty cookie name", "a Cookie header reads name=value"
            )
        cookies.append(Cookie(name=cookie_name.strip(), value=Secret(value.strip()), domain=where, host_only=host_only))
    if not cookies:
        raise CredentialError(f"{name}: the Cookie header is empty", "copy the Cookie request header from the browser")
    return Jar(kind="header", cookies=tuple(cookies))


def from_env(env: Mapping[str, str], variable: str, domain_name: str) -> Jar:
    if variable not in env:
        raise CredentialError(
            f"environment variable {variable} is not set", f"export {variable}='name=value; ...' or drop the flag"
        )
    return parse(env[variable], f"${variable}", domain_name)
