"""Expectations, pure: each matcher met and unmet on hand-built outcomes, the reason naming the matcher and what was
there; and, end to end over the replica, #612's "no rate-limit headers" as a header expectation (issue 12)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from prober.expectations import check, named_headers
from prober.model import (
    BodyExpect,
    Expect,
    HeaderExpect,
    Matcher,
    Outcome,
    OutcomeClass,
    Probe,
    VendorError,
)
from prober.replica.server import Replica, start
from tests.cli import prober

BODY = '{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"r-1","data":{"items":[{"n":2}]}}'
OUTCOME = Outcome(
    probe_id="p",
    klass=OutcomeClass.KEY_REJECTED,
    explanation="401",
    status=401,
    body_excerpt=BODY,
    vendor_error=VendorError(shape="flat", code="InvalidApiKey"),
    checked_headers=(("content-type", "application/json"), ("x-request-id", "r-1"), ("x-request-id", "r-2")),
)


def _reason(expect: Expect, outcome: Outcome = OUTCOME) -> str | None:
    checked = check(Probe(id="p", description="d", method="GET", url="https://x.test/", expect=expect), outcome)
    assert checked.expected is (checked.unexpected_reason is None)
    return checked.unexpected_reason


def _header(name: str, matcher: Matcher, value: str = "") -> Expect:
    return Expect(headers=(HeaderExpect(name, matcher, value),))


@pytest.mark.parametrize(
    ("expect", "reason"),
    [
        (_header("x-ratelimit-remaining-requests", Matcher.ABSENT), None),
        (_header("X-Request-Id", Matcher.PRESENT), None),
        (_header("content-type", Matcher.REGEX, "^application/json"), None),
        (_header("x-request-id", Matcher.EQUALS, "r-2"), None),  # any value of a repeated header
        (_header("X-Request-Id", Matcher.ABSENT), "expected header X-Request-Id absent, got present ('r-1' | 'r-2')"),
        (_header("retry-after", Matcher.PRESENT), "expected header retry-after present, got none"),
        (
            _header("content-type", Matcher.REGEX, "xml"),
            "expected header content-type matching /xml/, got 'application/json'",
        ),
        (_header("x-request-id", Matcher.EQUALS, "r-3"), "expected header x-request-id = 'r-3', got 'r-1' | 'r-2'"),
        (Expect(vendor_code="InvalidApiKey"), None),
        (Expect(vendor_code="NoPermission"), "expected vendor code NoPermission, got InvalidApiKey"),
        (Expect(body=BodyExpect(contains="Invalid API-key")), None),
        (Expect(body=BodyExpect(regex=r'"code":\s*"Invalid')), None),
        (Expect(body=BodyExpect(json=(("code", '"InvalidApiKey"'), ("data.items.0.n", "2")))), None),
        (
            Expect(body=BodyExpect(contains="quota")),
            f"expected body to contain 'quota', got {BODY!r}",
        ),
        (
            Expect(body=BodyExpect(json=(("code", '"NoPermission"'),))),
            'expected body json code = "NoPermission", got \'"InvalidApiKey"\'',
        ),
        (
            Expect(body=BodyExpect(json=(("data.items.3.n", "2"),))),
            "expected body json data.items.3.n = 2, got nothing at data.items.3.n",
        ),
        (
            Expect(statuses=(404,), vendor_code="X"),
            "expected status 404, got 401; expected vendor code X, got InvalidApiKey",
        ),
    ],
)
def test_each_matcher_says_what_it_expected_and_what_was_there(expect: Expect, reason: str | None) -> None:
    assert _reason(expect) == reason


def test_a_body_that_is_not_json_fails_a_json_matcher_with_its_start() -> None:
    outcome = Outcome(probe_id="p", klass=OutcomeClass.OK, explanation="", status=200, body_excerpt="<html>x" * 40)
    reason = _reason(Expect(body=BodyExpect(json=(("code", '"X"'),))), outcome)
    assert reason == f"expected a JSON body for json code, got {('<html>x' * 40)[:119] + '…'!r}"


def test_a_scrubbed_secret_cannot_be_matched_or_shown() -> None:
    """The matchers see the body as the outcome keeps it, already scrubbed: the secret is not there to find."""
    outcome = Outcome(
        probe_id="p", klass=OutcomeClass.OK, explanation="", status=200, body_excerpt='{"token":"[redacted]"}'
    )
    reason = _reason(Expect(body=BodyExpect(contains="sk-sp-secret")), outcome)
    assert reason == "expected body to contain 'sk-sp-secret', got '{\"token\":\"[redacted]\"}'"


def test_without_an_answer_only_status_or_class_speak() -> None:
    timeout = Outcome(probe_id="p", klass=OutcomeClass.TIMEOUT, explanation="")
    assert _reason(Expect(statuses=(200,), vendor_code="X"), timeout) == "expected status 200, got timeout"
    assert _reason(_header("server", Matcher.PRESENT), timeout) == "expected an answer, got timeout"


def test_only_named_headers_are_kept_and_credential_headers_by_name_only() -> None:
    expect = Expect(headers=(HeaderExpect("Set-Cookie", Matcher.ABSENT), HeaderExpect("Server", Matcher.PRESENT)))
    headers = [("Server", "nginx"), ("Set-Cookie", "login_aliyunid_ticket=secret"), ("Date", "now")]
    assert named_headers(expect, headers) == (("server", "nginx"), ("set-cookie", ""))
    assert named_headers(None, headers) == ()
    kept = named_headers(expect, headers)
    outcome = Outcome(probe_id="p", klass=OutcomeClass.OK, explanation="", status=200, checked_headers=kept)
    assert _reason(expect, outcome) == "expected header Set-Cookie absent, got present"


# --- end to end: the replica, today and in the hypothetical usage-ratelimited scenario ---------------------------

CATALOGUE = """\
version: 1
defaults:
  auth: key
  tags: {region: intl, surface: api}
probes:
  - id: usage
    description: "#612 row 5, with no rate-limit headers"
    url: https://coding-intl.dashscope.aliyuncs.com/compatible-mode/v1/usage
    expect:
      headers: {x-ratelimit-remaining-requests: absent}
  - id: models
    description: "#612 row 4, the flat InvalidApiKey body"
    url: https://dashscope-intl.aliyuncs.com/api/v1/models
    expect:
      vendor_code: InvalidApiKey
      body: {json: {code: InvalidApiKey}}
"""


@pytest.fixture(params=["observed", "usage-ratelimited"])
def replica(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replica]:
    """The replica in a scenario, served by its own event loop in a thread while `prober run` runs beside it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    directory = tmp_path_factory.mktemp("replica")
    served = asyncio.run_coroutine_threadsafe(start(port=0, directory=directory, scenario=request.param), loop)
    replica = served.result(timeout=30)
    yield replica
    asyncio.run_coroutine_threadsafe(replica.close(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def test_no_rate_limit_headers_holds_today_and_fails_naming_the_matcher_when_they_appear(
    replica: Replica, tmp_path: Path
) -> None:
    path = tmp_path / "probes.yaml"
    path.write_text(CATALOGUE)
    out = tmp_path / "reports"
    result = prober(
        "run",
        str(path),
        "--connect-to",
        replica.connect_to,
        "--cacert",
        str(replica.ca_path),
        "--out",
        str(out),
        env={"DASHSCOPE_API_KEY": "sk-sp-" + "e2e0" * 8},
    )
    report = json.loads(next(out.glob("*.json")).read_text())
    outcomes = {r["probe"]["id"]: r["outcome"] for r in report["results"]}
    assert outcomes["models"]["expected"] is True, outcomes["models"]
    if replica.scenario == "observed":
        assert result.returncode == 0, result.stderr
        assert outcomes["usage"]["expected"] is True
    else:
        assert result.returncode == 1, result.stderr
        assert outcomes["usage"]["unexpected_reason"] == (
            "expected header x-ratelimit-remaining-requests absent, got present ('5880')"
        )
        markdown = next(out.glob("*.md")).read_text()
        assert "expected header x-ratelimit-remaining-requests absent, got present ('5880')" in markdown
        assert "drift: 1 unexpected outcome" in result.stderr
