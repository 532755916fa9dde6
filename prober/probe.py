"""One probe: its HTTP exchange hop by hop, timings, bounded body read. Never raises for anything a server does.

The aiohttp caller: each hop is built by prober.request (credentials scoped), sent here, timed by prober.timing and
answered by the pure policy in prober.exchange (redirects, 429 retries); server text is kept through prober.intake."""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from dataclasses import dataclass, field, replace

import aiohttp
from yarl import URL

from prober import (
    capture,
    exchange,
    expectations,
    inert,
    quota,
    ratelimit,
    recording,
    redact,
    request,
    scope,
    shapes,
    vendor,
)
from prober.credentials import Credentials
from prober.intake import Keep
from prober.limits import Deadlines, Limiter
from prober.model import Auth, Hop, Outcome, OutcomeClass, Probe
from prober.proxies import Proxies
from prober.redact import Redactor, Secret
from prober.request import Guard
from prober.timing import Clocked, HopClock, Stopwatch


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
class _Progress:
    """What is known so far; a timeout or reset mid-chain still reports the hops that completed."""

    hops: list[Hop] = field(default_factory=list)
    watch: Stopwatch = field(default_factory=Stopwatch)


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
    """The body as text; bytes its charset cannot decode are kept as surrogates, which `inert` shows as `\\xNN`."""
    if not data:
        return ""  # no body (many answers): no charset to read from the Content-Type
    charset = response.charset or "utf-8"
    try:
        return data.decode(charset, errors="surrogateescape")
    except LookupError:
        return data.decode("utf-8", errors="surrogateescape")


@dataclass(frozen=True, slots=True)
class Context:
    """What every probe of a sweep shares: the session, credentials, settings, limits, proxies and redactor, and the
    intake that keeps server text through that redactor."""

    session: aiohttp.ClientSession
    creds: Credentials
    settings: Settings
    limiter: Limiter
    redactor: Redactor
    proxies: Proxies
    keep: Keep = field(init=False)
    limits: exchange.Limits = field(init=False)  # the settings the next-request policy reads
    deadlines: Deadlines = field(init=False)  # each probe's `settings.timeout`

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", Keep(self.redactor))
        object.__setattr__(self, "deadlines", Deadlines(self.settings.timeout))
        settings = self.settings
        limits = exchange.Limits(settings.max_redirects, settings.max_wait, settings.max_retries)
        object.__setattr__(self, "limits", limits)


async def run(
    ctx: Context, probe: Probe, guard: Guard = request.NO_CAPTURES, parsed: URL | str | None = None
) -> tuple[Outcome, dict[str, capture.Value]]:
    """Make the probe's request, follow redirects hop by hop, and return its outcome and the values it
    captured. Never raises Exception. The runner has already checked `skip_reason`; `guard` holds the scopes of
    the captured credentials filled into the probe; `parsed` is `request.parse(probe.url)` when the caller has it."""
    settings = ctx.settings
    first = request.parse(probe.url) if parsed is None else parsed  # the URL, or why it is not sent
    if isinstance(first, str):
        return _not_sent(ctx, probe, first), {}
    refused = guard.refusal(first)
    if refused is not None:
        return _not_sent(ctx, probe, refused), {}
    progress = _Progress()
    values: dict[str, capture.Value] = {}
    try:
        outcome = await _exchange(ctx, probe, first, guard, progress, values)
    except Exception as exc:  # a failing endpoint is data: every probe ends with an outcome
        klass = _transport_class(exc)
        error = _describe(exc) if klass is not OutcomeClass.TIMEOUT else f"deadline {settings.timeout:g} s"
        outcome = Outcome(
            probe_id=probe.id,
            klass=klass,
            explanation=_TRANSPORT_TEXT[klass],
            hops=tuple(progress.hops),
            remote_addr=progress.watch.remote_addr,
            timings=progress.watch.timings(),
            # An exception's text may quote a URL (a captured value in its query) or a proxy's answer.
            error=inert.line(redact.personal(ctx.redactor.message(ctx.proxies.conceal(error)))),
        )
    return outcome, values


def _not_sent(ctx: Context, probe: Probe, why: str) -> Outcome:
    # The reason may quote the URL's authority (the parser's message): a credential filled into it, or a key
    # pasted into a catalogue, is scrubbed like every error text.
    return Outcome(probe_id=probe.id, klass=OutcomeClass.SKIPPED, explanation=ctx.redactor.message(why))


async def _exchange(
    ctx: Context, probe: Probe, first: URL, guard: Guard, progress: _Progress, values: dict[str, capture.Value]
) -> Outcome:
    settings = ctx.settings
    keep = ctx.keep
    attempt = exchange.Attempt(probe.method, first, probe.body.text.encode() if probe.body is not None else None)
    limits = ctx.limits
    loop = asyncio.get_running_loop()
    wait = 0.0
    async with ctx.deadlines.deadline() as deadline:
        while True:
            if wait:
                # Waiting out Retry-After holds no slot: other probes to the host may proceed.
                await asyncio.sleep(wait)
            async with ctx.limiter.slot(request.origin(attempt.url)):
                if not progress.hops:
                    # The deadline starts when the first request may go out: waiting for a slot behind a
                    # slow host is queueing, not the endpoint's time.
                    progress.watch.start()
                    deadline.start(loop)
                response, hop = await _send(ctx, probe, guard, first, attempt, keep, progress.watch)
                async with response:
                    answer = exchange.Answer(
                        response.status, response.headers.get("Location"), response.headers.get("Retry-After")
                    )
                    step = exchange.after(attempt, answer, limits, time.time(), deadline.left(loop))
                    retried = step.action is exchange.Action.RETRY
                    progress.hops.append(replace(hop, retried_after_s=step.wait) if retried else hop)
                    if step.action is exchange.Action.READ:
                        data, size, truncated = await _read_body(response, settings.body_limit)
            if step.action is exchange.Action.READ:
                break
            if step.action is exchange.Action.TOO_MANY:
                return _redirect_loop(probe, progress, settings)
            attempt, wait = step.attempt, step.wait
    text = _decode(data, response)
    if probe.captures:
        values.update(_captured(probe, ctx.creds, response, text))
        # Captured credentials are secrets from the moment they exist: before any text is kept.
        ctx.redactor.add(v.text for v in values.values() if v.scope is not None)
    return _answer(probe, response, hop, progress, text, size, truncated, settings, keep, tuple(sorted(values)))


async def _send(
    ctx: Context,
    probe: Probe,
    guard: Guard,
    first: URL,
    attempt: exchange.Attempt,
    keep: Keep,
    stopwatch: Stopwatch,
) -> tuple[aiohttp.ClientResponse, Hop]:
    """Send one hop of `attempt`: its answer, open for the body (the caller closes it), and its Hop with the server
    text kept. The hop's DNS and connect times go into `stopwatch` whatever happens."""
    url = attempt.url
    built = request.build(probe, guard, url, first, attempt.body, ctx.creds, ctx.settings.allow_insecure)
    headers = built.headers
    if built.body is not None and probe.body is not None:
        headers.setdefault("Content-Type", probe.body.kind.content_type)
    clock = HopClock()
    sent = time.perf_counter()
    with Clocked(clock):
        try:
            response = await ctx.session.request(
                attempt.method,
                url,
                headers=headers,
                data=built.body,
                allow_redirects=False,
                proxy=ctx.proxies.for_url(url.scheme, url.host or ""),
            )
        finally:
            stopwatch.add(clock)
    try:
        stopwatch.answered(sent, clock)
        hop = Hop(
            method=attempt.method,
            url=keep.line(str(url), inert.URL_CAP),
            status=response.status,
            reason=keep.line(response.reason or ""),
            location=keep.optional(response.headers.get("Location"), inert.URL_CAP),
            cookies_sent=tuple([c.name for c in built.cookies]) if built.cookies else (),
            key_sent=built.key_sent,
            cookies_set=_set_cookie_names(response, keep),
            sent=built.sent,
            withheld=built.withheld,
            # Issue 15: every header but the hop-by-hop ones, cookie values left out, then kept like all server
            # text (scrubbed, inert, capped): what `prober replica --from` serves again.
            headers=keep.pairs(recording.kept_headers(response.headers.items())),
        )
    except BaseException:
        response.release()
        raise
    return response, hop


@functools.lru_cache(maxsize=1024)
def _explained(explanation: str) -> str:
    """The classifier's explanation made inert (it quotes kept server text): most answers share one of a few."""
    return inert.line(explanation, 2 * inert.LINE_CAP)


def _set_cookie_names(response: aiohttp.ClientResponse, keep: Keep) -> tuple[str, ...]:
    """The names of the cookies the answer sets, kept like all server text, sorted; most answers set none (and
    aiohttp builds its cookie object on first use)."""
    if "Set-Cookie" not in response.headers:
        return ()
    return tuple(sorted({keep.line(name, inert.NAME_CAP) for name in response.cookies}))


def _redirect_loop(probe: Probe, progress: _Progress, settings: Settings) -> Outcome:
    last = progress.hops[-1]
    return Outcome(
        probe_id=probe.id,
        klass=OutcomeClass.REDIRECT_LOOP,
        explanation=f"more than {settings.max_redirects} redirects; the chain is in the hops",
        status=last.status,
        reason=last.reason,
        hops=tuple(progress.hops),
        final_url=last.url,
        remote_addr=progress.watch.remote_addr,
        timings=progress.watch.timings(),
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


def _answer(
    probe: Probe,
    response: aiohttp.ClientResponse,
    hop: Hop,
    progress: _Progress,
    text: str,
    size: int,
    truncated: bool,
    settings: Settings,
    keep: Keep,
    captured: tuple[str, ...],
) -> Outcome:
    headers = list(response.headers.items())
    content_type = response.headers.get("Content-Type")
    # The vendor's error and the quota are read from the answer as sent, then kept like all server text: their
    # strings scrubbed and capped before the classifier words an explanation from them.
    error = keep.vendor(shapes.parse_error(response.status, content_type, text))
    found = keep.quota(quota.parse(text) if response.status < 300 else None)
    hops = tuple(progress.hops)
    klass, explanation = vendor.classify(response.status, hops, error, found)
    return Outcome(
        probe_id=probe.id,
        klass=klass,
        explanation=_explained(explanation),
        status=response.status,
        reason=hop.reason,
        hops=hops,
        final_url=hop.url,
        rate_limits=keep.pairs(ratelimit.HEADERS.pick(headers)),
        diagnostics=keep.pairs(shapes.DIAGNOSTIC_HEADERS.pick(headers)),
        content_type=keep.optional(content_type),
        body_excerpt=keep.block(text, settings.excerpt_chars),
        body_bytes=size,
        body_truncated=truncated,
        vendor_error=error,
        quota=found,
        # Issue 12: the headers `expect.headers` names, kept like the rate-limit ones (scrubbed, inert, capped;
        # credential headers by name only), so prober/expectations.py checks them as the report shows them.
        checked_headers=keep.pairs(expectations.named_headers(probe.expect, headers)),
        captured=captured,
        remote_addr=progress.watch.remote_addr,
        timings=progress.watch.timings(),
    )
