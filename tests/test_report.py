"""Golden-file tests of the pure renderers over a hand-built sweep, and the JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from prober import serial, store
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Expect,
    Hop,
    KeyStyle,
    Outcome,
    OutcomeClass,
    Quota,
    QuotaWindow,
    Sweep,
    Tags,
    Timings,
    VendorError,
)
from prober.report import Format, chunks, curl, markdown, renderer
from prober.report import json as json_report
from tests.builders import make_probe, make_sweep, skipped

GOLDEN = Path(__file__).parent / "data" / "golden"
GATEWAY = "https://modelstudio.console.alibabacloud.com/data/api.json?action=x"


def _sweep() -> Sweep:
    probes = (
        make_probe(
            "policies",
            "https://dashscope-intl.aliyuncs.com/api/v1/policies",
            description="INTL policies",
            expect=Expect(statuses=(404,)),
            source="CodexBar #612 row 1",
        ),
        make_probe(
            "gateway/x-api-key",
            GATEWAY,
            method="POST",
            description="console gateway",
            headers=(("Accept", "*/*"),),
            body=Body(BodyKind.JSON, '{"a":"it\'s"}'),
            style=KeyStyle.X_API_KEY,
            surface="console",
            expect=Expect(statuses=(200,), klass=OutcomeClass.OK),
            source="A1",
        ),
        make_probe(
            "gateway/bearer", GATEWAY, method="POST", description="console gateway", surface="console", source="A1"
        ),
        make_probe(
            "rpc",
            "https://bailian-cs.console.aliyun.com/data/api.json",
            method="POST",
            description="RPC host | with a pipe",
            body=Body(BodyKind.FORM, "params=%7B%7D&region=cn-beijing"),
            auth=Auth.COOKIES,
            region="cn",
            surface="console",
            source="A1 row 4",
        ),
        make_probe(
            "messages",
            "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic/v1/messages",
            method="POST",
            description="inference",
            tags=Tags("intl", "inference", "billable"),
            source="#612",
        ),
        make_probe(
            "gone", "https://nowhere.example.test/", description="dns", auth=Auth.NONE, region="global", source="t"
        ),
    )
    outcomes = (
        Outcome(
            "policies",
            OutcomeClass.NOT_FOUND,
            "404: no such endpoint on this host",
            status=404,
            reason="Not Found",
            hops=(Hop("GET", probes[0].url, 404, "Not Found", key_sent=True),),
            final_url=probes[0].url,
            timings=Timings(12.5, 1.0, 5.0, 10.0),
            remote_addr="127.0.0.1:8443",
            diagnostics=(("x-request-id", "abc"), ("server", "istio-envoy")),
            expected=True,
        ),
        Outcome(
            "gateway/x-api-key",
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            "200 ConsoleNeedLogin: console only",
            status=200,
            reason="OK",
            hops=(Hop("POST", GATEWAY, 200, "OK", key_sent=True),),
            content_type="application/json",
            body_excerpt='{"code":"ConsoleNeedLogin"}',
            body_bytes=27,
            vendor_error=VendorError("console", "ConsoleNeedLogin", "You need to log in.", "rid-1"),
            rate_limits=(("x-ratelimit-remaining-requests", "17"),),
            expected=False,
            unexpected_reason="expected class ok, got console_login_required",
        ),
        skipped(probes[2], "no API key: set DASHSCOPE_API_KEY"),
        Outcome(
            "rpc",
            OutcomeClass.REDIRECT_TO_LOGIN,
            "302 → signin.aliyun.com: login",
            status=200,
            reason="OK",
            hops=(
                Hop(
                    "POST",
                    probes[3].url,
                    302,
                    "Found",
                    location="https://signin.aliyun.com/login?x=1",
                    cookies_sent=("login_aliyunid_pk", "cna"),
                ),
                Hop("GET", "https://signin.aliyun.com/login?x=1", 200, "OK"),
            ),
            final_url="https://signin.aliyun.com/login?x=1",
            body_excerpt="<html>```fenced```</html>",
            body_bytes=300000,
            body_truncated=True,
        ),
        Outcome(
            "messages",
            OutcomeClass.OK,
            "200: quota",
            status=200,
            reason="OK",
            hops=(Hop("POST", probes[4].url, 200, "OK", key_sent=True),),
            quota=Quota(
                "pro",
                "VALID",
                (QuotaWindow("5h", 12, 6000, "2026-11-29T13:00:00Z"), QuotaWindow("week", 300, 45000, None)),
            ),
        ),
        Outcome(
            "gone",
            OutcomeClass.DNS_ERROR,
            "the host name did not resolve",
            error="ClientConnectorDNSError: Cannot connect",
            timings=Timings(3.0),
        ),
    )
    return make_sweep(
        *zip(probes, outcomes, strict=True),
        environment=(("Tool", "prober 0.0.0"), ("API key", "sk-sp-… (38 chars, fingerprint sha256:0123456789)")),
        finished="2026-11-29T08:00:01Z",
    )


@pytest.mark.parametrize("fmt", list(Format))
def test_renderers_match_golden_files(fmt: Format) -> None:
    text = renderer(fmt)(_sweep())
    path = GOLDEN / f"report{fmt.suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("fmt", list(Format))
def test_the_pieces_of_a_report_join_to_the_report(fmt: Format) -> None:
    """What `store.write_reports` writes a piece at a time is what the renderer returns, for every layout and for
    a sweep without probes."""
    for sweep in (_sweep(), dataclasses.replace(_sweep(), layout=1), make_sweep()):
        pieces = list(chunks(fmt)(sweep))
        assert all(isinstance(piece, str) for piece in pieces)
        assert "".join(pieces) == renderer(fmt)(sweep)


def test_the_large_reports_come_a_probe_at_a_time() -> None:
    sweep = _sweep()
    assert len(list(chunks(Format.MD)(sweep))) == 1 + len(sweep.probes)  # the head, then each section
    assert len(list(chunks(Format.JSON)(sweep))) == 1 + len(sweep.probes)  # the head with the first, each other, end


def test_written_reports_are_the_rendered_text(tmp_path: Path) -> None:
    sweep = _sweep()
    paths = store.write_reports(sweep, tmp_path, "r", list(Format))
    for fmt, path in zip(Format, paths, strict=True):
        assert path.read_bytes() == renderer(fmt)(sweep).encode("utf-8")


def test_a_report_that_fails_while_written_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("old\n")

    def pieces() -> Iterator[str]:
        yield "new, half written"
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError, match="renderer failed"):
        store.write(target, pieces())
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["r.md"]


def test_json_escapes_what_a_terminal_or_editor_would_act_on_and_keeps_the_rest() -> None:
    """ASCII text skips the pattern, but DEL is ASCII: it must still be escaped."""
    assert json_report.encode(["a\x7fb", "plain"]) == '["a\\u007fb", "plain"]'
    assert json_report.encode("\x9b\u202e é → \ud800") == '"\\u009b\\u202e é → \\ud800"'
    assert json_report.encode({"k": [1, None]}, indent=2) == '{\n  "k": [\n    1,\n    null\n  ]\n}'


def test_every_format_has_a_renderer() -> None:
    for fmt in Format:
        assert callable(renderer(fmt))


def test_json_round_trip_is_lossless() -> None:
    sweep = _sweep()
    assert serial.load(json.loads(renderer(Format.JSON)(sweep))) == sweep


def test_other_schema_versions_fail_clearly() -> None:
    from prober.errors import ReportError

    with pytest.raises(ReportError, match="schema_version 99"):
        serial.load({"schema_version": 99})
    with pytest.raises(ReportError, match="not a prober JSON report"):
        serial.load([1, 2])


@pytest.mark.parametrize(
    ("index", "cell"),
    [
        (0, "404"),
        (1, "200 ConsoleNeedLogin · x-ratelimit-remaining-requests 17 ⚠ unexpected"),
        (3, "302 → signin.aliyun.com"),
        (4, "200 · quota 5h 12/6000"),
        (5, "dns_error"),
    ],
)
def test_result_cells_read_like_the_ticket_table(index: int, cell: str) -> None:
    sweep = _sweep()
    assert markdown.result_text(sweep.outcomes[index]).startswith(cell)


def test_the_markdown_result_cell_shows_server_values_as_code() -> None:
    outcomes = _sweep().outcomes
    assert markdown.result(outcomes[1]).startswith("200 `ConsoleNeedLogin` · `x-ratelimit-remaining-requests 17` ⚠")
    assert markdown.result(outcomes[3]) == "302 → `signin.aliyun.com`"


def test_the_terminal_result_has_no_markdown_escapes() -> None:
    hop = Hop("GET", "https://a.example.test/", 302, "Found", location="https://b.example.test/")
    outcome = Outcome(
        "x",
        OutcomeClass.CLIENT_ERROR,
        "400",
        status=400,
        hops=(hop, Hop("GET", "https://b.example.test/", 400, "Bad")),
        vendor_error=VendorError("flat", "Bad|Code\\x", "m"),
    )
    assert markdown.result_text(outcome) == "302 → b.example.test 400 Bad|Code\\x"
    assert markdown.result(outcome) == "302 → `b.example.test` 400 `Bad\\|Code\\x`"


def test_a_long_redirect_chain_keeps_the_result_cell_bounded() -> None:
    urls = [f"https://h{n}.example.test/" for n in range(60)]
    hops = tuple(Hop("GET", url, 302, "Found", location=url) for url in urls)
    outcome = Outcome("x", OutcomeClass.REDIRECT_LOOP, "loop", status=302, hops=hops)
    text = markdown.result_text(outcome)
    assert "(52 more hops)" in text
    assert "h1.example.test" in text and "h59.example.test" in text and "h30.example.test" not in text
    assert len(markdown.result(outcome)) < 600


def test_curl_uses_placeholders_and_quotes_safely() -> None:
    sweep = _sweep()
    line = curl.command(sweep.probes[1])
    assert '"x-api-key: $DASHSCOPE_API_KEY"' in line
    assert '--data-raw \'{"a":"it\'"\'"\'s"}\'' in line
    assert '"Cookie: $COOKIE"' in curl.command(sweep.probes[3])


def test_a_report_of_layout_1_renders_its_markdown_and_json_byte_for_byte() -> None:
    """A report written before findings and the new reproducers (issue 13) reads back as it was written."""
    old = GOLDEN / "layout1"
    data = (old / "report.json").read_text()
    sweep = serial.load(json.loads(data))
    assert sweep.layout == 1
    assert renderer(Format.MD)(sweep) == (old / "report.md").read_text()
    assert renderer(Format.JSON)(sweep) == data
    assert "## Findings" not in renderer(Format.MD)(sweep)
    assert "## Findings" in renderer(Format.MD)(_sweep())


def test_findings_open_the_report_and_the_job_summary() -> None:
    for text in (markdown.render(_sweep()), markdown.summary(_sweep())):
        assert text.split("\n## ")[1].startswith("Findings\n")
        assert "without `login_aliyunid_ticket`" in text


def test_the_reproducer_reads_the_jar_with_b_and_reaches_hosts_as_the_run_did() -> None:
    from dataclasses import replace

    sweep = _sweep()
    environment = (("Connect-to", "::127.0.0.1:8443"), ("CA", "--cacert file"))
    how = curl.reach(environment)
    assert how == curl.Reach(connect_to=("::127.0.0.1:8443",), cacert=True)
    cookie = curl.reproducer(sweep.probes[3], sweep.outcomes[3], how)
    notes, command = cookie.splitlines()[:-1], cookie.splitlines()[-1]
    assert notes == [
        "# cookies.txt: your cookie jar in Netscape format (as curl -c or a browser export writes it); "
        "this probe sent login_aliyunid_pk, cna",
        "# ca.pem: the CA bundle the run trusted (--cacert)",
    ]
    assert command.startswith("curl -sS -i --connect-to ::127.0.0.1:8443 --cacert ca.pem -X POST ")
    assert " -b cookies.txt " in command and "$COOKIE" not in command
    key = curl.reproducer(sweep.probes[0], sweep.outcomes[0], curl.Reach())
    assert key == (
        'curl -sS -i https://dashscope-intl.aliyuncs.com/api/v1/policies -H "Authorization: Bearer $DASHSCOPE_API_KEY"'
    )
    # The Markdown report of layout 2 carries them; the environment says how the run reached the hosts.
    text = markdown.render(replace(sweep, environment=sweep.environment + environment))
    assert "--connect-to ::127.0.0.1:8443 --cacert ca.pem" in text
    assert "-b cookies.txt" in text


def test_a_captured_value_in_a_reproducer_says_where_it_comes_from() -> None:
    probe = make_probe(
        "rpc-token",
        "https://bailian-cs.console.aliyun.com/data/api.json",
        method="POST",
        description="rpc",
        body=Body(BodyKind.FORM, "sec_token={{ sec_token }}"),
        auth=Auth.COOKIES,
        region="cn",
        surface="console",
        needs=("dashboard-cn", "user-info-cn"),
    )
    text = curl.reproducer(probe, skipped(probe, "no sec_token"), curl.Reach())
    assert "# ${SEC_TOKEN}: captured by dashboard-cn or user-info-cn in the same run" in text
    assert '--data-raw "sec_token=${SEC_TOKEN}"' in text
    assert "this probe sent" not in text  # skipped: nothing was sent
