"""The JUnit XML report: structure, counts, evidence, validity against a JUnit XSD, and nothing beyond the sweep."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from prober import serial
from prober.model import Hop, Outcome, OutcomeClass, Probe, Sweep, Tags, Timings, VendorError
from prober.redact import REDACTED
from prober.report import junit

XSD = Path(__file__).parent / "data" / "junit.xsd"
URL = "https://dashscope-intl.aliyuncs.com/api/v1/models"
RPC = "https://bailian-singapore-cs.alibabacloud.com/data/api.json"
PASSPORT = "https://passport.alibabacloud.com/login/login.htm?oauth_callback=x"


def probe(pid: str, region: str = "intl", surface: str = "api") -> Probe:
    return Probe(id=pid, description=pid, method="GET", url=URL, tags=Tags(region=region, surface=surface))


def example() -> Sweep:
    body = '{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"' + "r" * 600 + '"}'
    pairs = (
        (
            probe("passes"),
            Outcome(
                "passes",
                OutcomeClass.NOT_FOUND,
                "404: no such endpoint on this host",
                status=404,
                hops=(Hop("GET", URL, 404, "Not Found"),),
                timings=Timings(total_ms=1234.6),
                expected=True,
            ),
        ),
        (
            probe("fails", surface="console"),
            Outcome(
                "fails",
                OutcomeClass.KEY_REJECTED,
                '401 InvalidApiKey: Invalid API-key <&> "quoted"',
                status=401,
                reason="Unauthorized",
                hops=(Hop("GET", URL + f"?k={REDACTED}", 401, "Unauthorized"),),
                timings=Timings(total_ms=20.0),
                vendor_error=VendorError("flat", "InvalidApiKey", "Invalid API-key provided.", "req-1"),
                body_excerpt=body + "\x00\x1b end",
                body_bytes=len(body) + 6,
                expected=False,
                unexpected_reason="expected status 404, got 401",
            ),
        ),
        (
            probe("redirects", surface="console"),
            Outcome(
                "redirects",
                OutcomeClass.REDIRECT_TO_LOGIN,
                "302 → passport.alibabacloud.com: the console wants a browser login session",
                status=200,
                hops=(Hop("POST", RPC, 302, "Found", location=PASSPORT), Hop("GET", PASSPORT, 200, "OK")),
                expected=False,
                unexpected_reason="expected class ok, got redirect_to_login",
            ),
        ),
        (
            probe("unreachable", region="cn"),
            Outcome("unreachable", OutcomeClass.DNS_ERROR, "no such host", error="ClientConnectorDNSError: x"),
        ),
        (
            probe("timed-out-despite-expect-so-an-error"),
            Outcome("timed-out-despite-expect-so-an-error", OutcomeClass.TIMEOUT, "15 s", expected=False),
        ),
        (
            probe("skipped"),
            Outcome("skipped", OutcomeClass.SKIPPED, "no API key: set DASHSCOPE_API_KEY"),
        ),
    )
    return Sweep(
        environment=(("Tool", "prober test"), ("API key", "sk-sp-… (38 chars, fingerprint sha256:0123456789)")),
        probes=tuple(p for p, _ in pairs),
        outcomes=tuple(o for _, o in pairs),
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:07Z",
    )


def test_output_is_valid_against_the_junit_schema() -> None:
    xmlschema.XMLSchema(str(XSD)).validate(junit.render(example()))


def test_the_schema_rejects_what_it_should() -> None:
    schema = xmlschema.XMLSchema(str(XSD))
    assert not schema.is_valid('<testsuite name="x"/>')  # tests= is required
    assert not schema.is_valid('<testsuite name="x" tests="-1"/>')
    assert not schema.is_valid('<testsuite name="x" tests="1"><testcase name="a"><oops/></testcase></testsuite>')


def test_structure_and_counts() -> None:
    text = junit.render(example())
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<testsuite ")
    suite = ET.fromstring(text.encode())
    assert suite.tag == "testsuite"
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp")} == {
        "name": "prober",
        "tests": "6",
        "failures": "2",
        "errors": "2",
        "skipped": "1",
        "time": "7.000",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    assert [(p.get("name"), p.get("value")) for p in suite.iter("property")] == list(example().environment)
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        ("prober.intl.api", "passes", "1.235"),
        ("prober.intl.console", "fails", "0.020"),
        ("prober.intl.console", "redirects", "0.000"),
        ("prober.cn.api", "unreachable", "0.000"),
        ("prober.intl.api", "timed-out-despite-expect-so-an-error", "0.000"),
        ("prober.intl.api", "skipped", "0.000"),
    ]
    assert [[child.tag for child in c] for c in cases] == [
        [],
        ["failure"],
        ["failure"],
        ["error"],
        ["error"],  # unreachable though expect: wanted an answer: an outage, as exit code 4 says (issue 14)
        ["skipped"],
    ]
    assert cases[5][0].get("message") == "no API key: set DASHSCOPE_API_KEY"
    assert cases[3][0].attrib == {"message": "dns_error: no such host", "type": "dns_error"}
    assert "error: ClientConnectorDNSError: x" in (cases[3][0].text or "")


def test_failure_carries_class_explanation_and_redacted_evidence() -> None:
    suite = ET.fromstring(junit.render(example()).encode())
    failure = suite.findall("testcase")[1][0]
    assert failure.attrib == {
        "message": 'key_rejected: 401 InvalidApiKey: Invalid API-key <&> "quoted"',
        "type": "key_rejected",
    }
    lines = (failure.text or "").split("\n")
    assert lines[:5] == [
        "unexpected: expected status 404, got 401",
        "status: 401 Unauthorized",
        f"hop 1: GET {URL}?k={REDACTED} -> 401 Unauthorized",
        "vendor error (flat): InvalidApiKey Invalid API-key provided.",
        f"body ({example().outcomes[1].body_bytes} bytes, truncated):",
    ]
    # The excerpt is cut at 500 characters, so the control characters after it never arrive.
    assert lines[5] == example().outcomes[1].body_excerpt[: junit.BODY_LIMIT]
    redirect = suite.findall("testcase")[2][0].text or ""
    assert f"hop 1: POST {RPC} -> 302 Found (Location: {PASSPORT})" in redirect
    assert f"hop 2: GET {PASSPORT} -> 200 OK" in redirect


def test_control_characters_are_escaped_not_written() -> None:
    sweep = example()
    bad = Outcome("passes", OutcomeClass.SERVER_ERROR, "500 \x07", body_excerpt="a\x00b\x1bc", expected=False)
    sweep = Sweep(sweep.environment, sweep.probes[:1], (bad,), sweep.started_at, sweep.finished_at)
    text = junit.render(sweep)
    xmlschema.XMLSchema(str(XSD)).validate(text)
    failure = ET.fromstring(text.encode()).find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "server_error: 500 \\x07"
    assert (failure.text or "").endswith("a\\x00b\\x1bc")


def test_deterministic() -> None:
    assert junit.render(example()) == junit.render(example())


# The renderer's own words; everything else in the output must come from the sweep.
_VOCABULARY = {"unexpected", "status", "hop", "Location", "error", "vendor", "body", "bytes", "truncated", "no", "code"}


def test_nothing_beyond_what_the_sweep_holds() -> None:
    """Every word of every attribute and text is the sweep's (as stored in JSON) or the renderer's own."""
    sweep = example()
    stored = json.dumps(serial.dump(sweep), ensure_ascii=False)
    root = ET.fromstring(junit.render(sweep).encode())
    pieces: list[str] = []
    for element in root.iter():
        pieces += [v for k, v in element.attrib.items() if k not in ("tests", "failures", "errors", "skipped", "time")]
        pieces.append(element.text or "")
    for piece in pieces:
        # Escaped control characters and the excerpt's cut are the only rewrites the renderer makes.
        for token in re.findall(r"[A-Za-z0-9_\-.:/?=&%\[\]]{3,}", piece.replace("\\x", " ")):
            word = token.strip(":.?&=")
            assert word in stored or word in _VOCABULARY or word.startswith("prober."), word
