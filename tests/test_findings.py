"""Findings as a table: hand-built sweeps in, plain-language conclusions with evidence and fixes out (issue 13)."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest

from prober import findings, serial
from prober.findings import Finding
from prober.model import (
    Auth,
    Change,
    ChangeKind,
    Comparison,
    KeyStyle,
    Outcome,
    OutcomeClass,
    Probe,
    Quota,
    QuotaWindow,
    Sweep,
)
from prober.report import Format, renderer
from tests.builders import STAMP, answer, make_probe, make_sweep, skipped

PASSPORT = ("login_current_pk", "login_aliyunid_pk", "login_aliyunid", "cr_token", "x5sec")
GATEWAY = "https://modelstudio.console.alibabacloud.com/data/api.json?action=x"
CLI = "https://bailian-singapore-cs.alibabacloud.com/cli/api.json?action=y"


def _probe(pid: str, url: str, auth: Auth = Auth.KEY, surface: str = "api", style: KeyStyle | None = None) -> Probe:
    return make_probe(pid, url, auth=auth, style=style, surface=surface, source="test")


def _found(sweep: Sweep) -> dict[str, Finding]:
    return {f.rule: f for f in findings.find(sweep)}


def _intl_cookie_sweep(sent: tuple[str, ...]) -> Sweep:
    dashboard = _probe(
        "dashboard-intl", "https://modelstudio.console.alibabacloud.com/ap-southeast-1/", Auth.COOKIES, "console"
    )
    rpc = _probe(
        "console-rpc-intl", "https://bailian-singapore-cs.alibabacloud.com/data/api.json", Auth.COOKIES, "console"
    )
    return make_sweep(
        (dashboard, answer(dashboard, OutcomeClass.REDIRECT_TO_LOGIN, 302, cookies=sent)),
        (rpc, answer(rpc, OutcomeClass.CONSOLE_LOGIN_REQUIRED, 200, "BailianGateway.Login.NotLogined", cookies=sent)),
    )


def test_an_intl_passport_jar_is_named_with_the_missing_ticket() -> None:
    found = _found(_intl_cookie_sweep(PASSPORT))["cookies-intl-passport"]
    assert found.sentence == (
        "Your cookies are an INTL passport session without login_aliyunid_ticket: "
        "the cookie route sends you to login (2 probes on 2 hosts)"
    )
    assert found.evidence == ("dashboard-intl", "console-rpc-intl")
    assert "bl auth login --console" in found.remedy and "docs/vendor.md#intl-quota" in found.remedy


@pytest.mark.parametrize(
    ("sent", "rule", "words"),
    [
        ((*PASSPORT, "login_aliyunid_ticket"), "cookies-refused", "although login_aliyunid_ticket was sent"),
        ((), "cookies-none-sent", "No cookie of the jar was sent"),
        (("cna", "aliyun_lang"), "cookies-no-ticket", "Your cookies are a session without login_aliyunid_ticket"),
    ],
)
def test_other_refused_sessions_say_why(sent: tuple[str, ...], rule: str, words: str) -> None:
    found = _found(_intl_cookie_sweep(sent))
    assert words in found[rule].sentence


def _token_sweep(klass: OutcomeClass, **more: Any) -> Sweep:
    probe = _probe("cli-gateway-intl", CLI, Auth.CONSOLE_TOKEN, "console")
    if klass is OutcomeClass.SKIPPED:
        outcome = skipped(probe, "no console token: set BAILIAN_CONSOLE_TOKEN")
    else:
        outcome = answer(probe, klass, 200, **more)
    return make_sweep((probe, outcome))


def test_no_console_token_points_at_the_route_that_works_for_intl() -> None:
    found = _found(_token_sweep(OutcomeClass.SKIPPED))
    assert "skipped" not in found  # the console-token finding says it; the generic one does not repeat it
    missing = found["console-token-missing"]
    assert missing.sentence.startswith("No console token was given: the console-token route (/cli/api.json) is the one")
    assert "works for INTL accounts" in missing.sentence
    assert missing.remedy == (
        "how to get one: bl auth login --console, then set BAILIAN_CONSOLE_TOKEN; see docs/vendor.md#console-token"
    )


def test_a_working_console_token_route_shows_the_quota() -> None:
    windows = (QuotaWindow("5h", 120, 6000, None, rolling=True), QuotaWindow("week", 3400, 45000, STAMP))
    found = _found(_token_sweep(OutcomeClass.OK, quota=Quota("pro", "VALID", windows)))["console-token-works"]
    assert found.sentence == (
        "The console-token route works: 5h 120/6000 (rolling) · week 3400/45000 on "
        "bailian-singapore-cs.alibabacloud.com/cli/api.json"
    )


def test_a_refused_console_token_says_how_to_renew_it() -> None:
    found = _found(_token_sweep(OutcomeClass.KEY_REJECTED, code="NoPermission"))["console-token-refused"]
    assert found.sentence == "The console token was refused on all 1 console-token probe (NoPermission)"
    assert "one to four days" in found.remedy


def test_the_key_on_the_console_in_three_header_styles() -> None:
    pairs = []
    for style in KeyStyle:
        probe = _probe(f"console-gateway-intl/{style.value}", GATEWAY, Auth.KEY, "console", style)
        pairs.append((probe, answer(probe, OutcomeClass.CONSOLE_LOGIN_REQUIRED, 200, "ConsoleNeedLogin")))
    cli = _probe("cli-gateway-intl-key", CLI, Auth.KEY, "console")
    pairs.append((cli, answer(cli, OutcomeClass.KEY_REJECTED, 200, "NoPermission")))
    found = _found(make_sweep(*pairs))["key-on-console"]
    assert found.sentence == (
        "The key is not accepted by the console gateways: ConsoleNeedLogin on /data/api.json in all 3 header styles; "
        "NoPermission on /cli/api.json"
    )
    assert len(found.evidence) == 4


def test_no_quota_path_on_the_key_hosts_counts_the_404s() -> None:
    pairs = []
    for n, path in enumerate(("policies", "usage", "subscriptions", "quota", "x", "y", "z")):
        host = "dashscope-intl.aliyuncs.com" if n < 4 else "coding-intl.dashscope.aliyuncs.com"
        probe = _probe(f"p{n}", f"https://{host}/api/v1/{path}")
        pairs.append((probe, answer(probe, OutcomeClass.NOT_FOUND, 404)))
    found = _found(make_sweep(*pairs))
    assert found["no-quota-path"].sentence == (
        "No quota API on the key hosts: 7 paths answer 404 on dashscope-intl.aliyuncs.com and "
        "coding-intl.dashscope.aliyuncs.com"
    )
    assert found["no-rate-limit-headers"].sentence == "No rate-limit headers on any answer (7 answers)"


def test_unreachable_probes_are_counted_by_cause_with_a_fix() -> None:
    pairs = []
    for n in range(3):
        probe = _probe(f"gone-{n}", f"https://h{n}.example.test/", Auth.NONE)
        pairs.append((probe, Outcome(probe.id, OutcomeClass.DNS_ERROR, "the host name did not resolve")))
    found = _found(make_sweep(*pairs))
    assert found["unreachable"].sentence == "3 probes could not be reached (DNS)"
    assert "--connect-to" in found["unreachable"].remedy
    assert "no-rate-limit-headers" not in found  # nothing answered: nothing to say about headers


def test_unexpected_changed_and_incomplete_come_first() -> None:
    probe = _probe("p", "https://dashscope-intl.aliyuncs.com/api/v1/usage")
    outcome = answer(probe, OutcomeClass.OK, 200, expected=False, unexpected_reason="expected status 404, got 200")
    change = Change("p", ChangeKind.STATUS, "404", "200", "404 → 200: the endpoint now exists")
    baseline = Comparison(STAMP, STAMP, (change,), (), (), 0)
    sweep = make_sweep((probe, outcome), complete=False, baseline=baseline)
    rules = [f.rule for f in findings.find(sweep)]
    assert rules[:3] == ["incomplete", "unexpected", "changed"]
    found = _found(sweep)
    assert found["unexpected"].sentence == (
        "1 outcome is not what the catalogue expects (first p: expected status 404, got 200)"
    )
    assert found["changed"].sentence.startswith("1 change in 1 probe since the baseline of 2026-11-29T08:00:00Z")


def test_skips_are_grouped_by_reason_with_their_fixes() -> None:
    billable = _probe("messages", "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic/v1/messages")
    keyless = _probe("models", "https://dashscope-intl.aliyuncs.com/api/v1/models")
    sweep = make_sweep(
        (billable, skipped(billable, "billable probe: pass --billable to send it")),
        (keyless, skipped(keyless, "no API key: set DASHSCOPE_API_KEY")),
    )
    found = _found(sweep)["skipped"]
    assert found.sentence == "2 probes were skipped: billable probe, no API key"
    assert found.remedy == (
        "pass --billable to send the billable probes; set DASHSCOPE_API_KEY (or pass --key-env or --key-file)"
    )


def test_a_server_value_is_only_ever_a_value() -> None:
    """Vendor codes, hosts and probe ids are pieces marked as values, never our own words: every renderer can show
    them as code (Markdown) or plain (terminal) without reading them."""
    probe = _probe("console-gateway/x", GATEWAY, Auth.KEY, "console")
    hostile = "Evil`code | @octocat"
    found = _found(make_sweep((probe, answer(probe, OutcomeClass.CONSOLE_LOGIN_REQUIRED, 200, hostile))))
    pieces = found["key-on-console"].text
    assert (hostile, True) in pieces
    assert all(hostile not in text for text, is_value in pieces if not is_value)


def test_findings_read_back_from_a_report_are_the_same() -> None:
    sweep = _intl_cookie_sweep(PASSPORT)
    again = serial.load(json.loads(renderer(Format.JSON)(sweep)))
    assert findings.find(again) == findings.find(sweep)
    stored = json.loads(renderer(Format.JSON)(sweep))["findings"]
    assert [f["rule"] for f in stored] == [f.rule for f in findings.find(sweep)]


def test_every_rule_cites_where_its_reading_comes_from() -> None:
    for rule in findings.RULES:
        source = inspect.getsource(rule)
        assert re.search(r"docs/vendor\.md#|RFC \d+|prober['/]|README", source), rule.__name__


def test_our_words_stay_plain_markdown_and_only_values_and_flags_are_code() -> None:
    from prober.report.text import words
    from tests.test_report import _sweep as golden_sweep
    from tests.test_ticket import big_sweep

    for sweep in (golden_sweep(), big_sweep(50), _intl_cookie_sweep(PASSPORT), _token_sweep(OutcomeClass.SKIPPED)):
        for found in findings.find(sweep):
            for pieces in (found.text, found.fix):
                values = {text for text, is_value in pieces if is_value}
                spans = re.findall(r"`([^`]+)`", words(pieces))
                assert all(span in values or span.startswith("--") for span in spans), (found.rule, spans)


def test_the_index_groups_every_pair_once_in_catalogue_order() -> None:
    """The rules read groups of the index instead of every outcome: each group keeps the catalogue's order (the
    evidence lists it), and together the groups by class, like those by credential, are every pair once."""
    probes = [
        _probe("a", CLI, Auth.CONSOLE_TOKEN, "console"),
        _probe("b", "https://dashscope.aliyuncs.com/api/v1/x"),
        _probe("c", GATEWAY, Auth.COOKIES, "console"),
        _probe("d", "https://dashscope.aliyuncs.com/api/v1/y"),
        _probe("e", CLI, Auth.CONSOLE_TOKEN, "console"),
    ]
    outcomes = [
        answer(probes[0], OutcomeClass.KEY_REJECTED, 403),
        answer(probes[1], OutcomeClass.NOT_FOUND, 404),
        skipped(probes[2], "no cookie jar"),
        answer(probes[3], OutcomeClass.KEY_REJECTED, 401),
        answer(probes[4], OutcomeClass.OK, 200),
    ]
    pairs = list(zip(probes, outcomes, strict=True))
    index = findings.Index(pairs)

    def ids(group: tuple[tuple[Probe, Outcome], ...]) -> list[str]:
        return [p.id for p, _ in group]

    assert ids(index.all) == ["a", "b", "c", "d", "e"]
    assert ids(index.of(OutcomeClass.KEY_REJECTED)) == ["a", "d"]
    assert ids(index.presenting(Auth.CONSOLE_TOKEN)) == ["a", "e"]
    assert ids(index.presenting(Auth.KEY)) == ["b", "d"]
    assert index.of(OutcomeClass.TIMEOUT) == () and index.presenting(Auth.NONE) == ()
    by_class = [pair for klass in OutcomeClass for pair in index.of(klass)]
    by_auth = [pair for auth in Auth for pair in index.presenting(auth)]
    assert sorted(map(id, by_class)) == sorted(map(id, by_auth)) == sorted(map(id, pairs))
