"""Tests for prober.timing's pure parts: a probe's stopwatch summed over its hops, and how a peer is written.
The trace callbacks and the connector are exercised end to end in tests/test_runner.py."""

from __future__ import annotations

import pytest

from prober.timing import HopClock, Stopwatch, format_peer


def test_a_stopwatch_sums_dns_and_connect_over_the_hops_that_had_them() -> None:
    watch = Stopwatch()
    watch.add(HopClock(dns_ms=1.24, connect_ms=10.0, peer="127.0.0.1:1"))
    watch.add(HopClock())  # a pooled connection: neither
    watch.add(HopClock(connect_ms=5.0))
    timings = watch.timings()
    assert (timings.dns_ms, timings.connect_ms) == (1.2, 15.0)
    assert timings.first_byte_ms is None and timings.total_ms >= 0


@pytest.mark.parametrize(("ms", "shown"), [(0.0, 0.0), (0.04, 0.0), (0.05, 0.1), (1.25, 1.3), (12.349, 12.3), (7, 7.0)])
def test_a_figure_is_kept_to_a_tenth_of_a_millisecond_half_up(ms: float, shown: float) -> None:
    watch = Stopwatch()
    watch.add(HopClock(dns_ms=ms))
    assert watch.timings().dns_ms == shown
    assert repr(watch.timings().dns_ms) == repr(shown)  # no 0.30000000000000004 in a report


def test_no_hop_resolved_or_connected_means_no_figure_not_zero() -> None:
    watch = Stopwatch()
    watch.add(HopClock())
    assert (watch.timings().dns_ms, watch.timings().connect_ms) == (None, None)


def test_a_hop_clock_is_counted_once() -> None:
    watch, clock = Stopwatch(), HopClock(dns_ms=2.0, connect_ms=3.0)
    watch.add(clock)
    watch.add(clock)
    assert (watch.timings().dns_ms, watch.timings().connect_ms) == (2.0, 3.0)


def test_the_first_answer_sets_first_byte_and_each_answer_the_peer() -> None:
    watch = Stopwatch()
    watch.answered(watch.started, HopClock(peer="10.0.0.1:443"))
    first = watch.first_byte_ms
    watch.answered(watch.started, HopClock())  # a hop whose peer is unknown keeps the last one
    assert first is not None and watch.first_byte_ms == first
    assert watch.remote_addr == "10.0.0.1:443"
    watch.answered(watch.started, HopClock(peer="10.0.0.2:443"))
    assert watch.remote_addr == "10.0.0.2:443"


@pytest.mark.parametrize(
    ("peer", "text"),
    [
        (("127.0.0.1", 8443), "127.0.0.1:8443"),
        (("::1", 8443, 0, 0), "[::1]:8443"),
        ("/run/socket", None),
        (None, None),
        (("only-host",), None),
    ],
)
def test_format_peer(peer: object, text: str | None) -> None:
    assert format_peer(peer) == text
