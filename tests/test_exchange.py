"""Table-driven tests for prober.exchange: what follows each answer (redirects with RFC 9110 method rewriting, 429
retries within their budget and the probe's deadline, the redirect limit), with no server and no clock."""

from __future__ import annotations

import pytest
from yarl import URL

from prober.exchange import Action, Answer, Attempt, Limits, Step, after

START = URL("https://api.example.test/v1/things?x=1")
BODY = b'{"a": 1}'
NOW = 1_768_464_000.0  # 2026-01-15 08:00:00 UTC: the wall clock an HTTP-date Retry-After is read against
RETRYING = Limits(max_redirects=10, max_wait=5.0, max_retries=2)
OFF = Limits(max_wait=0.0)  # the default: 429 answers are kept, never retried


def _attempt(
    method: str = "POST", body: bytes | None = BODY, redirects: int = 0, retries: int = 0, waited: float = 0.0
) -> Attempt:
    return Attempt(method, START, body, redirects, retries, waited)


def _to(url: str, method: str, body: bytes | None, redirects: int = 1) -> Step:
    return Step(Action.FOLLOW, Attempt(method, URL(url), body, redirects=redirects))


@pytest.mark.parametrize(
    ("attempt", "answer", "expected"),
    [
        # Answers that end the exchange.
        pytest.param(_attempt(), Answer(200), Step(Action.READ, _attempt()), id="200-read"),
        pytest.param(_attempt(), Answer(404), Step(Action.READ, _attempt()), id="404-read"),
        pytest.param(_attempt(), Answer(302), Step(Action.READ, _attempt()), id="302-without-location-read"),
        pytest.param(_attempt(), Answer(302, ""), Step(Action.READ, _attempt()), id="302-empty-location-read"),
        pytest.param(_attempt(), Answer(300, "/x"), Step(Action.READ, _attempt()), id="300-not-followed"),
        pytest.param(_attempt(), Answer(304, "/x"), Step(Action.READ, _attempt()), id="304-not-followed"),
        # RFC 9110 §15.4: 303 becomes GET (a HEAD stays a HEAD), and as browsers do, 301/302 after POST too.
        pytest.param(
            _attempt(), Answer(303, "/done"), _to("https://api.example.test/done", "GET", None), id="303-post-to-get"
        ),
        pytest.param(
            _attempt("PUT"),
            Answer(303, "/done"),
            _to("https://api.example.test/done", "GET", None),
            id="303-put",
        ),
        pytest.param(
            _attempt("HEAD", None),
            Answer(303, "/done"),
            _to("https://api.example.test/done", "HEAD", None),
            id="303-head-stays-head",
        ),
        pytest.param(
            _attempt(), Answer(301, "/moved"), _to("https://api.example.test/moved", "GET", None), id="301-post-to-get"
        ),
        pytest.param(
            _attempt(), Answer(302, "/found"), _to("https://api.example.test/found", "GET", None), id="302-post-to-get"
        ),
        pytest.param(
            _attempt("PUT"),
            Answer(302, "/found"),
            _to("https://api.example.test/found", "PUT", BODY),
            id="302-put-keeps-method-and-body",
        ),
        pytest.param(
            _attempt("GET", None),
            Answer(301, "https://other.example.test/a"),
            _to("https://other.example.test/a", "GET", None),
            id="301-get-absolute",
        ),
        pytest.param(
            _attempt(), Answer(307, "next"), _to("https://api.example.test/v1/next", "POST", BODY), id="307-keeps-post"
        ),
        pytest.param(
            _attempt(), Answer(308, "//cdn.example.test/p"), _to("https://cdn.example.test/p", "POST", BODY), id="308"
        ),
        # What was spent before goes along; a redirect counts, a retry does not.
        pytest.param(
            _attempt("GET", None, redirects=3, retries=1, waited=2.0),
            Answer(302, "/b"),
            Step(Action.FOLLOW, Attempt("GET", URL("https://api.example.test/b"), None, 4, 1, 2.0)),
            id="spent-carried",
        ),
    ],
)
def test_redirects(attempt: Attempt, answer: Answer, expected: Step) -> None:
    assert after(attempt, answer, Limits(), NOW, None) == expected


@pytest.mark.parametrize(
    ("max_redirects", "redirects", "action"),
    [
        pytest.param(10, 9, Action.FOLLOW, id="tenth-redirect-followed"),
        pytest.param(10, 10, Action.TOO_MANY, id="eleventh-redirect-too-many"),
        pytest.param(0, 0, Action.TOO_MANY, id="no-redirects-allowed"),
    ],
)
def test_the_redirect_limit(max_redirects: int, redirects: int, action: Action) -> None:
    step = after(_attempt("GET", None, redirects=redirects), Answer(302, "/again"), Limits(max_redirects), NOW, None)
    assert step.action is action
    if action is Action.TOO_MANY:
        assert step.attempt == _attempt("GET", None, redirects=redirects)  # the answered request, for the report


def test_a_location_no_parser_reads_raises_as_the_client_would() -> None:
    with pytest.raises(ValueError):
        after(_attempt(), Answer(302, "http://[::1"), Limits(), NOW, None)


@pytest.mark.parametrize(
    ("limits", "attempt", "answer", "time_left", "expected"),
    [
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(429, retry_after="2"),
            None,
            Step(Action.RETRY, _attempt(retries=1, waited=2.0), 2.0),
            id="seconds",
        ),
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(429, retry_after="Thu, 15 Jan 2026 08:00:03 GMT"),
            None,
            Step(Action.RETRY, _attempt(retries=1, waited=3.0), 3.0),
            id="http-date",
        ),
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(429, retry_after="Thu, 01 Jan 2026 00:00:00 GMT"),
            None,
            Step(Action.RETRY, _attempt(retries=1, waited=0.0), 0.0),
            id="http-date-past-retries-at-once",
        ),
        pytest.param(
            RETRYING,
            _attempt(retries=1, waited=2.0),
            Answer(429, retry_after="3"),
            None,
            Step(Action.RETRY, _attempt(retries=2, waited=5.0), 3.0),
            id="budget-exactly-spent",
        ),
        pytest.param(
            RETRYING,
            _attempt(retries=1, waited=2.0),
            Answer(429, retry_after="4"),
            None,
            Step(Action.READ, _attempt(retries=1, waited=2.0)),
            id="over-max-wait",
        ),
        pytest.param(
            RETRYING,
            _attempt(retries=2, waited=1.0),
            Answer(429, retry_after="1"),
            None,
            Step(Action.READ, _attempt(retries=2, waited=1.0)),
            id="max-retries-reached",
        ),
        pytest.param(
            Limits(max_wait=0.0),
            _attempt(),
            Answer(429, retry_after="1"),
            None,
            Step(Action.READ, _attempt()),
            id="x",
        ),
        pytest.param(RETRYING, _attempt(), Answer(429), None, Step(Action.READ, _attempt()), id="no-retry-after"),
        pytest.param(
            RETRYING, _attempt(), Answer(429, retry_after="soon"), None, Step(Action.READ, _attempt()), id="unreadable"
        ),
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(429, retry_after="2"),
            2.0,
            Step(Action.READ, _attempt()),
            id="would-outlast-the-deadline",
        ),
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(429, retry_after="2"),
            2.5,
            Step(Action.RETRY, _attempt(retries=1, waited=2.0), 2.0),
            id="fits-the-deadline",
        ),
        pytest.param(
            RETRYING,
            _attempt(),
            Answer(503, retry_after="1"),
            None,
            Step(Action.READ, _attempt()),
            id="503",
        ),
    ],
)
def test_429_retries(limits: Limits, attempt: Attempt, answer: Answer, time_left: float | None, expected: Step) -> None:
    assert after(attempt, answer, limits, NOW, time_left) == expected
