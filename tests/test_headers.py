"""Table-driven tests for prober.headers: a header family picked out of an answer."""

from __future__ import annotations

import pytest

from prober.headers import Family
from prober.model import Pairs

FAMILY = Family(frozenset({"retry-after"}), ("x-ratelimit-",))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param((), (), id="none"),
        pytest.param((("Retry-After", "5"),), (("retry-after", "5"),), id="exact-name-lower-cased"),
        pytest.param((("X-RateLimit-Limit", "10"),), (("x-ratelimit-limit", "10"),), id="prefix"),
        pytest.param(((" retry-after ", "1"),), (("retry-after", "1"),), id="name-stripped"),
        pytest.param((("Retry-After-Not", "1"), ("x-ratelimit", "1")), (), id="near-misses"),
        pytest.param(
            (("x-ratelimit-a", "1"), ("Server", "s"), ("X-RATELIMIT-A", "2"), ("retry-after", "3")),
            (("x-ratelimit-a", "1"), ("x-ratelimit-a", "2"), ("retry-after", "3")),
            id="received-order-repeats-kept",
        ),
    ],
)
def test_pick(headers: Pairs, expected: Pairs) -> None:
    assert FAMILY.pick(headers) == expected


def test_a_family_without_prefixes_matches_names_only() -> None:
    assert Family(frozenset({"server"})).pick((("Server", "a"), ("server-timing", "b"))) == (("server", "a"),)


def test_a_name_seen_before_is_picked_alike_and_endless_new_names_stay_bounded() -> None:
    family = Family(frozenset({"retry-after"}), ("x-ratelimit-",))
    answer = (("Retry-After", "5"), ("Server", "s"))
    assert family.pick(answer) == family.pick(answer) == (("retry-after", "5"),)  # the second time from the memo
    for n in range(3000):  # a hostile server's endless new names
        assert family.pick(((f"X-RateLimit-{n}", "1"), (f"x-other-{n}", "2"))) == ((f"x-ratelimit-{n}", "1"),)
    assert len(family._seen) <= 1024
    assert family.pick(answer) == (("retry-after", "5"),)
    assert family == Family(frozenset({"retry-after"}), ("x-ratelimit-",))  # what it has seen is not what it is
