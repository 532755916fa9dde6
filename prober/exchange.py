"""Pure: the next-request policy of one probe's exchange. After each answer: follow a redirect (RFC 9110 method
rewriting), wait out a 429's Retry-After and send the same request again, stop at the redirect limit, or keep the
answer as the probe's."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from yarl import URL

from prober import ratelimit

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Action(StrEnum):
    READ = "read"  # this answer is the probe's: read its body
    FOLLOW = "follow"  # send `attempt`, the redirect's target
    RETRY = "retry"  # wait `wait` seconds, then send `attempt` (the same request) again
    TOO_MANY = "too_many"  # a redirect past the limit: the exchange ends as a redirect loop


@dataclass(frozen=True, slots=True)
class Limits:
    max_redirects: int = 10
    max_wait: float = 0.0  # seconds a probe may spend waiting out 429 Retry-After answers; 0: never retry
    max_retries: int = 5


@dataclass(frozen=True, slots=True)
class Attempt:
    """A request to send, and what the exchange has spent before it."""

    method: str
    url: URL
    body: bytes | None
    redirects: int = 0  # redirects followed so far
    retries: int = 0  # 429 answers waited out so far
    waited: float = 0.0  # seconds spent waiting them out


@dataclass(frozen=True, slots=True)
class Answer:
    """What the policy reads of an answer: its status and the two headers that can ask for another request."""

    status: int
    location: str | None = None
    retry_after: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    action: Action
    attempt: Attempt  # the next request (FOLLOW, RETRY); the one answered otherwise
    wait: float = 0.0  # RETRY only


def after(attempt: Attempt, answer: Answer, limits: Limits, now: float, time_left: float | None) -> Step:
    """What follows `answer` to `attempt`. `now` is the wall clock (an HTTP-date Retry-After is read against it);
    `time_left` is how long the probe's deadline still allows, None before it is set. Raises ValueError only for a
    Location that is not a URL at all, as the HTTP client would."""
    wait = _retry_wait(attempt, answer, limits, now, time_left)
    if wait is not None:
        return Step(Action.RETRY, replace(attempt, retries=attempt.retries + 1, waited=attempt.waited + wait), wait)
    if answer.status not in REDIRECTS or not answer.location:
        return Step(Action.READ, attempt)
    url = attempt.url.join(URL(answer.location))
    method, body = attempt.method, attempt.body
    if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
        # RFC 9110 §15.4: 303 (and, as browsers do, 301/302 after POST) become GET; a HEAD stays a HEAD.
        method = "HEAD" if method == "HEAD" else "GET"
        body = None
    if attempt.redirects + 1 > limits.max_redirects:
        return Step(Action.TOO_MANY, attempt)
    return Step(Action.FOLLOW, Attempt(method, url, body, attempt.redirects + 1, attempt.retries, attempt.waited))


def _retry_wait(attempt: Attempt, answer: Answer, limits: Limits, now: float, time_left: float | None) -> float | None:
    """How long to wait before retrying a 429, or None to keep the answer (no Retry-After, or too long)."""
    if answer.status != 429 or limits.max_wait <= 0 or attempt.retries >= limits.max_retries:
        return None
    wait = ratelimit.retry_after(answer.retry_after, now)
    if wait is None or attempt.waited + wait > limits.max_wait:
        return None
    if time_left is not None and wait >= time_left:
        return None  # the retry could not finish inside the per-probe deadline
    return wait
