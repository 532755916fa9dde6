"""Which proxy a request goes through: --proxy, else the standard environment variables (HTTPS_PROXY, NO_PROXY...).

aiohttp's own `trust_env` is not used: it also reads ~/.netrc and would add Basic credentials of its own to any
host listed there (and then refuse requests that already carry an Authorization header).
"""

from __future__ import annotations

import urllib.request
from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit


class Proxies:
    def __init__(self, explicit: str | None, use_env: bool = True) -> None:
        self._explicit = explicit
        # Read once per sweep; urllib takes the lower- and upper-case forms, lower-case first, as curl does.
        self._table = urllib.request.getproxies_environment() if use_env and explicit is None else {}
        self._for_host = lru_cache(maxsize=4096)(self._lookup)

    def _lookup(self, scheme: str, host: str) -> str | None:
        if self._explicit is not None:
            return self._explicit
        proxy = self._table.get(scheme) or self._table.get("all")
        if proxy is None or _bypass(host, self._table.get("no", "")):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def for_url(self, scheme: str, host: str) -> str | None:
        return self._for_host(scheme, host)

    def _urls(self) -> dict[str, str]:
        if self._explicit is not None:
            return {"--proxy": self._explicit}
        return {f"{scheme}_proxy": url for scheme, url in self._table.items() if scheme != "no"}

    def describe(self) -> str:
        """The proxies in use, for a report: user names and passwords left out."""
        found = [f"{name}={_without_userinfo(url)}" for name, url in self._urls().items()]
        if found and self._table.get("no"):
            found.append(f"no_proxy={self._table['no']}")
        return ", ".join(found) or "none"

    def secrets(self) -> list[str]:
        """Passwords in proxy URLs, in case a proxy error message quotes one: the redactor must know them."""
        found = []
        for url in self._urls().values():
            parts = urlsplit(url if "://" in url else f"http://{url}")
            if parts.password:
                found += [parts.password, unquote(parts.password)]
        return found


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _bypass(host: str, no_proxy: str) -> bool:
    host = host.lower()
    for raw in no_proxy.split(","):
        entry = raw.strip().lower().lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False
