"""The exit code as a table (prober/verdict.py), and the JUnit report and the terminal's closing lines telling the same
story: drift is 1 (changes only with --fail-on changed), unreachable alone is 4, drift wins over unreachable, none 0."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
import xmlschema

from prober import verdict
from prober.errors import ExitCode
from prober.expectations import FailOn
from prober.model import Change, ChangeKind, Comparison, Hop, Outcome, OutcomeClass, Probe, Sweep
from prober.report import junit, terminal
from tests.test_junit import XSD

URL = "https://dashscope-intl.aliyuncs.com/api/v1/models"

OK = Outcome("ok", OutcomeClass.NOT_FOUND, "404", status=404, hops=(Hop("GET", URL, 404, "Not Found"),), expected=True)
UNEXPECTED = Outcome(
    "drift",
    OutcomeClass.OK,
    "200",
    status=200,
    hops=(Hop("GET", URL, 200, "OK"),),
    expected=False,
    unexpected_reason="expected status 404, got 200",
)
DNS = Outcome("dns", OutcomeClass.DNS_ERROR, "cannot resolve the host", error="ClientConnectorDNSError")
DNS_EXPECTING = replace(DNS, probe_id="dns-expecting", expected=False, unexpected_reason="expected status 404")
DNS_ALLOWED = replace(DNS, probe_id="dns-allowed", expected=True)  # expect: {class: dns_error}
SKIPPED = Outcome("skipped", OutcomeClass.SKIPPED, "no API key: set DASHSCOPE_API_KEY")


def sweep(*outcomes: Outcome, changed: tuple[str, ...] = (), removed: tuple[str, ...] = ()) -> Sweep:
    baseline = None
    if changed or removed:
        changes = [Change(i, ChangeKind.STATUS, "404", "200", "404 → 200: the endpoint now exists") for i in changed]
        changes += [Change(i, ChangeKind.REMOVED, "404 not_found", None, "not in the new sweep") for i in removed]
        baseline = Comparison("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", tuple(changes), (), removed, 0)
    probes = tuple(Probe(o.probe_id, "d", "GET", URL) for o in outcomes)
    return Sweep((), probes, outcomes, "2026-01-02T00:00:00Z", "2026-01-02T00:00:01Z", baseline=baseline)


CHANGED_OK = replace(OK, probe_id="changed")

# (name, sweep, fail_on, exit code)
CASES = [
    ("clean", sweep(OK, SKIPPED), FailOn.UNEXPECTED, ExitCode.OK),
    ("an unexpected answer is drift", sweep(OK, UNEXPECTED), FailOn.UNEXPECTED, ExitCode.FAILED),
    ("a change alone passes by default", sweep(CHANGED_OK, changed=("changed",)), FailOn.UNEXPECTED, ExitCode.OK),
    ("a change fails with --fail-on changed", sweep(CHANGED_OK, changed=("changed",)), FailOn.CHANGED, ExitCode.FAILED),
    ("a removed probe is a change", sweep(OK, removed=("gone",)), FailOn.CHANGED, ExitCode.FAILED),
    ("every probe unreachable is 4", sweep(DNS, DNS_EXPECTING), FailOn.UNEXPECTED, ExitCode.UNREACHABLE),
    ("unreachable is 4 with --fail-on changed too", sweep(OK, DNS), FailOn.CHANGED, ExitCode.UNREACHABLE),
    ("a transport failure expect: allows is fine", sweep(OK, DNS_ALLOWED), FailOn.UNEXPECTED, ExitCode.OK),
    ("drift wins over unreachable", sweep(UNEXPECTED, DNS), FailOn.UNEXPECTED, ExitCode.FAILED),
    # The probe now fails DNS: the change is the outage's, not the vendor's, so it is not drift.
    ("a change to unreachable is not drift", sweep(DNS, changed=("dns",)), FailOn.CHANGED, ExitCode.UNREACHABLE),
    ("--fail-on none passes drift", sweep(UNEXPECTED, DNS), FailOn.NONE, ExitCode.OK),
    ("skipped probes never fail", sweep(SKIPPED), FailOn.CHANGED, ExitCode.OK),
]


@pytest.mark.parametrize(("case", "fail_on", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_exit_code(case: Sweep, fail_on: FailOn, code: ExitCode) -> None:
    assert verdict.judge(case, fail_on).code is code


@pytest.mark.parametrize(("case", "fail_on", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_junit_tells_the_same_story(case: Sweep, fail_on: FailOn, code: ExitCode) -> None:
    suite = ET.fromstring(junit.render(case, fail_on).encode())
    failures, errors = int(suite.get("failures") or 0), int(suite.get("errors") or 0)
    if fail_on is not FailOn.NONE:  # --fail-on none passes whatever JUnit records
        assert (code is ExitCode.FAILED) == (failures > 0)
        assert (code is ExitCode.UNREACHABLE) == (errors > 0 and failures == 0)
    judged = verdict.judge(case, fail_on)
    failed = {c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None}
    erred = {c.get("name") for c in suite.findall("testcase") if c.find("error") is not None}
    assert erred == {o.probe_id for o in judged.unreachable}
    assert failed == {o.probe_id for o in judged.unexpected} | (
        {i for i, _ in judged.changed} if fail_on is FailOn.CHANGED else set()
    )


def test_a_change_with_fail_on_changed_is_a_junit_failure_naming_it() -> None:
    case = sweep(OK, CHANGED_OK, SKIPPED, changed=("changed",), removed=("gone",))
    suite = ET.fromstring(junit.render(case, FailOn.CHANGED).encode())
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failure = cases["changed"].find("failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "changed since the baseline: 404 → 200: the endpoint now exists",
        "type": "changed",
    }
    removed = cases["gone"]
    assert removed.get("classname") == "prober.removed" and removed.find("failure") is not None
    skipped = cases["skipped"].find("skipped")
    assert skipped is not None and skipped.get("message") == "no API key: set DASHSCOPE_API_KEY"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "2", "1")
    # Without --fail-on changed, the same sweep passes in JUnit as it does in the exit code.
    assert ET.fromstring(junit.render(case).encode()).get("failures") == "0"
    xmlschema.XMLSchema(str(XSD)).validate(junit.render(case, FailOn.CHANGED))


def test_the_terminal_names_every_probe_behind_the_exit_code() -> None:
    case = sweep(UNEXPECTED, DNS, CHANGED_OK, changed=("changed",))
    text = terminal.verdict(verdict.judge(case, FailOn.CHANGED))
    assert text.splitlines() == [
        "Unexpected: 1 probe answered outside the catalogue's expect:",
        "  - drift: expected status 404, got 200",
        "Changed since the baseline: 1 probe",
        "  - changed: 404 → 200: the endpoint now exists",
        "Unreachable: 1 probe got no HTTP answer (an outage or a proxy problem, not vendor drift)",
        "  - dns: dns_error: ClientConnectorDNSError",
        "Failed (--fail-on changed): exit 1, drift: 1 unexpected outcome, 1 changed probe; also 1 unreachable",
    ]
    quiet = terminal.verdict(verdict.judge(case, FailOn.UNEXPECTED))
    assert "Changed since the baseline: 1 probe (not failing the run without --fail-on changed)" in quiet
    outage = terminal.verdict(verdict.judge(sweep(DNS, OK), FailOn.UNEXPECTED))
    assert " ".join(outage.splitlines()[-2:]) == (
        "Unreachable (--fail-on unexpected): exit 4, 1 of 2 probes got no HTTP answer and no answer drifted: "
        "check the network, proxy and DNS, then run again"
    )
    assert all(len(line) <= terminal.WIDTH for line in outage.splitlines())
    assert terminal.verdict(verdict.judge(sweep(OK), FailOn.UNEXPECTED)) == ""
    assert terminal.verdict(verdict.judge(sweep(UNEXPECTED), FailOn.NONE)).endswith(
        "Passed (--fail-on none): exit 0, none of the above fails the run"
    )
