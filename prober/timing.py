"""Hop timing: DNS, connect and first-byte times and the peer's address, filled by the resolver and the connector
while aiohttp makes a request, and summed over a probe's hops into its Timings."""

from __future__ import annotations

import contextvars
import socket
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from prober.model import Timings


@dataclass(slots=True)
class HopClock:
    """One request's timings, filled while aiohttp makes it (see TimedResolver and PeerConnector)."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    peer: str | None = None


@dataclass(slots=True)
class Stopwatch:
    """A probe's timings over all its hops; what a timeout or reset mid-chain still reports."""

    dns_ms: float = 0.0
    connect_ms: float = 0.0
    saw_dns: bool = False
    saw_connect: bool = False
    first_byte_ms: float | None = None
    remote_addr: str | None = None
    started: float = field(default_factory=time.perf_counter)

    def start(self) -> None:
        """Start the probe's time now: waiting for a slot behind a slow host is queueing, not the endpoint's time."""
        self.started = time.perf_counter()

    def answered(self, sent: float, clock: HopClock) -> None:
        """A hop's answer arrived: note the first byte (of the first hop only) and the peer it came from."""
        if self.first_byte_ms is None:
            self.first_byte_ms = (time.perf_counter() - sent) * 1000
        self.remote_addr = clock.peer or self.remote_addr

    def add(self, clock: HopClock) -> None:
        """Sum a finished hop's DNS and connect times (a pooled connection has neither)."""
        if clock.dns_ms is not None:
            self.dns_ms += clock.dns_ms
            self.saw_dns = True
            clock.dns_ms = None
        if clock.connect_ms is not None:
            self.connect_ms += clock.connect_ms
            self.saw_connect = True
            clock.connect_ms = None

    def timings(self) -> Timings:
        return Timings(
            total_ms=_tenths((time.perf_counter() - self.started) * 1000),
            dns_ms=_tenths(self.dns_ms) if self.saw_dns else None,
            connect_ms=_tenths(self.connect_ms) if self.saw_connect else None,
            first_byte_ms=_tenths(self.first_byte_ms) if self.first_byte_ms is not None else None,
        )


def _tenths(ms: float) -> float:
    """`ms` to a tenth, half up (a duration is never negative). `round(ms, 1)` rounds half to even by the exact
    decimal value, which no clock reading deserves, at several times the cost, for every probe."""
    return int(ms * 10 + 0.5) / 10


# The clock of the request being made, for the connector and the resolver: both run in the request's own task (the
# resolver in a task aiohttp starts from it, which inherits its context), so the send step puts the clock in this
# context variable. Timing there instead of through aiohttp's trace callbacks spares every request the signals'
# dispatch (a measured share of P2: see bench/PROFILE.md).
_CURRENT: contextvars.ContextVar[HopClock | None] = contextvars.ContextVar("prober_hop_clock", default=None)


class Clocked:
    """Make `clock` the one the connector and resolver fill for requests sent inside this block (in this task).
    A plain context manager: one is entered for every request of a sweep."""

    __slots__ = ("_clock", "_token")

    def __init__(self, clock: HopClock) -> None:
        self._clock = clock

    def __enter__(self) -> HopClock:
        self._token = _CURRENT.set(self._clock)
        return self._clock

    def __exit__(self, *_exc: object) -> None:
        _CURRENT.reset(self._token)


def format_peer(peer: Any) -> str | None:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return None


class TimedResolver(AbstractResolver):
    """Notes how long each name took to resolve on the requesting hop's clock (a cached name is not resolved)."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        clock = _CURRENT.get()
        started = time.perf_counter()
        try:
            return await self._inner.resolve(host, port, family)
        finally:
            if clock is not None:
                clock.dns_ms = (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        await self._inner.close()


_UNSEEN: Any = object()


class PeerConnector(aiohttp.TCPConnector):
    """Times each new connection (DNS, TCP and TLS; the resolver's share is taken out) and notes the peer's address
    of every connection, new or pooled, on the requesting hop's clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The protocols of connections already timed, each with its peer's address (a connection keeps its peer).
        self._peers: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()

    async def connect(self, req: Any, traces: list[Any], timeout: aiohttp.ClientTimeout) -> Any:
        clock = _CURRENT.get()
        started = time.perf_counter()
        connection = await super().connect(req, traces, timeout)
        if clock is not None:
            protocol = connection.protocol
            peer = self._peers.get(protocol, _UNSEEN) if protocol is not None else _UNSEEN
            if peer is _UNSEEN:  # a new connection, not one from the pool (or one aiohttp has no protocol for)
                transport = connection.transport
                peer = format_peer(transport.get_extra_info("peername") if transport else None)
                if protocol is not None:
                    self._peers[protocol] = peer
                    clock.connect_ms = (time.perf_counter() - started) * 1000 - (clock.dns_ms or 0.0)
            clock.peer = peer
        return connection
