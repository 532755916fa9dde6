"""Pure: where credentials may go. The key goes only to hosts the catalogue declares, inside Alibaba's domains
unless the user allows another host explicitly (`--allow-key-host`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from prober.model import Auth, Probe

# Alibaba's own domains (reference A5, A7): DashScope and MaaS hosts, both consoles, QwenCloud.
KEY_DOMAINS = ("aliyuncs.com", "alibabacloud.com", "aliyun.com", "qwencloud.com")


def _inside(host: str, domains: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def problems(probes: Sequence[Probe], allowed: Iterable[str] = (), name: str = "catalogue") -> tuple[str, ...]:
    """One message per probe that would send the key outside the allowed domains."""
    domains = (*KEY_DOMAINS, *(a.lower().strip(".") for a in allowed))
    found = []
    for probe in probes:
        host = urlsplit(probe.url).hostname or ""
        if probe.auth is Auth.KEY and not _inside(host, domains):
            found.append(
                f"{name}: probe '{probe.id}': would send the API key to {host}, outside {', '.join(KEY_DOMAINS)}; "
                f"pass --allow-key-host {host} if you mean it"
            )
    return tuple(found)
