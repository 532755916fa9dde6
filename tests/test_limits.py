"""Tests for prober.limits: the request slots (global and per host) and what `room` says about them. The rate gates
are exercised end to end in tests/test_hardening.py."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from prober.limits import Limiter

A, B = "https://a.test:443", "https://b.test:443"


def test_room_follows_the_slots_held_per_host_and_over_all_hosts() -> None:
    async def scenario() -> None:
        limiter = Limiter(concurrency=3, per_host=2)
        assert limiter.room(A) and limiter.room(B)
        async with limiter.slot(A):
            async with limiter.slot(A):
                assert not limiter.room(A)  # the host's two slots are held
                assert limiter.room(B)
                async with limiter.slot(B):
                    assert not limiter.room(B)  # three of three in flight over all hosts
                assert limiter.room(B)
            assert limiter.room(A)
        assert limiter.room(A) and limiter.room(B)

    asyncio.run(scenario())


def test_every_freed_slot_is_announced() -> None:
    freed: list[int] = []

    async def scenario() -> None:
        limiter = Limiter(concurrency=2, per_host=2, released=lambda: freed.append(1))
        async with limiter.slot(A):
            pass
        async with limiter.slot(A), limiter.slot(B):
            pass

    asyncio.run(scenario())
    assert len(freed) == 3


@pytest.mark.parametrize("where", ["host", "global"])
def test_a_request_cancelled_while_it_waits_for_a_slot_holds_nothing(where: str) -> None:
    async def scenario() -> None:
        limiter = Limiter(concurrency=1 if where == "global" else 2, per_host=1)
        entered = asyncio.Event()

        async def hold(origin: str) -> None:
            async with limiter.slot(origin):
                entered.set()
                await asyncio.sleep(3600)

        holder = asyncio.create_task(hold(A))
        await entered.wait()

        async def wait_for_slot() -> None:
            async with limiter.slot(A if where == "host" else B):
                raise AssertionError("the slot is held")

        waiter = asyncio.create_task(wait_for_slot())
        await asyncio.sleep(0.01)
        waiter.cancel()
        holder.cancel()
        await asyncio.gather(holder, waiter, return_exceptions=True)
        assert limiter.room(A) and limiter.room(B)
        async with limiter.slot(A):
            pass  # the slots can be taken again: nothing leaked

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def test_a_rate_gate_interrupted_gives_the_slots_back() -> None:
    async def scenario() -> None:
        limiter = Limiter(concurrency=1, per_host=1, rate=0.01)  # the second start waits 100 s
        async with limiter.slot(A):
            pass
        waiter = asyncio.create_task(limiter.slot(A).__aenter__())
        await asyncio.sleep(0.01)
        assert not limiter.room(A)  # held while it waits at the gate
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert limiter.room(A)

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def _deadline_run(seconds: float, body_s: float, *, outside_cancel: bool = False) -> str:
    """How a block that takes `body_s` ends under a deadline of `seconds` started at once."""
    from prober.limits import Deadlines

    async def scenario() -> str:
        deadlines = Deadlines(seconds)

        async def guarded() -> str:
            async with deadlines.deadline() as deadline:
                deadline.start(asyncio.get_running_loop())
                await asyncio.sleep(body_s)
            return "finished"

        task = asyncio.create_task(guarded())
        if outside_cancel:
            await asyncio.sleep(seconds / 2)
            task.cancel()
        try:
            return await task
        except TimeoutError:
            return "timeout"
        except asyncio.CancelledError:
            return "cancelled"
        finally:
            assert not deadlines._running and deadlines._timer is None  # nothing left behind

    return asyncio.run(asyncio.wait_for(scenario(), timeout=10))


def test_a_deadline_ends_a_slow_block_with_timeout_error_and_spares_a_fast_one() -> None:
    assert _deadline_run(0.05, 5) == "timeout"
    assert _deadline_run(5, 0.01) == "finished"


def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    assert _deadline_run(0.2, 5, outside_cancel=True) == "cancelled"


def test_deadlines_started_one_after_another_each_end_on_time() -> None:
    from prober.limits import Deadlines

    async def scenario() -> list[tuple[str, float]]:
        deadlines = Deadlines(0.2)
        loop = asyncio.get_running_loop()
        ended: list[tuple[str, float]] = []

        async def guarded(name: str, body_s: float) -> None:
            async with deadlines.deadline() as deadline:
                deadline.start(loop)
                started = loop.time()
                try:
                    await asyncio.sleep(body_s)
                    ended.append((name, loop.time() - started))
                except asyncio.CancelledError:
                    ended.append((f"{name} cut", loop.time() - started))
                    raise

        async def later(name: str, delay: float, body_s: float) -> None:
            await asyncio.sleep(delay)
            with contextlib.suppress(TimeoutError):
                await guarded(name, body_s)

        await asyncio.gather(later("a", 0, 0.01), later("b", 0.05, 5), later("c", 0.1, 5), later("d", 0.12, 0.02))
        return ended

    ended = dict(asyncio.run(asyncio.wait_for(scenario(), timeout=10)))
    assert set(ended) == {"a", "b cut", "c cut", "d"}
    assert 0.19 <= ended["b cut"] < 1.0 and 0.19 <= ended["c cut"] < 1.0  # each its own 0.2 s, not the first's
