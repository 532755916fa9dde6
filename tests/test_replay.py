"""Issue 15: reports keep what replay needs (schema_version 2), `prober replica --from` serves it back, and the
replica's gaps are their own class, `unmodelled`, never `server_error`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from prober import recording, serial, shapes, vendor
from prober.model import Auth, Body, BodyKind, Hop, KeyStyle, Outcome, OutcomeClass, Probe, Sweep, Tags
from prober.replica import behaviours, replay
from prober.replica.behaviours import common
from prober.replica.certs import make_tls
from prober.report import Format, markdown, renderer
from tests.cli import ROOT, prober, serving
from tests.test_cli import _forms

KEY = "sk-sp-ReplayKeyCanary0123456789abcdefXYZ"
# A CN ticket session (docs/vendor.md#session-cookies): the replica derives its sec_token from the ticket.
JAR = {
    "login_aliyunid_ticket": "TicketCanary7Qw3Lm5Np2Rt8Zx9",
    "login_aliyunid_pk": "5000000000000612",
    "login_aliyunid_csrf": "CsrfCanary4Hk8Jd2Ls6Vb",
    "cna": "CnaCanary7Yt3Ge5Wq01",
}


def _jar(path: Path, suffix: str = "") -> Path:
    """The session as a Netscape cookies.txt; `suffix` makes other values of the same cookies."""
    path.write_text("".join(f".aliyun.com\tTRUE\t/\tTRUE\t0\t{n}\t{v}{suffix}\n" for n, v in JAR.items()))
    return path


# --- what a hop keeps, and how a request is found again -------------------------------------------------------


def test_a_hop_keeps_every_header_but_hop_by_hop_ones_and_cookie_values() -> None:
    kept = recording.kept_headers(
        [
            ("Content-Type", "text/html"),
            ("Connection", "keep-alive, X-Private"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("X-Private", "named by Connection"),
            ("Set-Cookie", "login_aliyunid_ticket=SECRETvalue123; Domain=.aliyun.com; Path=/; HttpOnly"),
            ("Set-Cookie", "bare=VALUEonly"),
            ("Location", "https://signin.aliyun.com/login"),
        ]
    )
    assert kept == (
        ("Content-Type", "text/html"),
        ("Set-Cookie", "login_aliyunid_ticket=; Domain=.aliyun.com; Path=/; HttpOnly"),
        ("Set-Cookie", "bare="),
        ("Location", "https://signin.aliyun.com/login"),
    )
    assert len(recording.kept_headers([("X-N", str(n)) for n in range(1000)])) == recording.MAX_HEADERS


def _probe(auth: Auth = Auth.NONE, style: KeyStyle | None = None, body: Body | None = None) -> Probe:
    url = "https://bailian-cs.console.aliyun.com/data/api.json?action=X&api=Y"
    return Probe("p", "d", "POST", url, auth=auth, key_style=style, body=body, tags=Tags("cn", "console"))


@pytest.mark.parametrize(
    ("auth", "style", "hop", "headers", "credential"),
    [
        (Auth.KEY, KeyStyle.BEARER, {"key_sent": True}, {"authorization": "Bearer sk-sp-x"}, "key:bearer"),
        (Auth.KEY, KeyStyle.X_API_KEY, {"key_sent": True}, {"x-api-key": "sk-sp-x"}, "key:x-api-key"),
        (
            Auth.KEY,
            KeyStyle.X_DASHSCOPE_API_KEY,
            {"key_sent": True},
            {"x-dashscope-api-key": "sk-x"},
            "key:x-dashscope-api-key",
        ),
        (Auth.KEY, KeyStyle.BEARER, {"withheld": ("Authorization",)}, {}, "none"),
        (Auth.CONSOLE_TOKEN, None, {"sent": ("Authorization",)}, {"authorization": "Bearer tok-123"}, "console-token"),
        (Auth.COOKIES, None, {"cookies_sent": ("cna", "login_aliyunid_ticket")}, {}, "none"),
    ],
)
def test_a_recorded_hop_and_the_replayed_request_have_one_signature(
    auth: Auth, style: KeyStyle | None, hop: dict[str, object], headers: dict[str, str], credential: str
) -> None:
    probe = _probe(auth, style)
    recorded = recording.of_hop(probe, Hop("POST", probe.url, 200, "OK", **hop))  # type: ignore[arg-type]
    cookies = hop.get("cookies_sent", ())
    asked = recording.of_request(
        "post", "Bailian-CS.console.aliyun.com.", "/data/api.json", (("action", "X"), ("api", "Y")), headers, cookies
    )
    assert recorded == asked
    assert recorded.credential == credential
    assert recorded.cookies == tuple(sorted(cookies))  # type: ignore[arg-type]


def test_a_scrubbed_query_value_matches_any_value_but_nothing_else_does() -> None:
    recorded = recording.of_request("GET", "h.aliyun.com", "/x", (("t", "[REDACTED]"), ("a", "1")), {}, ())
    assert recorded.loosely(recording.of_request("GET", "h.aliyun.com", "/x", (("t", "abc"), ("a", "1")), {}, ()))
    assert not recorded.loosely(recording.of_request("GET", "h.aliyun.com", "/x", (("t", "abc"), ("a", "2")), {}, ()))
    assert not recorded.loosely(recording.of_request("GET", "h.aliyun.com", "/x", (("t", "abc"),), {}, ()))


# --- the report format ------------------------------------------------------------------------------------------


def _sweep() -> Sweep:
    form = _probe(Auth.COOKIES, body=Body(BodyKind.FORM, "api=one&sec_token=%7B%7B+sec_token+%7D%7D"))
    other = Probe("q", "d", "POST", form.url, auth=Auth.COOKIES, body=Body(BodyKind.FORM, "api=two"))
    login = "https://signin.aliyun.com/login/login.htm?oauth_callback=x"
    first = Hop(
        "POST",
        form.url,
        302,
        "Found",
        location=login,
        cookies_sent=("login_aliyunid_ticket",),
        headers=(("Location", login[:20]), ("Set-Cookie", "a=; Path=/"), ("Content-Length", "0")),
    )
    outcomes = (
        Outcome(
            "p",
            OutcomeClass.REDIRECT_TO_LOGIN,
            "302",
            status=200,
            hops=(first, Hop("GET", login, 200, "OK", headers=(("Content-Type", "text/html"),))),
            content_type="text/html; charset=utf-8",
            body_excerpt="<html>login</html>",
        ),
        Outcome(
            "q",
            OutcomeClass.OK,
            "200",
            status=200,
            hops=(Hop("POST", form.url, 200, "OK", cookies_sent=("login_aliyunid_ticket",), headers=(("X-A", "b"),)),),
            content_type="application/json",
            body_excerpt='{"two": true}',
        ),
    )
    return Sweep((), (form, other), outcomes, "2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z")


def test_a_new_report_is_schema_version_2_and_keeps_hop_headers_losslessly() -> None:
    sweep = _sweep()
    data = json.loads(renderer(Format.JSON)(sweep))
    assert data["schema_version"] == 2
    assert data["results"][0]["outcome"]["hops"][0]["headers"][1] == ["Set-Cookie", "a=; Path=/"]
    assert serial.load(data) == sweep


def test_a_version_1_report_reads_and_renders_as_it_was_written() -> None:
    old = ROOT / "tests" / "data" / "golden" / "layout1"
    text = (old / "report.json").read_text()
    sweep = serial.load(json.loads(text))
    assert sweep.schema_version == 1
    assert renderer(Format.JSON)(sweep) == text
    assert renderer(Format.MD)(sweep) == (old / "report.md").read_text()


# --- replay, pure -----------------------------------------------------------------------------------------------


def _request(url: str, method: str = "POST", body: str = "", cookies: dict[str, str] | None = None) -> common.Request:
    host, _, rest = url.removeprefix("https://").partition("/")
    path, _, query = rest.partition("?")
    pairs = dict(p.split("=", 1) for p in query.split("&") if p)
    return common.Request(method, host, "/" + path, pairs, {}, cookies or {}, body)


def test_each_hop_is_served_for_its_request_and_the_body_tells_probes_of_one_url_apart() -> None:
    played = replay.replay([_sweep()])
    jar = {"login_aliyunid_ticket": "anything"}
    first = played.answer(_request(_sweep().probes[0].url, body="api=one&sec_token=whatever", cookies=jar))
    assert (first.status, first.reason, first.body) == (302, "Found", "")
    assert ("Location", "https://signin.aliyun.com/login/login.htm?oauth_callback=x") in first.headers
    assert ("Set-Cookie", "a=; Path=/") in first.headers
    assert not any(k.lower() == "content-length" for k, _ in first.headers)  # the server frames the body itself
    second = played.answer(_request("https://signin.aliyun.com/login/login.htm?oauth_callback=x", "GET"))
    assert (second.status, second.body, second.content_type) == (200, "<html>login</html>", "text/html; charset=utf-8")
    other = played.answer(_request(_sweep().probes[1].url, body="api=two", cookies=jar))
    assert (other.status, other.body) == (200, '{"two": true}')
    assert "signin.aliyun.com" in played.hosts and "bailian-cs.console.aliyun.com" in played.hosts


def test_a_request_nothing_recorded_gets_not_recorded_and_is_classified_unmodelled() -> None:
    played = replay.replay([_sweep()])
    answer = played.answer(_request(_sweep().probes[0].url, body="api=one", cookies={"cna": "v"}))
    assert answer.status == 501 and ("x-replica", "unmodelled") in answer.headers
    assert json.loads(answer.body)["replica"] == "not recorded"
    assert "cookies cna" in answer.body and '"v"' not in answer.body  # names only, never a value
    hop = Hop("POST", "https://x.aliyun.com/", 501, "Not Implemented", headers=answer.headers)
    error = shapes.parse_error(501, answer.content_type, answer.body)
    klass, explanation = vendor.classify(501, (hop,), error, None)
    assert klass is OutcomeClass.UNMODELLED
    assert explanation.startswith("501: replica: not modelled: not recorded")
    outcome = Outcome("p", klass, explanation, status=501, hops=(hop,), vendor_error=error)
    assert markdown.result_text(outcome) == "501 (replica: not modelled)"


def test_only_the_replicas_marked_501_is_unmodelled() -> None:
    plain = Hop("GET", "https://x.aliyun.com/", 501, "Not Implemented", headers=(("Server", "nginx"),))
    assert vendor.classify(501, (plain,), None, None)[0] is OutcomeClass.SERVER_ERROR
    marked = Hop("GET", "https://x.aliyun.com/", 500, "Error", headers=(("x-replica", "unmodelled"),))
    assert vendor.classify(500, (marked,), None, None)[0] is OutcomeClass.SERVER_ERROR


# --- the replica's CA and its command ---------------------------------------------------------------------------


def test_a_directory_keeps_its_ca_across_restarts_and_serves_it_in_the_chain(tmp_path: Path) -> None:
    first = make_tls({"a.aliyun.com"}, tmp_path)
    ca = first.ca_path.read_bytes()
    second = make_tls({"b.aliyun.com"}, tmp_path)
    assert second.ca_path.read_bytes() == ca
    assert second.cert_path.read_bytes().endswith(ca)  # the chain ends with the CA a browser was told to accept
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o077 == 0


@contextmanager
def _replica(*args: str) -> Iterator[tuple[str, str, list[str], subprocess.Popen[str]]]:
    """`prober replica ARGS --port 0`; yields its --connect-to and --cacert values, what it printed, the process."""
    with serving("replica", "--port", "0", *args, until=lambda line: line.startswith("use:")) as (process, printed):
        found = re.fullmatch(r"use: prober run --connect-to (\S+) --cacert (\S+)", printed[-1])
        assert found is not None, printed
        yield found.group(1), found.group(2), printed, process


def test_a_temporary_ca_directory_is_removed_when_the_replica_stops() -> None:
    with _replica() as (_, cacert, printed, _process):
        assert Path(cacert).is_file()
        assert "replica listening on https://127.0.0.1:" in printed[0] and "(scenario observed," in printed[0]
    assert not Path(cacert).parent.exists()


# --- the round trip ---------------------------------------------------------------------------------------------


def _sweep_cli(connect_to: str, cacert: str, jar: Path, out: Path, key: str, *extra: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    flags = ["--cookies", str(jar), "--connect-to", connect_to, "--cacert", cacert, "--out", str(out)]
    result = prober("run", *flags, "--fail-on", "none", *extra, env={"DASHSCOPE_API_KEY": key})
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(next(out.glob("*.json")).read_text())
    table = result.stdout.split("\nwrote ", 1)[0]
    return table, report


@pytest.mark.parametrize("scenario", ["observed", "console-moved"])
def test_a_replayed_sweep_gives_the_same_results_table(scenario: str, tmp_path: Path) -> None:
    jar = _jar(tmp_path / "cookies.txt")
    with _replica("--scenario", scenario, "--dir", str(tmp_path / "modelled")) as (connect_to, cacert, _, _p):
        table, report = _sweep_cli(connect_to, cacert, jar, tmp_path / "recorded", KEY)
    results = {r["probe"]["id"]: r["outcome"] for r in report["results"]}
    assert results["console-rpc-cn-token"]["quota"] is not None  # the CN session read its quota: a chain was replayed
    assert results["qwencloud-cli-account-info"]["class"] == "unmodelled"
    assert "server_error" not in {o["class"] for o in results.values()}
    if scenario == "console-moved":
        assert "302 → signin.aliyun.com" in table
    recorded = next((tmp_path / "recorded").glob("*.json"))
    other_jar = _jar(tmp_path / "other.txt", suffix="Other")  # the same kinds of credentials, other values
    with _replica("--from", str(recorded), "--dir", str(tmp_path / "replay")) as (connect_to, cacert, printed, _p):
        assert "(replay of 1 report," in printed[0]
        replayed, report = _sweep_cli(connect_to, cacert, other_jar, tmp_path / "replayed", "sk-sp-" + "0" * 32)
    assert replayed == table
    outputs = [replayed, recorded.read_text(), *(p.read_text() for p in (tmp_path / "replayed").iterdir())]
    for value in [KEY, *JAR.values()]:
        for form in _forms(value):
            assert not any(form in text for text in outputs), "a secret reached a report or its replay"


def test_what_a_replay_never_recorded_is_unmodelled_not_a_server_error(tmp_path: Path) -> None:
    sweep = _sweep()
    recorded = tmp_path / "recorded.json"
    recorded.write_text(renderer(Format.JSON)(sweep))
    with _replica("--from", str(recorded)) as (connect_to, cacert, _, _p):
        result = prober(
            "run",
            "--select",
            "cli-gateway-intl",
            "--connect-to",
            connect_to,
            "--cacert",
            cacert,
            "--out",
            str(tmp_path / "out"),
            env={"BAILIAN_CONSOLE_TOKEN": "console-token-canary-0123456789"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    outcome = report["results"][0]["outcome"]
    assert outcome["class"] == "unmodelled"
    assert "not recorded" in outcome["explanation"] and "the console token" in outcome["explanation"]
    assert outcome["expected"] is None  # no answer to hold the catalogue's expectation against
    assert "501 (replica: not modelled)" in result.stdout


def test_the_first_report_that_recorded_a_request_answers_it() -> None:
    first, second = _sweep(), _sweep()
    changed = (second.outcomes[0], replace_body(second.outcomes[1], '{"two": "later"}'))
    played = replay.replay([first, Sweep((), second.probes, changed, second.started_at, second.finished_at)])
    jar = {"login_aliyunid_ticket": "anything"}
    for _ in range(2):  # and again: a request recorded once is answered alike every time
        assert played.answer(_request(first.probes[1].url, body="api=two", cookies=jar)).body == '{"two": true}'


def replace_body(outcome: Outcome, body: str) -> Outcome:
    from dataclasses import replace

    return replace(outcome, body_excerpt=body)


def test_the_printed_browser_commands_name_the_port_the_ca_and_a_profile_of_their_own(tmp_path: Path) -> None:
    from prober.replica import browser

    tls = make_tls(behaviours.HOSTS, tmp_path)
    lines = browser.instructions(8443, tls.ca_path, tmp_path / "profiles")
    text = "\n".join(lines)
    assert "CN https://signin.aliyun.com/login/login.htm" in lines[0]
    assert "INTL https://passport.alibabacloud.com/login/login.htm" in lines[0]
    assert f"--user-data-dir={tmp_path / 'profiles' / 'chromium'}" in text
    assert "MAP *.aliyun.com 127.0.0.1:8443" in text and "MAP *.alibabacloud.com 127.0.0.1:8443" in text
    assert f"--ignore-certificate-errors-spki-list={browser.spki(tls.ca_path)}" in text
    assert 'network.socket.forcePort", "443=8443"' in text and 'network.dns.forceResolve", "127.0.0.1"' in text
    assert f"-i {tls.ca_path}" in text and f"--profile {tmp_path / 'profiles' / 'firefox'}" in text


def test_an_unmodelled_outcome_is_no_evidence_for_junit_diff_or_expectations() -> None:
    from prober import diff, expectations
    from prober.model import Expect

    probe = Probe("p", "d", "GET", "https://cli.qwencloud.com/x", expect=Expect(statuses=(200,)))
    gap = Hop("GET", probe.url, 501, "Not Implemented", headers=(("x-replica", "unmodelled"),))
    unmodelled = Outcome("p", OutcomeClass.UNMODELLED, "501: replica: not modelled", status=501, hops=(gap,))
    assert expectations.check(probe, unmodelled).expected is None
    sweep = Sweep((), (probe,), (unmodelled,), "2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z")
    assert '<skipped message="501: replica: not modelled"' in renderer(Format.JUNIT)(sweep)
    answered = Outcome("p", OutcomeClass.OK, "200", status=200, hops=(Hop("GET", probe.url, 200, "OK"),))
    # Issue 14: not compared (the old side had no vendor answer), never a change.
    compared = diff.compare(sweep, Sweep((), (probe,), (answered,), sweep.started_at, sweep.finished_at))
    assert compared.changes == ()
    assert compared.not_compared == (("p", "unmodelled in the old sweep: 501: replica: not modelled"),)
