"""Pure: which Alibaba login scheme a cookie jar shows, what each console probe lacks, what each host receives."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from prober.cookies import Cookie, Jar
from prober.model import Auth, Probe
from prober.report.text import cell as text_cell
from prober.report.text import code, prose

# Reference (b) "Cookies and tokens". CodexBar counts a session as authenticated with the ticket and one of
# the account cookies; INTL passport sessions carry the account cookies without the ticket (CodexBar #612).
TICKET = "login_aliyunid_ticket"
ACCOUNT = ("login_aliyunid_pk", "login_current_pk", "login_aliyunid")
PASSPORT = (*ACCOUNT, "aliyunid_third_login_state", "cr_token", "help_csrf", "x5sec", "last_u_intl-aliyun_intl-aliyun")
QWEN_TICKETS = (TICKET, "login_qwencloud_ticket", "qwen_sso_ticket")  # CB QwenCloudCookieImporter.swift
CSRF = ("login_aliyunid_csrf", "csrf")  # its value becomes x-xsrf-token / x-csrf-token
RELEVANT = (
    *QWEN_TICKETS,
    *PASSPORT,
    *CSRF,
    "cna",
    "sec_token",
    "JSESSIONID",
    "atpsida",
    "aliyun_site",
    "aliyun_lang",
)
_QWEN_DOMAIN = "qwencloud.com"
_GATEWAY_PATH = "/data/api.json"


class Scheme(StrEnum):
    CN_TICKET = "cn_ticket"
    INTL_PASSPORT = "intl_passport"
    QWENCLOUD = "qwencloud"
    EXPIRED = "expired"
    NONE = "none"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Scheme.CN_TICKET: "CN ticket session",
    Scheme.INTL_PASSPORT: "INTL passport session",
    Scheme.QWENCLOUD: "QwenCloud session",
    Scheme.EXPIRED: "expired session",
    Scheme.NONE: "no session",
}


@dataclass(frozen=True, slots=True)
class CookieFact:
    """Everything about one cookie except its value."""

    name: str
    domain: str  # `.example.com` for a domain cookie, `example.com` for a host-only one
    path: str
    expires: float | None
    expired: bool
    http_only: bool
    secure: bool

    @property
    def session(self) -> bool:
        return self.expires is None


@dataclass(frozen=True, slots=True)
class DomainCookies:
    domain: str
    cookies: tuple[CookieFact, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    scheme: Scheme
    reason: str


@dataclass(frozen=True, slots=True)
class ProbeCheck:
    """A console probe (auth: cookies): the cookie names it would send and what it lacks."""

    probe_id: str
    url: str
    sends: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HostCookies:
    host: str
    sends: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    kind: str
    total: int
    expired: int
    domains: tuple[DomainCookies, ...]
    verdicts: tuple[Verdict, ...]
    warnings: tuple[str, ...]
    probes: tuple[ProbeCheck, ...]
    hosts: tuple[HostCookies, ...]
    left_out: int = 0  # cookies of the source for other sites or public suffixes, never read further


def relevant(name: str) -> bool:
    return name in RELEVANT or name.startswith("login_")


def _scope(cookie: Cookie) -> str:
    return cookie.domain if cookie.host_only else "." + cookie.domain


def _qwen(cookie: Cookie) -> bool:
    return cookie.domain == _QWEN_DOMAIN or cookie.domain.endswith("." + _QWEN_DOMAIN)


def stamp(epoch: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
    except (OverflowError, OSError, ValueError):
        return f"epoch {epoch:.0f}"  # outside what the C library can represent


def _names(cookies: Sequence[Cookie], wanted: Sequence[str]) -> list[str]:
    present = {c.name for c in cookies}
    return [n for n in wanted if n in present]


def _where(cookies: Sequence[Cookie], name: str) -> str:
    return ", ".join(dict.fromkeys(_scope(c) for c in cookies if c.name == name))


def _schemes(cookies: Sequence[Cookie]) -> list[Verdict]:
    """The login schemes `cookies` show, each with the cookies that show it."""
    alibaba = [c for c in cookies if not _qwen(c)]
    qwen = [c for c in cookies if _qwen(c)]
    found = []
    accounts = _names(alibaba, ACCOUNT)
    if _names(alibaba, (TICKET,)) and accounts:
        found.append(
            Verdict(
                Scheme.CN_TICKET,
                f"{TICKET} ({_where(alibaba, TICKET)}) with {accounts[0]} ({_where(alibaba, accounts[0])})",
            )
        )
    else:
        passport = _names(alibaba, PASSPORT)
        if passport:
            found.append(
                Verdict(
                    Scheme.INTL_PASSPORT,
                    f"passport cookies {', '.join(passport)} without {TICKET}: "
                    "console gateways expecting the CN ticket will redirect to login (CodexBar #612)",
                )
            )
        elif _names(alibaba, (TICKET,)):
            found.append(
                Verdict(Scheme.NONE, f"{TICKET} without any of {', '.join(ACCOUNT)}: not a complete CN session")
            )
    tickets = _names(qwen, QWEN_TICKETS)
    if tickets:
        found.append(Verdict(Scheme.QWENCLOUD, f"{tickets[0]} ({_where(qwen, tickets[0])})"))
    return found


def _verdicts(jar: Jar, now: float) -> list[Verdict]:
    live = [c for c in jar.cookies if not c.expired(now)]
    found = [v for v in _schemes(live) if v.scheme is not Scheme.NONE]
    if found:
        return found
    stale = [v for v in _schemes(jar.cookies) if v.scheme is not Scheme.NONE]
    if stale:
        gone = [c for c in jar.cookies if c.expired(now) and relevant(c.name)]
        latest = max(gone, key=lambda c: c.expires or 0.0)
        return [
            Verdict(
                Scheme.EXPIRED,
                f"the {stale[0].scheme.label} cookies have expired ({latest.name} on {_scope(latest)} "
                f"expired {stamp(latest.expires or 0.0)}): log in again and re-export",
            )
        ]
    incomplete = _schemes(live)
    if incomplete:
        return incomplete
    return [
        Verdict(
            Scheme.NONE, f"no {TICKET}, no passport cookies ({', '.join(PASSPORT[:3])}, ...) and no QwenCloud ticket"
        )
    ]


def _missing(jar: Jar, probe: Probe, sends: Sequence[Cookie], now: float) -> list[str]:
    parts = urlsplit(probe.url)
    host = (parts.hostname or "").lower()
    names = {c.name for c in sends}
    missing = []
    if host == _QWEN_DOMAIN or host.endswith("." + _QWEN_DOMAIN):
        if not names & set(QWEN_TICKETS):
            missing.append(f"none of {', '.join(QWEN_TICKETS)}: QwenCloud will ask for login")
        return missing
    if TICKET not in names:
        held = [c for c in jar.cookies if c.name == TICKET]
        if not held:
            missing.append(f"{TICKET} absent: the CN-style gateway will redirect to login")
        elif all(c.expired(now) for c in held):
            missing.append(f"{TICKET} expired: the CN-style gateway will redirect to login")
        else:
            scopes = ", ".join(dict.fromkeys(_scope(c) for c in held))
            missing.append(f"{TICKET} is scoped to {scopes}, not sent to {host}: the gateway will redirect to login")
    if not names & set(ACCOUNT):
        missing.append(f"none of {', '.join(ACCOUNT)}: no account id for the session")
    if parts.path == _GATEWAY_PATH:
        if not names & set(CSRF):
            missing.append(f"{CSRF[0]} (or {CSRF[1]}) absent: no x-xsrf-token / x-csrf-token header can be sent")
        if "sec_token" not in names:
            missing.append("sec_token cookie absent: the sec_token must come from the dashboard HTML or user info")
    return missing


def diagnose(jar: Jar, probes: Sequence[Probe], now: float) -> Diagnosis:
    """The diagnosis of `jar` at `now` for the catalogue `probes`. Never looks at a cookie's value."""
    grouped: dict[str, list[CookieFact]] = {}
    for c in jar.cookies:
        if relevant(c.name):
            fact = CookieFact(c.name, _scope(c), c.path, c.expires, c.expired(now), c.http_only, c.secure)
            grouped.setdefault(fact.domain, []).append(fact)
    domains = tuple(
        DomainCookies(d, tuple(sorted(fs, key=lambda f: (f.name, f.path)))) for d, fs in sorted(grouped.items())
    )
    expired = sum(1 for c in jar.cookies if c.expired(now))
    warnings = []
    if not jar.cookies:
        warnings.append(
            f"the jar holds no cookies for Alibaba's domains ({jar.left_out:,} for other sites left out): "
            "was it exported from the console's domain?"
            if jar.left_out
            else "the jar holds no cookies"
        )
    elif expired == len(jar.cookies):
        newest = max(c.expires or 0.0 for c in jar.cookies)
        warnings.append(f"every cookie in the jar has expired (the last at {stamp(newest)}): log in and export again")
    elif not grouped:
        warnings.append("the jar holds no Alibaba-relevant cookies: was it exported from the console's domain?")
    checks = []
    hosts: dict[str, dict[str, None]] = {}
    for probe in probes:
        sends = jar.for_url(probe.url, now)
        host = (urlsplit(probe.url).hostname or "").lower()
        hosts.setdefault(host, {}).update(dict.fromkeys(c.name for c in sends))
        if probe.auth is Auth.COOKIES:
            names = tuple(dict.fromkeys(c.name for c in sends))
            checks.append(ProbeCheck(probe.id, probe.url, names, tuple(_missing(jar, probe, sends, now))))
    return Diagnosis(
        kind=jar.kind,
        total=len(jar.cookies),
        expired=expired,
        domains=domains,
        verdicts=tuple(_verdicts(jar, now)),
        warnings=tuple(warnings),
        probes=tuple(checks),
        hosts=tuple(HostCookies(h, tuple(names)) for h, names in hosts.items()),
        left_out=jar.left_out,
    )


def _cell(text: str) -> str:
    """A sentence that may hold names from the jar: inert, and anything unusual in code spans (report.text)."""
    return text_cell(prose(text))


def _name(name: str) -> str:
    """One name from the jar or catalogue (a cookie, path, host or probe id) as an inert code span."""
    return text_cell(code(name))


def _code(names: Sequence[str]) -> str:
    return ", ".join(_name(n) for n in names) or "none"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def markdown(d: Diagnosis) -> str:
    """The diagnosis as Markdown: verdict, cookies by domain, console probes, what each host receives."""
    relevant_count = sum(len(g.cookies) for g in d.domains)
    lines = [
        "## Cookie diagnosis",
        "",
        f"Source: {d.kind}: kept {d.total:,} cookies for Alibaba's domains and any --cookie-domain "
        f"({d.expired:,} expired, {relevant_count:,} Alibaba-relevant), left out {d.left_out:,} for other sites. "
        "Values are never shown.",
        "",
        "### Verdict",
        "",
    ]
    lines += [f"- **{v.scheme.label}**: {_cell(v.reason)}" for v in d.verdicts]
    lines += [f"- **Warning**: {_cell(w)}" for w in d.warnings]
    lines += ["", "### Cookies by domain", ""]
    if not d.domains:
        lines.append("No Alibaba-relevant cookies.")
    for group in d.domains:
        lines += [
            f"#### {_name(group.domain)}",
            "",
            "| Cookie | Path | Expires | Expired | Lifetime | HttpOnly | Secure |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in group.cookies:
            expires = "session" if f.expires is None else stamp(f.expires)
            lifetime = "session" if f.session else "persistent"
            lines.append(
                f"| {_name(f.name)} | {_name(f.path)} | {expires} | {_yes(f.expired)} | {lifetime} "
                f"| {_yes(f.http_only)} | {_yes(f.secure)} |"
            )
        lines.append("")
    lines += ["### Console probes", ""]
    if d.probes:
        lines += ["| Probe | Sends | Missing |", "|---|---|---|"]
        for p in d.probes:
            missing = "; ".join(_cell(m) for m in p.missing) or "nothing"
            lines.append(f"| {_name(p.probe_id)} | {_code(p.sends)} | {missing} |")
    else:
        lines.append("The catalogue has no probe with `auth: cookies`.")
    lines += ["", "### What each host receives (RFC 6265)", ""]
    if d.hosts:
        lines += ["| Host | Cookies |", "|---|---|"]
        lines += [f"| {_name(h.host)} | {_code(h.sends)} |" for h in d.hosts]
    else:
        lines.append("No hosts in the catalogue.")
    return "\n".join(lines) + "\n"
