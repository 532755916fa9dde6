"""One probe: its HTTP exchange hop by hop, timings, bounded body read. Never raises for anything a server does."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from yarl import URL

from prober import capture, quota, ratelimit, vendor
from prober.cookies import Cookie
from prober.cookies import header as cookie_header
from prober.credentials import Credentials
from prober.model import Auth, Hop, Outcome, OutcomeClass, Probe, Timings
from prober.proxies import Proxies
from prober.redact import Redactor

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# At least this much text past the excerpt is scrubbed with it; longer when a known secret needs more.
_SCRUB_MARGIN = 8192


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float = 15.0
    max_redirects: int = 10
    body_limit: int = 256 * 1024
    excerpt_chars: int = 2000
    user_agent: str = "prober"
    proxy: str | None = None
    env_proxies: bool = True  # honour HTTPS_PROXY and friends when no --proxy is given
    allow_insecure: bool = False
    billable: bool = False
    rate: float | None = None  # requests per second over the whole sweep
    host_rate: float | None = None  # requests per second to one host
    max_wait: float = 0.0  # seconds a probe may spend waiting out 429 Retry-After answers; 0: never retry
    max_retries: int = 5


@dataclass(slots=True)
class HopClock:
    """Filled by aiohttp's trace callbacks (see runner.trace_config) for one request."""

    dns_start: float | None = None
    dns_ms: float | None = None
    connect_start: float | None = None
    connect_ms: float | None = None
    peer: str | None = None


class RateGate:
    """Spaces request starts at least 1/rate apart, so no one-second window ever holds more than `rate` starts."""

    def __init__(self, rate: float) -> None:
        # 1% over 1/rate: a window [t, t+1) never holds rate+1 starts, even with timer and network jitter.
        self._spacing = 1.0 / rate * 1.01
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = loop.time() + self._spacing


class Limiter:
    """A global slot and a per-host slot for every request, always taken host first so nothing deadlocks;
    then the global and per-host rate gates, when rates are set."""

    def __init__(
        self, concurrency: int, per_host: int, rate: float | None = None, host_rate: float | None = None
    ) -> None:
        self._global = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._rate = RateGate(rate) if rate else None
        self._host_rate = host_rate
        self._host_gates: dict[str, RateGate] = {}

    @asynccontextmanager
    async def slot(self, origin: str) -> AsyncIterator[None]:
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = asyncio.Semaphore(self._per_host)
        async with host, self._global:
            if self._host_rate:
                gate = self._host_gates.get(origin)
                if gate is None:
                    gate = self._host_gates[origin] = RateGate(self._host_rate)
                await gate.wait()
            if self._rate is not None:
                await self._rate.wait()
            yield


@dataclass(slots=True)
class _Progress:
    """What is known so far; a timeout or reset mid-chain still reports the hops that completed."""

    hops: list[Hop] = field(default_factory=list)
    dns_ms: float = 0.0
    connect_ms: float = 0.0
    saw_dns: bool = False
    saw_connect: bool = False
    first_byte_ms: float | None = None
    remote_addr: str | None = None
    started: float = field(default_factory=time.perf_counter)


def skip_reason(probe: Probe, creds: Credentials, settings: Settings) -> str | None:
    if probe.billable and not settings.billable:
        return "billable probe: pass --billable to send it (the request asks for 1 token)"
    if probe.auth is Auth.KEY and creds.key is None:
        return "no API key: set DASHSCOPE_API_KEY (or use --key-env / --key-file)"
    if probe.auth is Auth.COOKIES and creds.jar is None:
        return "no cookie jar: pass --cookies FILE"
    if probe.auth is not Auth.NONE and URL(probe.url).scheme == "http" and not settings.allow_insecure:
        return "credentials are never sent over plain http: use https or pass --allow-insecure"
    return None


def _origin(url: URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


def _request_headers(
    probe: Probe, url: URL, first: URL, creds: Credentials, settings: Settings, now: float
) -> tuple[dict[str, str], tuple[Cookie, ...], bool]:
    headers = dict(probe.headers)
    # Credentials go only to the origin the catalogue named, never to a redirect target on another origin
    # (CodexBar OneConsoleCookieRouting re-sends cookies only on same-origin redirects; reference (b)).
    same_origin = _origin(url) == _origin(first)
    secure_enough = url.scheme == "https" or settings.allow_insecure
    key_sent = False
    cookies: tuple[Cookie, ...] = ()
    if same_origin and secure_enough:
        if probe.auth is Auth.KEY and creds.key is not None and probe.key_style is not None:
            headers[probe.key_style.header] = probe.key_style.header_value(creds.key.reveal())
            key_sent = True
        elif probe.auth is Auth.COOKIES and creds.jar is not None:
            cookies = creds.jar.for_url(str(url), now)
            if cookies:
                headers["Cookie"] = cookie_header(cookies)
    return headers, cookies, key_sent


def _transport_class(exc: BaseException) -> OutcomeClass:
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return OutcomeClass.DNS_ERROR
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return OutcomeClass.TLS_ERROR
    if isinstance(exc, TimeoutError):
        return OutcomeClass.TIMEOUT
    if isinstance(exc, aiohttp.ClientConnectorError):
        return OutcomeClass.CONNECT_ERROR
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | OSError):
        return OutcomeClass.RESET  # ConnectionError and aiohttp's ClientOSError are OSErrors
    return OutcomeClass.PROTOCOL_ERROR


_TRANSPORT_TEXT = {
    OutcomeClass.DNS_ERROR: "the host name did not resolve",
    OutcomeClass.TLS_ERROR: "the TLS handshake failed (certificate not trusted, expired or for another host)",
    OutcomeClass.TIMEOUT: "no complete answer within the per-probe deadline",
    OutcomeClass.CONNECT_ERROR: "the TCP connection was refused or could not be made",
    OutcomeClass.RESET: "the connection was closed or reset before the answer was complete",
    OutcomeClass.PROTOCOL_ERROR: "the server's answer was not valid HTTP",
}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _read_body(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, int, bool]:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    truncated = size >= limit and not response.content.at_eof()
    return b"".join(chunks), size, truncated


def _decode(data: bytes, response: aiohttp.ClientResponse) -> str:
    charset = response.charset or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Context:
    """What every probe of a sweep shares: the session, credentials, settings, limits, proxies and redactor."""

    session: aiohttp.ClientSession
    creds: Credentials
    settings: Settings
    limiter: Limiter
    redactor: Redactor
    proxies: Proxies


async def run(ctx: Context, probe: Probe) -> tuple[Outcome, dict[str, str]]:
    """Make the probe's request, follow redirects hop by hop, and return its outcome and the values it
    captured. Never raises Exception. The runner has already checked `skip_reason`."""
    settings = ctx.settings
    progress = _Progress()
    values: dict[str, str] = {}
    try:
        outcome = await _exchange(ctx, probe, progress, values)
    except Exception as exc:  # a failing endpoint is data: every probe ends with an outcome
        klass = _transport_class(exc)
        outcome = Outcome(
            probe_id=probe.id,
            klass=klass,
            explanation=_TRANSPORT_TEXT[klass],
            hops=tuple(progress.hops),
            remote_addr=progress.remote_addr,
            timings=_timings(progress),
            error=_describe(exc) if klass is not OutcomeClass.TIMEOUT else f"deadline {settings.timeout:g} s",
        )
    return outcome, values


def _timings(progress: _Progress) -> Timings:
    return Timings(
        total_ms=round((time.perf_counter() - progress.started) * 1000, 1),
        dns_ms=round(progress.dns_ms, 1) if progress.saw_dns else None,
        connect_ms=round(progress.connect_ms, 1) if progress.saw_connect else None,
        first_byte_ms=round(progress.first_byte_ms, 1) if progress.first_byte_ms is not None else None,
    )


def format_peer(peer: Any) -> str | None:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return None


async def _exchange(ctx: Context, probe: Probe, progress: _Progress, values: dict[str, str]) -> Outcome:
    creds, settings, redactor = ctx.creds, ctx.settings, ctx.redactor
    first = URL(probe.url, encoded=False)
    url = first
    method = probe.method
    body = probe.body
    armed = False
    waited = 0.0
    retries = 0
    pause = 0.0
    async with asyncio.timeout(None) as deadline:
        while len(progress.hops) - retries <= settings.max_redirects:
            if pause:
                # Waiting out Retry-After holds no slot: other probes to the host may proceed.
                await asyncio.sleep(pause)
                pause = 0.0
            async with ctx.limiter.slot(_origin(url)):
                if not armed:
                    # The deadline starts when the first request may go out: waiting for a slot behind a
                    # slow host is queueing, not the endpoint's time.
                    armed = True
                    progress.started = time.perf_counter()
                    deadline.reschedule(asyncio.get_running_loop().time() + settings.timeout)
                headers, cookies, key_sent = _request_headers(probe, url, first, creds, settings, time.time())
                if body is not None:
                    headers.setdefault("Content-Type", body.kind.content_type)
                clock = HopClock()
                sent = time.perf_counter()
                try:
                    async with ctx.session.request(
                        method,
                        url,
                        headers=headers,
                        data=body.text.encode() if body is not None else None,
                        allow_redirects=False,
                        proxy=ctx.proxies.for_url(url.scheme, url.host or ""),
                        trace_request_ctx=clock,
                    ) as response:
                        if progress.first_byte_ms is None:
                            progress.first_byte_ms = (time.perf_counter() - sent) * 1000
                        progress.remote_addr = clock.peer or progress.remote_addr
                        location = response.headers.get("Location")
                        hop = Hop(
                            method=method,
                            url=str(url),
                            status=response.status,
                            reason=response.reason or "",
                            location=location,
                            cookies_sent=tuple(c.name for c in cookies),
                            key_sent=key_sent,
                            cookies_set=tuple(sorted(response.cookies.keys())),
                        )
                        wait = _retry_wait(response, settings, waited, retries, deadline)
                        if wait is not None:
                            progress.hops.append(replace(hop, retried_after_s=wait))
                            waited += wait
                            retries += 1
                            pause = wait
                            continue
                        progress.hops.append(hop)
                        if response.status in _REDIRECTS and location:
                            url = url.join(URL(location))
                            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                                # RFC 9110 §15.4: 303 (and, as browsers do, 301/302 after POST) become GET.
                                method = "HEAD" if method == "HEAD" else "GET"
                                body = None
                            continue
                        data, size, truncated = await _read_body(response, settings.body_limit)
                finally:
                    _clock_into(progress, clock)
            text = _decode(data, response)
            if probe.captures:
                jar_cookies = (
                    {c.name: c.value.reveal() for c in creds.jar.for_url(probe.url, time.time())}
                    if (creds.jar is not None and probe.auth is Auth.COOKIES)
                    else {}
                )
                set_cookies = {name: morsel.value for name, morsel in response.cookies.items()}
                values.update(capture.extract(probe.captures, text, response.headers.items(), set_cookies, jar_cookies))
                # Captured values are secrets from the moment they exist: before any excerpt is cut.
                redactor.add(values.values())
            outcome = _answer(probe, response, hop, progress, text, size, truncated, settings, redactor)
            return replace(
                outcome, timings=_timings(progress), remote_addr=progress.remote_addr, captured=tuple(sorted(values))
            )
    last = progress.hops[-1]
    return Outcome(
        probe_id=probe.id,
        klass=OutcomeClass.REDIRECT_LOOP,
        explanation=f"more than {settings.max_redirects} redirects; the chain is in the hops",
        status=last.status,
        reason=last.reason,
        hops=tuple(progress.hops),
        final_url=last.url,
        remote_addr=progress.remote_addr,
        timings=_timings(progress),
    )


def _retry_wait(
    response: aiohttp.ClientResponse, settings: Settings, waited: float, retries: int, deadline: asyncio.Timeout
) -> float | None:
    """How long to wait before retrying a 429, or None to keep the answer (no Retry-After, or too long)."""
    if response.status != 429 or settings.max_wait <= 0 or retries >= settings.max_retries:
        return None
    wait = ratelimit.retry_after(response.headers.get("Retry-After"), time.time())
    if wait is None or waited + wait > settings.max_wait:
        return None
    when = deadline.when()
    if when is not None and asyncio.get_running_loop().time() + wait >= when:
        return None  # the retry could not finish inside the per-probe deadline
    return wait


def _clock_into(progress: _Progress, clock: HopClock) -> None:
    if clock.dns_ms is not None:
        progress.dns_ms += clock.dns_ms
        progress.saw_dns = True
        clock.dns_ms = None
    if clock.connect_ms is not None:
        progress.connect_ms += clock.connect_ms
        progress.saw_connect = True
        clock.connect_ms = None


def _answer(
    probe: Probe,
    response: aiohttp.ClientResponse,
    hop: Hop,
    progress: _Progress,
    text: str,
    size: int,
    truncated: bool,
    settings: Settings,
    redactor: Redactor,
) -> Outcome:
    headers = list(response.headers.items())
    content_type = response.headers.get("Content-Type")
    error = vendor.parse_error(response.status, content_type, text)
    found = quota.parse(text) if response.status < 300 else None
    hops = tuple(progress.hops)
    klass, explanation = vendor.classify(response.status, hops, error, found)
    # Scrub before cutting, over the excerpt plus a margin longer than any encoded secret, so a secret is never
    # cut in half at the edge (and a 256 KiB body costs no more than its excerpt).
    margin = max(_SCRUB_MARGIN, redactor.margin)
    excerpt = redactor.text(text[: settings.excerpt_chars + margin])[: settings.excerpt_chars]
    return Outcome(
        probe_id=probe.id,
        klass=klass,
        explanation=explanation,
        status=response.status,
        reason=hop.reason,
        hops=hops,
        final_url=hop.url,
        rate_limits=ratelimit.select(headers),
        diagnostics=vendor.diagnostics(headers),
        content_type=content_type,
        body_excerpt=excerpt,
        body_bytes=size,
        body_truncated=truncated,
        vendor_error=error,
        quota=found,
    )
