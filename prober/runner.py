"""The async sweep: one ClientSession, global and per-host limits, connect-to routing; probes run as their needs
allow, each through prober.probe."""

from __future__ import annotations

import asyncio
import functools
import heapq
import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from prober import capture, probe, request, routing
from prober.credentials import Credentials
from prober.errors import ProberError
from prober.limits import Limiter
from prober.model import Outcome, OutcomeClass, Probe
from prober.proxies import Proxies
from prober.redact import Redactor
from prober.request import Guard
from prober.timing import PeerConnector, TimedResolver


@dataclass(frozen=True, slots=True)
class Options:
    concurrency: int = 16
    per_host: int = 4
    settings: probe.Settings = field(default_factory=probe.Settings)
    connect_to: tuple[routing.ConnectTo, ...] = ()
    cacert: Path | None = None
    # The resolver behind --connect-to; None means the system's (getaddrinfo in a thread).
    resolver: AbstractResolver | None = None


class ConnectToResolver(AbstractResolver):
    """Resolves the connect-to target but keeps the catalogue's host name for SNI and certificate checks."""

    def __init__(self, rules: tuple[routing.ConnectTo, ...], inner: AbstractResolver | None = None) -> None:
        self._rules = rules
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target_host, target_port = routing.route(self._rules, host, port)
        address = _address(target_host)
        if address is not None and family in (socket.AF_UNSPEC, address[1]):
            found, found_family = address  # `--connect-to ::127.0.0.1:8443`: nothing to look up, no resolver thread
            return [
                ResolveResult(hostname=host, host=found, port=target_port, family=found_family, proto=0, flags=_NUMERIC)
            ]
        infos = await self._inner.resolve(target_host, target_port, family)
        return [
            ResolveResult(
                hostname=host,
                host=info["host"],
                port=target_port,
                family=info["family"],
                proto=info["proto"],
                flags=info["flags"],
            )
            for info in infos
        ]

    async def close(self) -> None:
        await self._inner.close()


_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV  # as getaddrinfo's answer for an address says


def _address(host: str) -> tuple[str, socket.AddressFamily] | None:
    """`host` and its family when it is an IP address (what getaddrinfo answers for one, without its thread)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return str(address), socket.AF_INET6 if address.version == 6 else socket.AF_INET


def _inputs(
    p: Probe, captured: dict[str, dict[str, capture.Value]], results: dict[str, Outcome]
) -> tuple[Probe, Guard, str | None]:
    """The probe with its {{ name }} placeholders filled from the probes it needs and the guard for the captured
    credentials among them, or why it cannot run."""
    # The catalogue only lets a probe use {{ name }} when a probe it needs captures it: no needs, nothing to fill.
    if not p.needs or not capture.placeholders(p):
        return p, request.NO_CAPTURES, None
    values: dict[str, capture.Value] = {}
    for need in p.needs:  # the first needed probe that captured a name wins, in `needs` order
        for name, value in captured.get(need, {}).items():
            values.setdefault(name, value)
    missing = [n for n in capture.required(p) if n not in values]
    if not missing:
        used = {n: values[n] for n in capture.placeholders(p) if n in values}
        guard = Guard(
            scopes=frozenset(v.scope for v in used.values() if v.scope is not None), carriers=capture.carriers(p)
        )
        return capture.fill(p, {n: v.text.reveal() for n, v in used.items()}), guard, None
    why = "; ".join(f"{need} {_short(results[need])}" if need in results else f"{need} was not run" for need in p.needs)
    return p, request.NO_CAPTURES, f"no {', '.join(missing)}: {why}"


def _short(outcome: Outcome) -> str:
    """How a needed probe ended, in a few words, for a dependant's skip reason."""
    if outcome.klass is OutcomeClass.SKIPPED:
        return f"was skipped ({outcome.explanation})"
    if outcome.klass is OutcomeClass.REDIRECT_TO_LOGIN:
        return f"redirected to login ({outcome.explanation.split(':')[0]})"
    return f"ended {outcome.klass.value} ({outcome.status if outcome.status is not None else 'no answer'})"


@functools.lru_cache(maxsize=4)
def tls_context(cacert: Path | None) -> ssl.SSLContext:
    """Verified TLS; with --cacert only that CA bundle is trusted, as with curl. Built once per bundle: the
    command line checks it before anything is sent, and the sweep then uses the same context."""
    try:
        return ssl.create_default_context(cafile=str(cacert) if cacert else None)
    except (OSError, ssl.SSLError) as exc:
        raise ProberError(
            f"cannot load --cacert {cacert}: {getattr(exc, 'strerror', None) or exc}",
            "pass a PEM file holding the CA certificate (prober replica prints its path)",
        ) from None


Rank = tuple[int, int, int]  # (minus the dependant chain's length, turn among its host's probes, catalogue index)


class Feed:
    """Probes ready to send, queued by the origin of their first request. A worker takes the first ready probe whose
    origin has a free request slot (`room`, the Limiter's), so no worker parks behind a busy host while another
    host's probes wait; a probe becomes ready when every probe it needs has ended.

    First means: the probe heading the longest chain of probes that wait for it (the critical path: a login chain
    starts before the independent probes that can fill the gaps); then the hosts in turn, each host's probes in
    catalogue order (a host named once is not left to the end behind another host's dozen probes; where probes
    redirect to login, it is such a host that holds the longest chain of hops).

    Bookkeeping only, no I/O: the runner's workers call `take`, and `done` when a probe has ended."""

    def __init__(self, probes: Sequence[Probe], room: Callable[[str], bool]) -> None:
        self._room = room
        self._probes = tuple(probes)
        position = {p.id: i for i, p in enumerate(probes)}
        # Each probe's URL as the probe will read it (request.parse), until the probe is taken: its origin says
        # which host's slots it needs, and the probe need not parse it again.
        self._first = {p.id: request.parse(p.url) for p in probes}
        self._origin = {pid: _origin(first) for pid, first in self._first.items()}
        # Most probes need none: they skip the set of their needs.
        self._unmet = {p.id: sum(1 for n in set(p.needs) if n in position) if p.needs else 0 for p in probes}
        self._dependants: dict[str, list[Probe]] = {}
        for p in probes:
            for need in set(p.needs) if p.needs else ():
                if need in position:
                    self._dependants.setdefault(need, []).append(p)
        chain = _chains(probes, self._dependants)
        turn: dict[str, int] = {}  # the probe's place among its origin's, in catalogue order
        seen: dict[str, int] = {}
        for p in probes:
            turn[p.id] = seen.get(self._origin[p.id], 0)
            seen[self._origin[p.id]] = turn[p.id] + 1
        self._rank = {p.id: (-chain[p.id], turn[p.id], position[p.id]) for p in probes}  # smaller goes first
        self._queues: dict[str, list[tuple[Rank, Probe]]] = {}  # a heap per origin, by rank
        self._heads: list[tuple[Rank, str]] = []  # (rank of its first ready probe, origin), checked lazily
        self.left = len(probes)  # probes not yet ended
        self._running = 0  # probes taken and not yet ended
        for p in probes:
            if not self._unmet[p.id]:
                self._ready(p)

    def _ready(self, probe: Probe) -> None:
        origin = self._origin[probe.id]
        queue = self._queues.setdefault(origin, [])
        rank = self._rank[probe.id]
        heapq.heappush(queue, (rank, probe))
        if queue[0][0] == rank:  # a new head for its origin
            heapq.heappush(self._heads, (rank, origin))

    def take(self) -> tuple[Probe, URL | str] | None:
        """The first ready probe whose origin has room, with its URL as request.parse read it (or why it is not
        sent); None when none can start now."""
        full: list[tuple[Rank, str]] = []  # origins without room: offered again after this take
        found = None
        while self._heads and found is None:
            rank, origin = heapq.heappop(self._heads)
            queue = self._queues[origin]
            if not queue or queue[0][0] != rank:
                continue  # stale: that probe was taken, or one ranked before it became the origin's head
            if not self._room(origin):
                full.append((rank, origin))
                continue
            found = heapq.heappop(queue)[1]
            if queue:
                heapq.heappush(self._heads, (queue[0][0], origin))
        for entry in full:
            heapq.heappush(self._heads, entry)
        if found is not None:
            self._running += 1
            return found, self._first.pop(found.id)
        if not self._running and not self._heads and self.left:
            # Nothing in flight, nothing ready, probes left: they wait on one another (a cycle of needs the
            # catalogue check would refuse). They start as they are, and say which needed value was missing.
            for p in [p for p in self._probes if self._unmet[p.id]]:
                self._unmet[p.id] = 0
                self._ready(p)
            return self.take()
        return None

    def done(self, probe: Probe) -> None:
        """`probe` ended: the probes that needed only it are ready."""
        self.left -= 1
        self._running -= 1
        for dependant in self._dependants.pop(probe.id, ()):
            self._unmet[dependant.id] -= 1
            if not self._unmet[dependant.id]:
                self._ready(dependant)


def _chains(probes: Sequence[Probe], dependants: dict[str, list[Probe]]) -> dict[str, int]:
    """For each probe, how many probes the longest chain of its dependants holds, itself included (1: none wait
    for it). Iterative, so a chain thousands long is no deeper a recursion; the catalogue check refuses cycles,
    and one here is cut where it closes, never followed forever."""
    found: dict[str, int] = {}
    for root in probes:
        if root.id in found:
            continue
        if root.id not in dependants:  # nothing waits for it (most probes): a chain of one, no walk
            found[root.id] = 1
            continue
        on_path = {root.id}
        stack: list[tuple[Probe, int]] = [(root, 0)]  # a probe and how many of its dependants are done
        while stack:
            p, next_child = stack[-1]
            children = dependants.get(p.id, ())
            if next_child < len(children):
                stack[-1] = (p, next_child + 1)
                child = children[next_child]
                if child.id not in found and child.id not in on_path:
                    on_path.add(child.id)
                    stack.append((child, 0))
                continue
            stack.pop()
            on_path.discard(p.id)
            found[p.id] = 1 + max((found.get(c.id, 0) for c in children), default=0)
    return found


def _origin(first: URL | str) -> str:
    return "" if isinstance(first, str) else request.origin(first)  # "": it is not sent, any queue will do


async def run(
    probes: Sequence[Probe],
    creds: Credentials,
    options: Options,
    redactor: Redactor,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> tuple[Outcome, ...]:
    """Run every probe with a fixed pool of `concurrency` workers fed per host (see Feed); return their outcomes
    in catalogue order. Memory stays flat in the number of probes: only the workers' probes are in flight."""
    context = tls_context(options.cacert)
    connector = PeerConnector(
        ssl=context,
        resolver=TimedResolver(ConnectToResolver(options.connect_to, options.resolver)),
        limit=0,  # the Limiter bounds requests; the pool itself may keep one connection per slot
        limit_per_host=0,
        ttl_dns_cache=300,
    )
    changed = asyncio.Event()  # set when a request slot frees or a probe ends: a probe may be able to start
    limiter = Limiter(
        options.concurrency, options.per_host, options.settings.rate, options.settings.host_rate, changed.set
    )
    async with aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # cookies are chosen per hop from the user's jar, never learned
        trust_env=False,  # proxies come from prober.proxies; aiohttp's would also read ~/.netrc
        timeout=aiohttp.ClientTimeout(total=None),  # the per-probe deadline lives in probe.run
        headers={"User-Agent": options.settings.user_agent},
    ) as session:
        ctx = probe.Context(
            session,
            creds,
            options.settings,
            limiter,
            redactor,
            Proxies(options.settings.proxy, options.settings.env_proxies),
        )
        feed = Feed(probes, limiter.room)
        results: dict[str, Outcome] = {}
        captured: dict[str, dict[str, capture.Value]] = {}

        async def outcome_of(p: Probe, first: URL | str) -> Outcome:
            # A probe's own reason to skip (no jar, not --billable) says more than its needs' reasons.
            own = probe.skip_reason(p, creds, options.settings)
            filled, guard, missing = (p, request.NO_CAPTURES, own) if own is not None else _inputs(p, captured, results)
            if missing is not None:
                return Outcome(probe_id=p.id, klass=OutcomeClass.SKIPPED, explanation=missing)
            # A probe filled from captures has another URL, which the probe reads afresh.
            outcome, values = await probe.run(ctx, filled, guard, first if filled is p else None)
            if values:
                captured[p.id] = values
            return outcome

        async def worker() -> None:
            while feed.left:
                taken = feed.take()
                if taken is None:
                    changed.clear()
                    await changed.wait()
                    continue
                p, first = taken
                try:
                    outcome = await outcome_of(p, first)
                finally:
                    feed.done(p)
                    changed.set()
                results[p.id] = outcome
                if on_outcome is not None:
                    on_outcome(outcome)

        async with asyncio.TaskGroup() as workers:
            for _ in range(min(options.concurrency, len(probes))):
                workers.create_task(worker())
        outcomes = tuple(results[p.id] for p in probes)
    # Transports of failed TLS handshakes close through loop callbacks; let them run before the loop ends,
    # or their sockets are only reclaimed by the garbage collector (a ResourceWarning).
    await asyncio.sleep(0.02)
    return outcomes
