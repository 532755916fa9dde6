"""Which proxy a request goes through: --proxy, else the standard environment variables (HTTPS_PROXY, NO_PROXY...).

aiohttp's own `trust_env` is not used: it also reads ~/.netrc and would add Basic credentials of its own to any
host listed there (and then refuse requests that already carry an Authorization header).
"""

from __future__ import annotations

import urllib.request
from functools import lru_cache
from urllib.parse import unquote

from prober.errors import ProberError


class Proxies:
    def __init__(self, explicit: str | None, use_env: bool = True) -> None:
        for url in [explicit] if explicit is not None else []:
            _check(url, "--proxy")
        self._explicit = explicit
        # Read once per sweep; urllib takes the lower- and upper-case forms, lower-case first, as curl does.
        self._table = urllib.request.getproxies_environment() if use_env and explicit is None else {}
        self._for_host = lru_cache(maxsize=4096)(self._lookup)

    def _lookup(self, scheme: str, host: str) -> str | None:
        if self._explicit is not None:
            return self._explicit
        proxy = self._table.get(scheme) or self._table.get("all")
        # NO_PROXY as the standard library reads it (suffixes with or without a leading dot, `*`, host:port);
        # proxy_bypass_environment is public in urllib.request but missing from typeshed's stub.
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if proxy is None or bypass(host, {"no": self._table.get("no", "")}):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def for_url(self, scheme: str, host: str) -> str | None:
        return self._for_host(scheme, host)

    def _urls(self) -> dict[str, str]:
        if self._explicit is not None:
            return {"--proxy": self._explicit}
        return {f"{scheme}_proxy": url for scheme, url in self._table.items() if scheme != "no"}

    def describe(self) -> str:
        """The proxies in use, for a report: where each came from and its scheme only. Proxy hosts, user names,
        passwords and NO_PROXY entries name a person's network and stay out of reports."""
        found = [f"{name} ({_scheme(url)})" for name, url in self._urls().items()]
        if found and self._table.get("no"):
            entries = [e for e in self._table["no"].split(",") if e.strip()]
            found.append(f"no_proxy ({len(entries)} entries)")
        return ", ".join(found) or "none"

    def conceal(self, text: str) -> str:
        """`text` (an error message) with every proxy's host name replaced by `[proxy]`: the host names a person's
        network, and reports leave it out."""
        for url in self._urls().values():
            host = _host(url)
            if host:
                text = text.replace(host, "[proxy]")
        return text

    def secrets(self) -> list[str]:
        """Passwords in proxy URLs, in case a proxy error message quotes one: the redactor must know them."""
        found = []
        for url in self._urls().values():
            password = userinfo(url)[1]
            if password:
                found += [password, unquote(password)]
        return found


def _check(url: str, where: str) -> None:
    """A password holding `#`, `/` or `?` must be percent-encoded, or every URL parser (aiohttp's too) takes part
    of it for the host: refuse it rather than connect somewhere else with half a password."""
    password = userinfo(url)[1]
    if password and any(ch in password for ch in "#/?@"):
        raise ProberError(
            f"{where}: the proxy password holds a character that must be percent-encoded (#, /, ? or @)",
            "write # as %23, / as %2F, ? as %3F and @ as %40 in the proxy URL",
        )


def _host(url: str) -> str:
    """The host of a proxy URL (after any user info, before the port or path)."""
    rest = url.split("://", 1)[1] if "://" in url else url
    rest = rest.rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.split("/", 1)[0].split(":", 1)[0]


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "http"


def userinfo(url: str) -> tuple[str | None, str | None]:
    """The user name and password of a proxy URL, as curl reads them: everything between `://` and the last `@`
    before the host. `urlsplit` stops at the first `#`, `/` or `?`, so a password holding one is never found."""
    rest = url.split("://", 1)[1] if "://" in url else url
    if "@" not in rest:
        return None, None
    info = rest.rsplit("@", 1)[0]
    user, colon, password = info.partition(":")
    return user, (password if colon else None)
