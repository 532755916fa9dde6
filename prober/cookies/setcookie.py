"""RFC 6265 §5.2 and §5.3: a `Set-Cookie` header received from a URL, as the cookie a user agent would store."""

from __future__ import annotations

import calendar
import re
from urllib.parse import urlsplit

from prober import scope
from prober.cookies import Cookie
from prober.redact import Secret

# §5.1.1 cookie-date: tokens split on these delimiters.
_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?$")
_DAY = re.compile(r"^(\d{1,2})(?:\D.*)?$")
_YEAR = re.compile(r"^(\d{2,4})(?:\D.*)?$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def cookie_date(text: str) -> float | None:
    """RFC 6265 §5.1.1: the epoch seconds of a cookie-date, or None when it is not one."""
    time: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DELIMITERS.split(text):
        if not token:
            continue
        if time is None and (m := _TIME.match(token)):
            time = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DAY.match(token)):
            day = int(m[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _YEAR.match(token)):
            year = int(m[1])
    if time is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = time
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the directory of the request path."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rfind("/")]


def parse(header: str, url: str, now: float) -> Cookie | None:
    """The cookie `header` sets when received from `url` at `now`, or None when §5.2/§5.3 say to ignore it."""
    pair, _, rest = header.partition(";")
    if "=" not in pair:
        return None  # §5.2 step 2
    name, _, value = pair.partition("=")
    name, value = name.strip(" \t"), value.strip(" \t")
    if not name:
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None  # an unparseable URL (e.g. a broken IPv6 literal) sets nothing
    expires: float | None = None
    max_age: float | None = None
    domain = ""
    path = ""
    secure = http_only = False
    for attribute in rest.split(";"):
        key, _, attr_value = attribute.partition("=")
        key, attr_value = key.strip(" \t").lower(), attr_value.strip(" \t")
        if key == "expires":
            when = cookie_date(attr_value)
            if when is not None:
                expires = when
        elif key == "max-age":
            if re.fullmatch(r"-?\d+", attr_value):
                # Clamp absurd lengths before int(): 10**15 seconds is already forever.
                delta = int(attr_value) if len(attr_value) < 16 else (-1 if attr_value[0] == "-" else 10**15)
                max_age = now + delta if delta > 0 else 0.0  # §5.2.2: the earliest representable time
        elif key == "domain":
            if attr_value:
                domain = attr_value.lstrip(".").lower()
        elif key == "path":
            path = attr_value if attr_value.startswith("/") else ""
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
    if max_age is not None:
        expires = max_age  # §5.3 step 3: Max-Age wins over Expires
    if domain and scope.public_suffix(domain):
        # §5.3 step 5: Domain=com (or co.uk, github.io) is ignored, unless the host is that very name, which then
        # gets a host-only cookie.
        if host != domain:
            return None
        domain = ""
    if domain:
        # §5.3 step 6: a Domain the request host does not domain-match means the cookie is ignored.
        if host != domain and not host.endswith("." + domain):
            return None
        host_only = False
    else:
        domain, host_only = host, True
    return Cookie(
        name=name,
        value=Secret(value),
        domain=domain,
        host_only=host_only,
        path=path or default_path(parts.path),
        secure=secure,
        http_only=http_only,
        expires=expires,
    )
