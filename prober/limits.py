"""How many requests may be in flight, how fast they may start, and how long a probe may take: a global and a
per-host slot, rate gates, and the probes' deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType


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


class Deadlines:
    """The per-probe deadlines of one sweep, kept by one timer: the earliest deadline's.

    Every probe of a sweep gets the same number of seconds from the moment it starts (`Deadline.start`), so the
    deadlines fall in the order the probes started: the timer only ever needs the oldest running probe's. A timer
    per probe (asyncio.timeout) costs a timer handle, a heap entry and a cancellation for every request."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._running: dict[Deadline, float] = {}  # started and not yet ended, in start order: deadline order
        self._timer: asyncio.TimerHandle | None = None

    def deadline(self) -> Deadline:
        """`async with deadlines.deadline() as d:` one probe; `d.start()` when its time starts."""
        return Deadline(self)

    def _start(self, deadline: Deadline, loop: asyncio.AbstractEventLoop) -> float:
        when = loop.time() + self._seconds
        self._running[deadline] = when
        if self._timer is None:
            self._timer = loop.call_at(when, self._expire, loop)
        return when

    def _idle(self) -> None:
        """No probe is running: no timer is left behind (the sweep's loop may be about to close)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancel every probe whose deadline has come, then wait for the next one's."""
        self._timer = None
        now = loop.time()
        running = self._running
        while running:
            deadline, when = next(iter(running.items()))
            if when > now:
                self._timer = loop.call_at(when, self._expire, loop)
                return
            del running[deadline]
            deadline._expire()


class Deadline:
    """One probe's deadline: the block it guards raises TimeoutError once `Deadlines`' seconds have passed since
    `start` (none before it). As asyncio.timeout: the probe's task is cancelled, and the cancellation becomes
    TimeoutError where the block ends unless the task was also cancelled from elsewhere (the sweep interrupted)."""

    __slots__ = ("_cancelling", "_deadlines", "_expired", "_task", "_when")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines
        self._when: float | None = None
        self._expired = False

    async def __aenter__(self) -> Deadline:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline is kept inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        return self

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """The probe's time starts now (once: later calls change nothing)."""
        if self._when is None:
            self._when = self._deadlines._start(self, loop)

    def left(self, loop: asyncio.AbstractEventLoop) -> float | None:
        """Seconds until the deadline; None before `start`."""
        return None if self._when is None else self._when - loop.time()

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        deadlines = self._deadlines
        deadlines._running.pop(self, None)
        if not deadlines._running:
            deadlines._idle()
        if self._expired and self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
