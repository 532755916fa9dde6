"""Hop timing: DNS, connect and first-byte times and the peer's address, filled by aiohttp's trace callbacks and the
connector, and summed over a probe's hops into its Timings."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp

from prober.model import Timings


@dataclass(slots=True)
class HopClock:
    """One request's timings, filled while aiohttp makes it (see trace_config and PeerConnector)."""

    dns_start: float | None = None
    dns_ms: float | None = None
    connect_start: float | None = None
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
            total_ms=round((time.perf_counter() - self.started) * 1000, 1),
            dns_ms=round(self.dns_ms, 1) if self.saw_dns else None,
            connect_ms=round(self.connect_ms, 1) if self.saw_connect else None,
            first_byte_ms=round(self.first_byte_ms, 1) if self.first_byte_ms is not None else None,
        )


# aiohttp hands a request's trace_request_ctx to its trace callbacks only; the connector, which sees the peer's
# address, is given the request and its traces but no public way to that context. The connector runs in the
# request's own task, though, so the send step also puts the clock in this context variable for it.
_CURRENT: contextvars.ContextVar[HopClock | None] = contextvars.ContextVar("prober_hop_clock", default=None)


@contextmanager
def clocked(clock: HopClock) -> Iterator[HopClock]:
    """Make `clock` the one the connector fills for requests sent inside this block (in this task)."""
    token = _CURRENT.set(clock)
    try:
        yield clock
    finally:
        _CURRENT.reset(token)


def format_peer(peer: Any) -> str | None:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return None


class PeerConnector(aiohttp.TCPConnector):
    """Notes the remote address of each request's connection, new or pooled, on its HopClock."""

    async def connect(self, req: Any, traces: list[Any], timeout: aiohttp.ClientTimeout) -> Any:
        connection = await super().connect(req, traces, timeout)
        clock = _CURRENT.get()
        if clock is not None:
            transport = connection.transport
            clock.peer = format_peer(transport.get_extra_info("peername") if transport else None)
        return connection


def trace_config() -> aiohttp.TraceConfig:
    """DNS and connect times into the HopClock passed as a request's trace_request_ctx."""

    def clock(ctx: SimpleNamespace) -> HopClock | None:
        value = ctx.trace_request_ctx
        return value if isinstance(value, HopClock) else None

    async def dns_start(_s: aiohttp.ClientSession, ctx: SimpleNamespace, _p: Any) -> None:
        if (c := clock(ctx)) is not None:
            c.dns_start = time.perf_counter()

    async def dns_end(_s: aiohttp.ClientSession, ctx: SimpleNamespace, _p: Any) -> None:
        if (c := clock(ctx)) is not None and c.dns_start is not None:
            c.dns_ms = (time.perf_counter() - c.dns_start) * 1000

    async def connect_start(_s: aiohttp.ClientSession, ctx: SimpleNamespace, _p: Any) -> None:
        if (c := clock(ctx)) is not None:
            c.connect_start = time.perf_counter()

    async def connect_end(_s: aiohttp.ClientSession, ctx: SimpleNamespace, _p: Any) -> None:
        if (c := clock(ctx)) is not None and c.connect_start is not None:
            # aiohttp's connection_create span covers DNS, TCP and the TLS handshake; take DNS out.
            c.connect_ms = (time.perf_counter() - c.connect_start) * 1000 - (c.dns_ms or 0.0)

    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(dns_start)
    config.on_dns_resolvehost_end.append(dns_end)
    config.on_connection_create_start.append(connect_start)
    config.on_connection_create_end.append(connect_end)
    return config
