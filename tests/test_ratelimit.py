"""Table-driven tests for prober.ratelimit: header selection and the report-cell summary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prober import ratelimit
from prober.model import Pairs

# Reference C5: the headers actually seen on DashScope carry no rate-limit facts.
DASHSCOPE_HEADERS = (
    ("x-request-id", "3f1c"),
    ("x-dashscope-call-gateway", "true"),
    ("req-cost-time", "412"),
    ("server", "istio-envoy"),
    ("set-cookie", "acw_tc=abc"),
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(DASHSCOPE_HEADERS, (), id="dashscope-observed-none"),
        pytest.param(
            (
                ("X-RateLimit-Limit-Requests", "60"),
                ("Content-Type", "application/json"),
                ("X-RateLimit-Remaining-Requests", "17"),
                ("x-ratelimit-reset-requests", "1s"),
            ),
            (
                ("x-ratelimit-limit-requests", "60"),
                ("x-ratelimit-remaining-requests", "17"),
                ("x-ratelimit-reset-requests", "1s"),
            ),
            id="x-ratelimit-family-lowercased-in-order",
        ),
        pytest.param(
            (("RateLimit-Policy", '"default";q=100;w=60'), ("RateLimit", '"default";r=50;t=30')),
            (("ratelimit-policy", '"default";q=100;w=60'), ("ratelimit", '"default";r=50;t=30')),
            id="ietf-draft-fields",
        ),
        pytest.param(
            (("Retry-After", "30"), ("retry-after", "31")),
            (("retry-after", "30"), ("retry-after", "31")),
            id="repeats-kept",
        ),
        pytest.param(
            (("x-ratelimited", "1"), ("ratelimiter", "x"), ("x-rate-limit", "5")),
            (),
            id="near-misses-ignored",
        ),
    ],
)
def test_rate_limit_headers(headers: Pairs, expected: Pairs) -> None:
    assert ratelimit.HEADERS.pick(headers) == expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        pytest.param((), None, id="none"),
        pytest.param(
            (("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", "17")),
            "x-ratelimit-remaining 17",
            id="remaining-preferred-over-limit",
        ),
        pytest.param(
            (("x-ratelimit-remaining", "900"), ("x-ratelimit-remaining-requests", "17")),
            "x-ratelimit-remaining-requests 17",
            id="requests-first",
        ),
        pytest.param(
            (("retry-after", "30"), ("ratelimit-remaining", "0")),
            "ratelimit-remaining 0",
            id="ietf-remaining-before-retry-after",
        ),
        pytest.param(
            (("retry-after", "30"), ("ratelimit", '"default";r=0;t=30')),
            'ratelimit "default";r=0;t=30',
            id="structured-field-before-retry-after",
        ),
        pytest.param((("retry-after", "30"),), "retry-after 30", id="retry-after"),
        pytest.param(
            (("x-ratelimit-limit-tokens", "1000"), ("x-ratelimit-remaining-tokens", "12")),
            "x-ratelimit-remaining-tokens 12",
            id="other-remaining",
        ),
        pytest.param((("x-ratelimit-reset", "1s"),), "x-ratelimit-reset 1s", id="anything-else-first"),
        pytest.param((("retry-after", "30"), ("retry-after", "99")), "retry-after 30", id="first-of-repeats"),
        pytest.param((("ratelimit-policy", "x" * 100),), "ratelimit-policy " + "x" * 39 + "…", id="long-value-cut"),
    ],
)
def test_summary(pairs: Pairs, expected: str | None) -> None:
    assert ratelimit.summary(pairs) == expected


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=10))
def test_never_raises(headers: list[tuple[str, str]]) -> None:
    picked = ratelimit.HEADERS.pick(headers)
    assert all(name == name.lower() for name, _ in picked)
    assert (ratelimit.summary(picked) is None) == (not picked)
