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

from prober import capture, inert, quota, ratelimit, redact, scope, vendor
from prober.cookies import Cookie
from prober.cookies import header as cookie_header
from prober.credentials import Credentials
from prober.model import Auth, Hop, Outcome, OutcomeClass, Pairs, Probe, Quota, Timings, VendorError
from prober.proxies import Proxies
from prober.redact import Redactor, Secret

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
    if probe.auth is Auth.CONSOLE_TOKEN and creds.console_token is None:
        return (
            "no console token: set BAILIAN_CONSOLE_TOKEN (or use --console-token-env / --console-token-file); "
            "`bl auth login --console` makes one"
        )
    if probe.auth is not Auth.NONE and URL(probe.url).scheme == "http" and not settings.allow_insecure:
        return "credentials are never sent over plain http: use https or pass --allow-insecure"
    return None


def _origin(url: URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port}"


@dataclass(frozen=True, slots=True)
class Guard:
    """What a filled probe carries besides its own credential: the scopes of the captured credentials in it
    (registrable domains) and which parts of the request hold them."""

    scopes: frozenset[str] = frozenset()
    carriers: capture.Carriers = field(default_factory=capture.Carriers)

    def refusal(self, url: URL) -> str | None:
        """Why the first request must not be sent with these values, or None. The catalogue check rejects such
        probes already; this holds even for a catalogue that was never checked."""
        if not self.scopes:
            return None
        if url.scheme != "https":  # --allow-insecure is for test servers' keys and cookies, never for these
            return "captured credentials are never sent over plain http: use https"
        host = url.host or ""
        outside = sorted(s for s in self.scopes if not scope.within(host, (s,)))
        if outside:
            return f"withheld: {host} is outside {', '.join(outside)}, where the captured credentials it uses came from"
        return None


@dataclass(frozen=True, slots=True)
class _Request:
    """The headers and body of one hop, and what was sent or withheld of everything credential-derived."""

    headers: dict[str, str]
    body: bytes | None
    cookies: tuple[Cookie, ...]
    key_sent: bool
    sent: tuple[str, ...]
    withheld: tuple[str, ...]


def _request(
    probe: Probe, guard: Guard, url: URL, first: URL, body: bytes | None, creds: Credentials, settings: Settings
) -> _Request:
    """Credentials, and every header or body that carries a captured value, go only to the origin the catalogue
    named and only over https: never to a redirect target on another origin (curl's rule for Authorization, applied
    to all of them; CodexBar re-sends console cookies only on same-origin redirects, docs/vendor.md#cookie-scoping)."""
    headers = dict(probe.headers)
    same_origin = _origin(url) == _origin(first)
    secure_enough = url.scheme == "https" or settings.allow_insecure
    allowed = same_origin and secure_enough
    carried = guard.carriers
    key_sent = False
    cookies: tuple[Cookie, ...] = ()
    withheld: list[str] = []
    sent: list[str] = []
    if probe.auth is Auth.KEY and creds.key is not None and probe.key_style is not None:
        if allowed:
            headers[probe.key_style.header] = probe.key_style.header_value(creds.key.reveal())
            key_sent = True
        else:
            withheld.append(probe.key_style.header)
    elif probe.auth is Auth.CONSOLE_TOKEN and creds.console_token is not None:
        # The token goes only to console gateways, checked here for every hop as well as by `prober check`.
        if allowed and scope.token_host(url.host or ""):
            headers["Authorization"] = f"Bearer {creds.console_token.reveal()}"
            sent.append("Authorization")
        else:
            withheld.append("Authorization")
    elif probe.auth is Auth.COOKIES and creds.jar is not None:
        if allowed:
            cookies = creds.jar.for_url(str(url), time.time())
            if cookies:
                headers["Cookie"] = cookie_header(cookies)
        else:
            withheld.append("Cookie")
    carrier_headers = sorted(k for k in headers if k.lower() in carried.headers)
    if allowed:
        sent += carrier_headers
    else:
        for name in carrier_headers:
            del headers[name]
        withheld += carrier_headers
    if body is not None and carried.body:
        if allowed:
            sent.append("body")
        else:
            body = None
            withheld.append("body")
    return _Request(headers, body, cookies, key_sent, tuple(sent), tuple(withheld))


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


async def run(ctx: Context, probe: Probe, guard: Guard = Guard()) -> tuple[Outcome, dict[str, capture.Value]]:
    """Make the probe's request, follow redirects hop by hop, and return its outcome and the values it
    captured. Never raises Exception. The runner has already checked `skip_reason`; `guard` holds the scopes of
    the captured credentials filled into the probe."""
    settings = ctx.settings
    refused = guard.refusal(URL(probe.url, encoded=False))
    if refused is not None:
        return Outcome(probe_id=probe.id, klass=OutcomeClass.SKIPPED, explanation=refused), {}
    progress = _Progress()
    values: dict[str, capture.Value] = {}
    try:
        outcome = await _exchange(ctx, probe, guard, progress, values)
    except Exception as exc:  # a failing endpoint is data: every probe ends with an outcome
        klass = _transport_class(exc)
        error = _describe(exc) if klass is not OutcomeClass.TIMEOUT else f"deadline {settings.timeout:g} s"
        outcome = Outcome(
            probe_id=probe.id,
            klass=klass,
            explanation=_TRANSPORT_TEXT[klass],
            hops=tuple(progress.hops),
            remote_addr=progress.remote_addr,
            timings=_timings(progress),
            # An exception's text may quote a URL (a captured value in its query) or a proxy's answer.
            error=inert.line(redact.personal(ctx.redactor.message(ctx.proxies.conceal(error)))),
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


class _Keep:
    """Server text as an outcome keeps it: secrets scrubbed, personal fields masked, controls escaped, capped.
    Everything that came from a server, or was built from a captured value, passes through here before it becomes
    part of a Hop or an Outcome; nothing downstream rewrites a finished report."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def line(self, text: str, limit: int = inert.LINE_CAP) -> str:
        # Scrub at most a little more than is kept: a secret's longest encoding fits in the margin.
        return inert.line(redact.personal(self._redactor.text(text[: limit + self._redactor.reach])), limit)

    def optional(self, text: str | None, limit: int = inert.LINE_CAP) -> str | None:
        return None if text is None else self.line(text, limit)

    def block(self, text: str, limit: int) -> str:
        return inert.block(redact.personal(self._redactor.text(text[: limit + self._redactor.reach])), limit)

    def pairs(self, pairs: Pairs) -> Pairs:
        return tuple((self.line(k, inert.NAME_CAP), self.line(v)) for k, v in pairs)

    def vendor(self, error: VendorError | None) -> VendorError | None:
        if error is None:
            return None
        return VendorError(
            shape=error.shape,
            code=self.optional(error.code, inert.NAME_CAP),
            message=self.optional(error.message),
            request_id=self.optional(error.request_id, inert.NAME_CAP),
        )

    def quota(self, found: Quota | None) -> Quota | None:
        if found is None:
            return None
        return replace(
            found, plan=self.optional(found.plan, inert.NAME_CAP), status=self.optional(found.status, inert.NAME_CAP)
        )


async def _exchange(
    ctx: Context, probe: Probe, guard: Guard, progress: _Progress, values: dict[str, capture.Value]
) -> Outcome:
    creds, settings, redactor = ctx.creds, ctx.settings, ctx.redactor
    keep = _Keep(redactor)
    first = URL(probe.url, encoded=False)
    url = first
    method = probe.method
    body = probe.body.text.encode() if probe.body is not None else None
    content_type = probe.body.kind.content_type if probe.body is not None else None
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
                request = _request(probe, guard, url, first, body, creds, settings)
                headers = request.headers
                if request.body is not None and content_type is not None:
                    headers.setdefault("Content-Type", content_type)
                clock = HopClock()
                sent = time.perf_counter()
                try:
                    async with ctx.session.request(
                        method,
                        url,
                        headers=headers,
                        data=request.body,
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
                            url=keep.line(str(url), inert.URL_CAP),
                            status=response.status,
                            reason=keep.line(response.reason or ""),
                            location=keep.optional(location, inert.URL_CAP),
                            cookies_sent=tuple(c.name for c in request.cookies),
                            key_sent=request.key_sent,
                            cookies_set=tuple(sorted({keep.line(n, inert.NAME_CAP) for n in response.cookies})),
                            sent=request.sent,
                            withheld=request.withheld,
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
                values.update(_captured(probe, creds, response, text))
                # Captured credentials are secrets from the moment they exist: before any text is kept.
                redactor.add(v.text for v in values.values() if v.scope is not None)
            outcome = _answer(probe, response, hop, progress, text, size, truncated, settings, keep)
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


def _captured(
    probe: Probe, creds: Credentials, response: aiohttp.ClientResponse, text: str
) -> dict[str, capture.Value]:
    """The values this answer yields for the probe's captures, each scoped to the probe's site when it is a
    credential (see capture.is_credential)."""
    jar_cookies = (
        {c.name: c.value.reveal() for c in creds.jar.for_url(probe.url, time.time())}
        if (creds.jar is not None and probe.auth is Auth.COOKIES)
        else {}
    )
    set_cookies = {name: morsel.value for name, morsel in response.cookies.items()}
    site = scope.registrable(URL(probe.url, encoded=False).host or "")
    found = capture.extract(probe.captures, text, response.headers.items(), set_cookies, jar_cookies)
    return {
        name: capture.Value(Secret(value), site if capture.is_credential(probe, source) else None)
        for name, (value, source) in found.items()
    }


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
    keep: _Keep,
) -> Outcome:
    headers = list(response.headers.items())
    content_type = response.headers.get("Content-Type")
    # The vendor's error and the quota are read from the answer as sent, then kept like all server text: their
    # strings scrubbed and capped before the classifier words an explanation from them.
    error = keep.vendor(vendor.parse_error(response.status, content_type, text))
    found = keep.quota(quota.parse(text) if response.status < 300 else None)
    hops = tuple(progress.hops)
    klass, explanation = vendor.classify(response.status, hops, error, found)
    return Outcome(
        probe_id=probe.id,
        klass=klass,
        explanation=inert.line(explanation, 2 * inert.LINE_CAP),
        status=response.status,
        reason=hop.reason,
        hops=hops,
        final_url=hop.url,
        rate_limits=keep.pairs(ratelimit.select(headers)),
        diagnostics=keep.pairs(vendor.diagnostics(headers)),
        content_type=keep.optional(content_type),
        body_excerpt=keep.block(text, settings.excerpt_chars),
        body_bytes=size,
        body_truncated=truncated,
        vendor_error=error,
        quota=found,
    )
