"""Pure: the rate-limit headers of a response (HEADERS.pick), summarised for a report cell; Retry-After read."""

from __future__ import annotations

from prober.headers import Family
from prober.model import Pairs

# Reference C5: no `x-ratelimit-*` header has been observed on DashScope, and whether a 429 carries
# `Retry-After` is unknown. So the prober records every rate-limit header family it knows of:
# the de facto `x-ratelimit-*` (what CodexBar PR #498 read), the IETF draft `RateLimit` /
# `RateLimit-Policy` / `RateLimit-*` fields and RFC 9110 `Retry-After`.
HEADERS = Family(frozenset({"ratelimit", "retry-after"}), ("x-ratelimit-", "ratelimit-"))

# The order a report cell prefers: what is left first, then the structured field, then the wait.
_PREFERRED = (
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining",
    "ratelimit-remaining",
    "ratelimit",
    "retry-after",
)

_MAX_VALUE = 40


def summary(rate_limits: Pairs) -> str | None:
    """A short text such as `x-ratelimit-remaining 17`, or None when there are no rate-limit headers."""
    if not rate_limits:
        return None
    first: dict[str, str] = {}
    for name, value in rate_limits:
        first.setdefault(name.lower(), value)
    for name in _PREFERRED:
        if name in first:
            return _cell(name, first[name])
    # Some other remaining-type header (e.g. `x-ratelimit-remaining-tokens`) beats a limit or reset.
    for name, value in first.items():
        if "remaining" in name:
            return _cell(name, value)
    name, value = next(iter(first.items()))
    return _cell(name, value)


def _cell(name: str, value: str) -> str:
    text = " ".join(value.split())
    if len(text) > _MAX_VALUE:
        text = text[: _MAX_VALUE - 1] + "…"
    return f"{name} {text}".rstrip()


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
