"""The runner against real local TLS servers: credentials, redirects, limits, and every transport failure."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from prober import routing
from prober.cookies import Cookie, Jar
from prober.credentials import Credentials
from prober.model import Auth, KeyStyle, Outcome, OutcomeClass, Probe, Tags
from prober.probe import Settings
from prober.redact import Redactor, Secret
from prober.request import origin, parse
from prober.runner import ConnectToResolver, Feed, Options, run
from tests.conftest import CANARY_COOKIE, CANARY_KEY, Server


def _probe(url: str, auth: Auth = Auth.NONE, style: KeyStyle | None = None, pid: str = "p") -> Probe:
    return Probe(
        id=pid,
        description="d",
        method="GET",
        url=url,
        auth=auth,
        key_style=style or (KeyStyle.BEARER if auth is Auth.KEY else None),
        tags=Tags(region="intl", surface="api"),
        source="test",
    )


def _jar() -> Jar:
    def c(
        name: str,
        domain: str,
        path: str = "/",
        secure: bool = True,
        host_only: bool = False,
        expires: float | None = None,
    ) -> Cookie:
        return Cookie(
            name=name,
            value=Secret(f"{CANARY_COOKIE}-{name}"),
            domain=domain,
            host_only=host_only,
            path=path,
            secure=secure,
            expires=expires,
        )

    return Jar(
        kind="test",
        cookies=(
            c("session", "example.test"),
            c("console_only", "console.example.test", host_only=True),
            c("api_path", "example.test", path="/api"),
            c("expired", "example.test", expires=1.0),
        ),
    )


def _creds() -> Credentials:
    return Credentials(key=Secret(CANARY_KEY), key_source="test", jar=_jar())


def _run(server: Server, probes: list[Probe], **kw: Any) -> tuple[Outcome, ...]:
    settings = kw.pop("settings", Settings())
    creds = kw.pop("creds", _creds())
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path, settings=settings, **kw)
    return asyncio.run(run(probes, creds, options, Redactor(creds.secrets())))


def _ok(text: str = "{}", status: int = 200, **headers: str) -> Callable[[web.Request], Any]:
    async def handler(_r: web.Request) -> web.Response:
        return web.Response(status=status, text=text, headers=headers, content_type="application/json")

    return handler


def test_key_goes_in_the_header_style_the_probe_names(serve: Callable[..., Server]) -> None:
    server = serve({"api.example.test/v1": _ok()})
    probes = [_probe("https://api.example.test/v1", Auth.KEY, s, pid=s.value) for s in KeyStyle]
    outcomes = _run(server, probes)
    assert [o.klass for o in outcomes] == [OutcomeClass.OK] * 3
    got = [r["headers"] for r in server.seen.requests]
    assert {h.get("Authorization") for h in got} >= {f"Bearer {CANARY_KEY}"}
    assert any(h.get("x-api-key") == CANARY_KEY for h in got)
    assert any(h.get("X-DashScope-API-Key") == CANARY_KEY for h in got)
    assert all("Cookie" not in h for h in got)


def test_cookies_follow_rfc6265_domain_path_secure_and_expiry(serve: Callable[..., Server]) -> None:
    server = serve({"console.example.test/data/api.json": _ok(), "api.example.test/api/x": _ok()})
    outcomes = _run(
        server,
        [
            _probe("https://console.example.test/data/api.json", Auth.COOKIES, pid="console"),
            _probe("https://api.example.test/api/x", Auth.COOKIES, pid="api"),
        ],
    )
    assert outcomes[0].hops[0].cookies_sent == ("session", "console_only")
    assert outcomes[1].hops[0].cookies_sent == ("api_path", "session")  # longest path first (RFC 6265 §5.4)
    sent = server.seen.for_host("console.example.test")[0]["headers"]["Cookie"]
    assert "expired" not in sent and "api_path" not in sent


def test_redirect_to_another_host_carries_neither_key_nor_cookies(serve: Callable[..., Server]) -> None:
    async def bounce(_r: web.Request) -> web.Response:
        raise web.HTTPFound("https://login.example.test/login?from=console")

    server = serve({"console.example.test/start": bounce, "login.example.test/login": _ok("<html>login</html>")})
    key_probe = _probe("https://console.example.test/start", Auth.KEY, pid="key")
    cookie_probe = _probe("https://console.example.test/start", Auth.COOKIES, pid="cookies")
    outcomes = _run(server, [key_probe, cookie_probe])
    for o in outcomes:
        assert [h.status for h in o.hops] == [302, 200]
        assert o.hops[1].url == "https://login.example.test/login?from=console"
        assert o.hops[1].key_sent is False and o.hops[1].cookies_sent == ()
    assert outcomes[0].hops[0].key_sent is True
    assert outcomes[1].hops[0].cookies_sent == ("session", "console_only")
    # Proven at the receiving server, not only in our own record.
    for request in server.seen.for_host("login.example.test"):
        assert "Cookie" not in request["headers"]
        assert "Authorization" not in request["headers"]
        assert CANARY_KEY not in str(request) and CANARY_COOKIE not in str(request)


def test_post_redirect_with_303_becomes_get_without_body(serve: Callable[..., Server]) -> None:
    async def see_other(_r: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/done")

    server = serve({"api.example.test/submit": see_other, "api.example.test/done": _ok()})
    from prober.model import Body, BodyKind

    p = Probe(
        id="post",
        description="d",
        method="POST",
        url="https://api.example.test/submit",
        body=Body(BodyKind.JSON, '{"a":1}'),
        tags=Tags("intl", "api"),
        source="t",
    )
    (outcome,) = _run(server, [p])
    assert [(h.method, h.status) for h in outcome.hops] == [("POST", 303), ("GET", 200)]
    assert server.seen.requests[1]["body"] == ""


def test_redirect_loop_ends_with_its_class(serve: Callable[..., Server]) -> None:
    async def loop(_r: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    server = serve({"api.example.test/loop": loop})
    (outcome,) = _run(server, [_probe("https://api.example.test/loop")], settings=Settings(max_redirects=3))
    assert outcome.klass is OutcomeClass.REDIRECT_LOOP
    assert len(outcome.hops) == 4


def test_slow_server_times_out_within_the_deadline(serve: Callable[..., Server]) -> None:
    async def slow(_r: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.Response(text="late")

    server = serve({"api.example.test/slow": slow, "api.example.test/fast": _ok()})
    started = time.monotonic()
    outcomes = _run(
        server,
        [
            _probe("https://api.example.test/slow", pid="slow"),
            _probe("https://api.example.test/fast", pid="fast"),
        ],
        settings=Settings(timeout=0.5),
    )
    assert time.monotonic() - started < 3
    assert [o.klass for o in outcomes] == [OutcomeClass.TIMEOUT, OutcomeClass.OK]


def test_refused_connection_is_connect_error(serve: Callable[..., Server]) -> None:
    server = serve({})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    options = Options(connect_to=(routing.parse(f"::127.0.0.1:{closed_port}"),), cacert=server.ca_path)
    (outcome,) = asyncio.run(run([_probe("https://api.example.test/")], Credentials(), options, Redactor()))
    assert outcome.klass is OutcomeClass.CONNECT_ERROR
    assert outcome.error


def test_certificate_for_another_host_is_tls_error(serve: Callable[..., Server]) -> None:
    server = serve({})
    (outcome,) = _run(server, [_probe("https://not-in-cert.example.test/")])
    assert outcome.klass is OutcomeClass.TLS_ERROR


def test_untrusted_ca_is_tls_error(serve: Callable[..., Server], tmp_path: Any) -> None:
    import trustme

    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    server = serve({"api.example.test/": _ok()})
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=other)
    (outcome,) = asyncio.run(run([_probe("https://api.example.test/")], Credentials(), options, Redactor()))
    assert outcome.klass is OutcomeClass.TLS_ERROR


class _LoopbackOnly(AbstractResolver):
    """A resolver that knows only numeric loopback addresses, so DNS failure is tested without any DNS traffic."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != "127.0.0.1":
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=host,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def test_unresolvable_host_is_dns_error(serve: Callable[..., Server]) -> None:
    server = serve({})
    options = Options(
        connect_to=(routing.parse(f"api.example.test::127.0.0.1:{server.port}"),),
        cacert=server.ca_path,
        resolver=_LoopbackOnly(),
    )
    outcomes = asyncio.run(
        run(
            [_probe("https://nowhere.example.test/", pid="a"), _probe("https://api.example.test/", pid="b")],
            Credentials(),
            options,
            Redactor(),
        )
    )
    assert outcomes[0].klass is OutcomeClass.DNS_ERROR
    assert outcomes[1].klass is OutcomeClass.NOT_FOUND  # the mapped host still answers (404: no route)


class _Refusing(AbstractResolver):
    """Counts lookups and answers none: a lookup that reaches it is a DNS failure."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    ("rule", "family", "address", "answer_family"),
    [
        ("api.example.test::127.0.0.1:8443", socket.AF_INET, "127.0.0.1", socket.AF_INET),
        ("api.example.test::127.0.0.1:8443", socket.AF_UNSPEC, "127.0.0.1", socket.AF_INET),
        ("api.example.test::[::1]:8443", socket.AF_UNSPEC, "::1", socket.AF_INET6),
    ],
)
def test_a_connect_to_address_is_its_own_answer_without_a_lookup(
    rule: str, family: socket.AddressFamily, address: str, answer_family: socket.AddressFamily
) -> None:
    inner = _Refusing()
    resolver = ConnectToResolver((routing.parse(rule),), inner)
    (found,) = asyncio.run(resolver.resolve("api.example.test", 443, family))
    assert inner.asked == []  # no getaddrinfo, so no resolver thread, for an address
    assert (found["hostname"], found["host"], found["port"], found["family"]) == (
        "api.example.test",
        address,
        8443,
        answer_family,
    )


def test_a_connect_to_name_or_an_address_of_another_family_is_still_looked_up() -> None:
    inner = _Refusing()
    by_name = ConnectToResolver((routing.parse("api.example.test::backend.example.test:8443"),), inner)
    with pytest.raises(OSError):
        asyncio.run(by_name.resolve("api.example.test", 443, socket.AF_INET))
    by_address = ConnectToResolver((routing.parse("api.example.test::[::1]:8443"),), inner)
    with pytest.raises(OSError):  # an IPv6 address where only IPv4 will do: getaddrinfo's refusal, as before
        asyncio.run(by_address.resolve("api.example.test", 443, socket.AF_INET))
    assert inner.asked == ["backend.example.test", "::1"]


def test_reset_mid_body_is_reset(serve: Callable[..., Server]) -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100000"})
        await response.prepare(request)
        await response.write(b"x" * 1000)
        assert request.transport is not None
        request.transport.abort()
        return response

    server = serve({"api.example.test/cut": cut})
    (outcome,) = _run(server, [_probe("https://api.example.test/cut")])
    assert outcome.klass is OutcomeClass.RESET


def test_body_read_is_capped(serve: Callable[..., Server]) -> None:
    server = serve({"api.example.test/big": _ok("y" * 1_000_000)})
    (outcome,) = _run(server, [_probe("https://api.example.test/big")], settings=Settings(body_limit=4096))
    assert outcome.body_truncated is True
    assert outcome.body_bytes == 4096
    assert len(outcome.body_excerpt) <= 2000


def test_missing_credentials_and_billable_probes_are_skipped_with_reason(
    serve: Callable[..., Server],
) -> None:
    server = serve({})
    billable = Probe(
        id="bill",
        description="d",
        method="GET",
        url="https://api.example.test/",
        tags=Tags("intl", "inference", "billable"),
        source="t",
    )
    outcomes = _run(
        server,
        [
            _probe("https://api.example.test/", Auth.KEY, pid="k"),
            _probe("https://api.example.test/", Auth.COOKIES, pid="c"),
            billable,
        ],
        creds=Credentials(),
    )
    assert [o.klass for o in outcomes] == [OutcomeClass.SKIPPED] * 3
    assert "no API key" in outcomes[0].explanation
    assert "--cookies" in outcomes[1].explanation
    assert "--billable" in outcomes[2].explanation
    assert server.seen.requests == []


def test_per_host_limit_bounds_requests_in_flight(serve: Callable[..., Server]) -> None:
    in_flight = 0
    peak = 0

    async def counted(_r: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return web.Response(text="{}")

    server = serve({"api.example.test/c": counted})
    probes = [_probe("https://api.example.test/c", pid=f"p{n}") for n in range(12)]
    outcomes = _run(server, probes, per_host=3)
    assert all(o.klass is OutcomeClass.OK for o in outcomes)
    assert peak == 3


def test_timings_and_remote_address_are_recorded(serve: Callable[..., Server]) -> None:
    server = serve({"api.example.test/t": _ok()})
    probes = [_probe("https://api.example.test/t", pid="first"), _probe("https://api.example.test/t?2", pid="second")]
    first, second = _run(server, probes, concurrency=1, per_host=1)
    assert first.timings is not None and second.timings is not None
    assert first.timings.total_ms > 0
    assert first.timings.dns_ms is not None  # the name was resolved (through --connect-to) for the first request
    assert first.timings.connect_ms is not None and first.timings.first_byte_ms is not None
    # The second request reuses the pooled connection and the cached name: no DNS or connect time of its own.
    assert second.timings.dns_ms is None and second.timings.connect_ms is None
    assert second.timings.first_byte_ms is not None
    assert first.remote_addr == second.remote_addr == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize("header", ["x-ratelimit-remaining-requests", "retry-after"])
def test_rate_limit_headers_are_recorded(serve: Callable[..., Server], header: str) -> None:
    server = serve({"api.example.test/r": _ok(**{header: "17"})})
    (outcome,) = _run(server, [_probe("https://api.example.test/r")])
    assert (header, "17") in outcome.rate_limits


# --- the feed: which probe a free worker takes next (pure bookkeeping, no I/O) ------------------------------------


class _Slots:
    """The Limiter's side of the feed, by hand: requests in flight per origin, `per_host` at most."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.busy: dict[str, int] = {}

    def room(self, origin: str) -> bool:
        return self.busy.get(origin, 0) < self.per_host

    def start(self, taken: tuple[Probe, URL | str] | None) -> Probe:
        assert taken is not None
        p, first = taken
        assert first == parse(p.url)  # handed over as the probe would read it, not parsed again
        host = origin(URL(p.url))
        assert self.room(host)  # the feed handed out a probe whose host had no room
        self.busy[host] = self.busy.get(host, 0) + 1
        return p

    def end(self, feed: Feed, p: Probe) -> None:
        self.busy[origin(URL(p.url))] -= 1
        feed.done(p)


def _fed(*specs: tuple[str, str, tuple[str, ...]], per_host: int = 2) -> tuple[Feed, _Slots, dict[str, Probe]]:
    probes = {pid: replace(_probe(url, pid=pid), needs=needs) for pid, url, needs in specs}
    slots = _Slots(per_host)
    return Feed(list(probes.values()), slots.room), slots, probes


def test_feed_takes_hosts_in_turn_and_serves_others_while_one_is_full() -> None:
    feed, slots, probes = _fed(
        ("a1", "https://a.test/1", ()),
        ("a2", "https://a.test/2", ()),
        ("a3", "https://a.test/3", ()),
        ("b1", "https://b.test/1", ()),
    )
    taken = [slots.start(feed.take()) for _ in range(3)]
    assert [p.id for p in taken] == ["a1", "b1", "a2"]  # each host's first probe, then the seconds
    assert feed.take() is None  # a.test is full at 2 and b.test has nothing left
    slots.end(feed, probes["a1"])
    assert slots.start(feed.take()).id == "a3"
    for pid in ("a2", "b1", "a3"):
        slots.end(feed, probes[pid])
    assert feed.left == 0 and feed.take() is None


def test_feed_starts_the_head_of_the_longest_chain_first() -> None:
    feed, slots, _ = _fed(
        ("plain", "https://a.test/plain", ()),
        ("dashboard", "https://a.test/dashboard", ()),
        ("token", "https://a.test/token", ("dashboard",)),
        ("usage", "https://b.test/usage", ("token",)),
        per_host=1,
    )
    order = []
    while feed.left:
        p = slots.start(feed.take())
        order.append(p.id)
        slots.end(feed, p)
    assert order == ["dashboard", "token", "plain", "usage"]  # the chain first, then catalogue order


def test_feed_releases_a_dependant_only_when_all_its_needs_have_ended() -> None:
    feed, slots, probes = _fed(
        ("login", "https://a.test/login", ()),
        ("token", "https://b.test/token", ()),
        ("usage", "https://a.test/usage", ("login", "token", "not-selected")),
    )
    assert [slots.start(feed.take()).id, slots.start(feed.take()).id] == ["login", "token"]
    assert feed.take() is None
    slots.end(feed, probes["login"])
    assert feed.take() is None  # token has not ended; a need outside the run is not waited for
    slots.end(feed, probes["token"])
    assert slots.start(feed.take()).id == "usage"


def test_feed_takes_in_catalogue_order_when_a_dependant_becomes_ready_late() -> None:
    feed, slots, _ = _fed(
        ("first", "https://a.test/1", ()),
        ("needs-first", "https://a.test/2", ("first",)),
        ("third", "https://a.test/3", ()),
        ("fourth", "https://a.test/4", ()),
        per_host=1,
    )
    order = []
    while feed.left:
        p = slots.start(feed.take())  # per_host 1: one in flight, so one is always ready when it ends
        order.append(p.id)
        slots.end(feed, p)
    assert order == ["first", "needs-first", "third", "fourth"]


def test_a_host_is_free_for_the_next_probe_while_a_redirected_one_is_elsewhere(serve: Callable[..., Server]) -> None:
    """The per-host limit counts requests, not probes: a probe that left a host for a login page on another host
    no longer holds a slot there (P1: redirects to login must not halve a console host's throughput)."""
    in_flight = 0
    peak = 0
    starts: list[float] = []

    async def redirect(_r: web.Request) -> web.Response:
        starts.append(time.monotonic())
        raise web.HTTPFound("https://login.example.test/slow")

    async def slow(_r: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.3)
        in_flight -= 1
        return web.Response(text="{}")

    server = serve({"api.example.test/r": redirect, "login.example.test/slow": slow})
    probes = [_probe(f"https://api.example.test/r?{n}", pid=f"p{n}") for n in range(4)]
    outcomes = _run(server, probes, per_host=1, concurrency=8)
    assert [len(o.hops) for o in outcomes] == [2] * 4
    assert peak == 1  # login.example.test's own limit held ...
    # ... while api.example.test sent every probe on at once: each first hop started before the previous probe ended
    assert len(starts) == 4 and max(starts) - min(starts) < 0.3


def test_a_sweep_of_many_probes_keeps_only_the_workers_tasks(serve: Callable[..., Server]) -> None:
    """P4: a fixed pool of workers, not a parked task per probe (counted, not timed)."""

    async def handler(_r: web.Request) -> web.Response:
        return web.Response(text="{}")

    server = serve({"api.example.test/n": handler})
    probes = [_probe(f"https://api.example.test/n?{i}", pid=f"p{i}") for i in range(300)]
    seen: list[int] = []

    def count(_outcome: Outcome) -> None:
        seen.append(len(asyncio.all_tasks()))

    settings = Settings()
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path, settings=settings)

    async def main() -> tuple[Outcome, ...]:
        creds = _creds()
        return await run(probes, creds, options, Redactor(creds.secrets()), count)

    outcomes = asyncio.run(main())
    assert [o.status for o in outcomes] == [200] * 300
    assert max(seen) <= options.concurrency + 1  # the workers and the main task


def test_feed_ranks_a_chain_thousands_long_without_deep_recursion() -> None:
    specs = [("p0", "https://a.test/0", ())] + [
        (f"p{n}", f"https://a.test/{n}", (f"p{n - 1}",)) for n in range(1, 5000)
    ]
    feed, slots, _ = _fed(*specs, per_host=1)
    first = slots.start(feed.take())
    assert first.id == "p0"  # the head of the 5,000-probe chain


def test_feed_starts_probes_that_need_each_other_instead_of_waiting_forever() -> None:
    """A cycle of needs (the catalogue check refuses it; the runner must still end): once nothing is in flight and
    nothing is ready, the waiting probes start, and each says what it lacked (see _inputs)."""
    feed, slots, _ = _fed(
        ("a", "https://a.test/a", ("b",)),
        ("b", "https://a.test/b", ("a",)),
        ("c", "https://b.test/c", ()),
        per_host=4,
    )
    order = []
    while feed.left:
        p = slots.start(feed.take())  # None (a stall) fails here
        order.append(p.id)
        slots.end(feed, p)
    assert sorted(order) == ["a", "b", "c"] and len(order) == 3  # each once


def test_a_url_that_is_not_sent_names_no_secret_in_its_reason() -> None:
    """The parser's own message quotes the URL's authority; a credential there (a captured value filled into it, or
    a key pasted into a catalogue) must not reach the report through the skip reason."""
    probe = _probe(f"https://{CANARY_KEY}\uff03@api.example.test/")
    creds = _creds()
    (outcome,) = asyncio.run(run([probe], creds, Options(), Redactor(creds.secrets())))
    assert outcome.klass is OutcomeClass.SKIPPED and outcome.explanation.startswith("not sent")
    assert CANARY_KEY not in outcome.explanation and CANARY_KEY[:12] not in outcome.explanation
