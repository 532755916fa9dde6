"""How many requests may be in flight and how fast they may start: a global and a per-host slot, and rate gates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


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
    then the global and per-host rate gates, when rates are set. `released` is called each time a slot frees."""

    def __init__(
        self,
        concurrency: int,
        per_host: int,
        rate: float | None = None,
        host_rate: float | None = None,
        released: Callable[[], None] | None = None,
    ) -> None:
        self._released = released
        self._concurrency = concurrency
        self._global = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # Slots held, counted beside the semaphores for `room`, which the runner asks several times per request
        # (Semaphore.locked walks its waiters each time).
        self._held = 0
        self._held_by: dict[str, int] = {}
        self._rate = RateGate(rate) if rate else None
        self._host_rate = host_rate
        self._host_gates: dict[str, RateGate] = {}
        self._gated = self._rate is not None or bool(host_rate)  # without rates, a slot is only the two semaphores

    def slot(self, origin: str) -> Slot:
        """`async with limiter.slot(origin):` one request to `origin`."""
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = asyncio.Semaphore(self._per_host)
        return Slot(self, origin, host)

    async def _gates(self, origin: str) -> None:
        if self._host_rate:
            gate = self._host_gates.get(origin)
            if gate is None:
                gate = self._host_gates[origin] = RateGate(self._host_rate)
            await gate.wait()
        if self._rate is not None:
            await self._rate.wait()

    def _hold(self, origin: str) -> None:
        self._held += 1
        self._held_by[origin] = self._held_by.get(origin, 0) + 1

    def _release(self, host: asyncio.Semaphore, origin: str | None = None) -> None:
        """Free `host`, and with `origin` (the slot was held: both semaphores taken) the global slot too."""
        if origin is not None:
            self._held -= 1
            self._held_by[origin] -= 1
            self._global.release()
        host.release()
        if self._released is not None:
            self._released()

    def room(self, origin: str) -> bool:
        """True when no slot a request to `origin` needs is held: the request gets its slots at once, unless one
        just freed is already promised to a request waiting for it."""
        return self._held < self._concurrency and self._held_by.get(origin, 0) < self._per_host


class Slot:
    """One request's slots: the host's, then the global one, then the rate gates; released on exit, however the
    block ends. A plain async context manager: one is entered for every request of a sweep."""

    __slots__ = ("_host", "_limiter", "_origin")

    def __init__(self, limiter: Limiter, origin: str, host: asyncio.Semaphore) -> None:
        self._limiter = limiter
        self._origin = origin
        self._host = host

    async def __aenter__(self) -> None:
        limiter = self._limiter
        await self._host.acquire()
        try:
            await limiter._global.acquire()
        except BaseException:
            limiter._release(self._host)
            raise
        limiter._hold(self._origin)
        if not limiter._gated:
            return
        try:
            await limiter._gates(self._origin)
        except BaseException:
            limiter._release(self._host, self._origin)
            raise

    async def __aexit__(self, *_exc: object) -> None:
        self._limiter._release(self._host, self._origin)
