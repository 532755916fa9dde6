"""Which proxy a request goes through: --proxy, else the standard environment variables (HTTPS_PROXY, NO_PROXY...).

aiohttp's own `trust_env` is not used: it also reads ~/.netrc and would add Basic credentials of its own to any
host listed there (and then refuse requests that already carry an Authorization header).
"""

from __future__ import annotations

import urllib.request
from functools import lru_cache


class Proxies:
    def __init__(self, explicit: str | None) -> None:
        self._explicit = explicit
        # Read once per sweep; urllib takes the lower- and upper-case forms, lower-case first, as curl does.
        self._table = urllib.request.getproxies_environment()
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


def _bypass(host: str, no_proxy: str) -> bool:
    host = host.lower()
    for raw in no_proxy.split(","):
        entry = raw.strip().lower().lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False
