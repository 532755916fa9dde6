"""Pure: where credentials may go. The key goes only to hosts the catalogue declares, inside Alibaba's domains
unless the user allows another host explicitly (`--allow-key-host`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from prober.model import Auth, Probe

# Alibaba's own domains (reference A5, A7): DashScope and MaaS hosts, both consoles, QwenCloud.
KEY_DOMAINS = ("aliyuncs.com", "alibabacloud.com", "aliyun.com", "qwencloud.com")

# Cookie jars and browser profiles are read for these domains only (issue 9): the consoles, their passports and
# QwenCloud all live under the key's domains. `--cookie-domain` and `--allow-key-host` add more.
COOKIE_DOMAINS = KEY_DOMAINS


@cache
def _suffixes() -> PublicSuffixList:
    # The list ships inside the package (public_suffix_list.dat, https://publicsuffix.org): nothing is fetched.
    # Read as written (Unicode), without a punycode copy of every rule: making that copy took 50 ms of every run,
    # so the few `xn--` names are decoded for the lookup instead (see _listed_form).
    return PublicSuffixList(accept_encoded_idn=False)


def _listed_form(name: str) -> str:
    """`name` as the list writes it: punycode labels (`xn--...`, as URLs and jars carry them) decoded to Unicode.
    Decoding keeps the number of labels; a label that does not decode stays as it is (an unlisted name)."""
    if "xn--" not in name:
        return name
    labels = []
    for label in name.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def _canonical(host: str) -> str:
    return host.strip().lower().strip(".")


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 address (brackets allowed), which no domain rule applies to."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def public_suffix(domain: str, listed_only: bool = False) -> bool:
    """True when `domain` is a public suffix (`com`, `co.uk`, `github.io`): a name anyone can register under.

    A top-level name the list does not know (`test`, `localhost`) counts too, by the list's implicit `*` rule, as
    browsers apply it; `listed_only` counts only names the list itself holds. An IP address is never one.
    """
    name = _canonical(domain)
    if not name or is_ip(name):
        return False
    return _suffixes().is_public(_listed_form(name), accept_unknown=not listed_only)


def registrable(host: str) -> str:
    """A host's registrable domain, eTLD+1: `dashscope.aliyuncs.com` -> `aliyuncs.com`, `a.b.co.uk` -> `b.co.uk`.

    Lower-case, without a trailing dot. IP addresses, single-label hosts (`localhost`) and hosts that are themselves
    a public suffix (`github.io`) return themselves.
    """
    name = _canonical(host)
    if is_ip(name) or "." not in name:
        return name
    found = _suffixes().privatesuffix(_listed_form(name))
    if found is None:
        return name
    return ".".join(name.split(".")[-(found.count(".") + 1) :])  # as many labels, in the host's own form


def within(host: str, domains: Iterable[str]) -> bool:
    """`host` is one of `domains` or a name under one. Under a public suffix or an IP address counts only exactly,
    so `--allow-key-host com` or `--cookie-domain co.uk` never opens a whole suffix."""
    name = _canonical(host)
    for given in domains:
        domain = _canonical(given)
        if name == domain:
            return True
        if (
            domain
            and name.endswith("." + domain)
            and not is_ip(domain)
            and (domain in KEY_DOMAINS or not public_suffix(domain))
        ):
            return True
    return False


def cookie_domains(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The domains a jar keeps cookies for: Alibaba's and `extra` (from `--cookie-domain`, `--allow-key-host`)."""
    added = (_canonical(d) for d in extra)
    return tuple(dict.fromkeys((*COOKIE_DOMAINS, *(d for d in added if d))))


def _inside(host: str, domains: Iterable[str]) -> bool:
    return within(host, domains)


# The console gateways a console access token may go to (docs/vendor.md#gateway-hosts): the `-cs`
# gateways under each console domain and the INTL ones directly under alibabacloud.com (with the `pre-` staging
# prefix), never DashScope, inference or passport hosts.
TOKEN_HOSTS = ("*.console.aliyun.com", "*.console.alibabacloud.com", "*-cs.alibabacloud.com")


def token_host(host: str) -> bool:
    """True when a console access token may be sent to `host` (one of TOKEN_HOSTS, one label deep)."""
    name = _canonical(host)
    first, _, rest = name.partition(".")
    if not first:
        return False
    if rest in ("console.aliyun.com", "console.alibabacloud.com"):
        return True
    return rest == "alibabacloud.com" and first.endswith("-cs")


def findings(
    probes: Sequence[Probe], allowed: Iterable[str] = (), allow_insecure: bool = True
) -> tuple[tuple[str, str], ...]:
    """(probe id, what is wrong) for each probe that would send the key outside the allowed domains, the console
    token to a host that is not a console gateway, or (unless `allow_insecure`) any credential over plain http.
    The catalogue check locates each at its probe's line."""
    domains = (*KEY_DOMAINS, *(a.lower().strip(".") for a in allowed))
    found = []
    for probe in probes:
        parts = urlsplit(probe.url)
        host = parts.hostname or ""
        if probe.auth is Auth.KEY and not _inside(host, domains):
            found.append(
                (
                    probe.id,
                    f"would send the API key to {host}, outside {', '.join(KEY_DOMAINS)}; "
                    f"pass --allow-key-host {host} if you mean it",
                )
            )
        if probe.auth is Auth.CONSOLE_TOKEN and not token_host(host):
            found.append(
                (
                    probe.id,
                    f"would send the console token to {host}, which is not a console gateway "
                    f"({', '.join(TOKEN_HOSTS)}); use auth: key or cookies for other hosts",
                )
            )
        if probe.auth is not Auth.NONE and parts.scheme == "http" and not allow_insecure:
            # The runner would skip it; saying so before anything is sent beats a silent skip (issue 12).
            found.append(
                (
                    probe.id,
                    f"would send {_CREDENTIAL[probe.auth]} over plain http; use https, "
                    "or pass --allow-insecure for a local test server",
                )
            )
    return tuple(found)


_CREDENTIAL = {Auth.KEY: "the API key", Auth.CONSOLE_TOKEN: "the console token", Auth.COOKIES: "cookies"}
