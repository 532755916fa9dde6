"""Tests for prober.limits: the request slots (global and per host) and what `room` says about them. The rate gates
are exercised end to end in tests/test_hardening.py."""

from __future__ import annotations

import asyncio

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
