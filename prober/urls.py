"""Pure: what the classifier, the reports and the replay read of a URL or a Location value."""

from __future__ import annotations

from urllib.parse import urlsplit


def host(url: str | None) -> str | None:
    """The host name of a URL or Location value, without a trailing dot; None when there is none."""
    if not url:
        return None
    try:
        found = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return found.rstrip(".") if found else None
