"""Issue 14 end to end, as CI runs it: every exit code of `prober run`, the no-credential rule and --no-credentials,
the warning for a missing kind of credential, a closed stdout, and --fail-on changed naming the probe in the terminal
and in JUnit. Real TLS servers on 127.0.0.1; nothing leaves the machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from tests.cli import ROOT, environment, prober
from tests.conftest import CANARY_KEY, Server

CATALOGUE = """\
version: 1
probes:
  - id: answers
    description: an endpoint the catalogue expects to answer 200
    url: https://api.example.test/ok
    tags: {region: intl, surface: api}
    expect: {status: [200]}
    source: test
  - id: plain
    description: an endpoint with no expectation
    url: https://other.example.test/plain
    tags: {region: intl, surface: api}
    source: test
  - id: keyed
    description: an endpoint that needs the key
    url: https://api.example.test/keyed
    auth: key
    tags: {region: intl, surface: api}
    source: test
  - id: console
    description: an endpoint that needs the console session
    url: https://console.example.test/page
    auth: cookies
    tags: {region: intl, surface: console}
    source: test
"""

KEY = {"DASHSCOPE_API_KEY": CANARY_KEY}


def _server(serve: Callable[..., Server], answers: dict[str, int]) -> Server:
    """A server whose status per path can be changed between runs (`answers`)."""

    def route(path: str) -> Callable[[web.Request], object]:
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(status=answers.get(path, 200), text="x")

        return handler

    paths = ("/ok", "/plain", "/keyed", "/page")
    hosts = ("api.example.test", "other.example.test", "api.example.test", "console.example.test")
    return serve({f"{h}{p}": route(p) for h, p in zip(hosts, paths, strict=True)})


def _args(tmp_path: Path, connect_to: str, cacert: Path, out: str = "reports", *more: str) -> list[str]:
    catalogue = tmp_path / "probes.yaml"
    catalogue.write_text(CATALOGUE)
    return [
        "run",
        str(catalogue),
        "--connect-to",
        connect_to,
        "--cacert",
        str(cacert),
        "--allow-key-host",
        "example.test",
        "--out",
        str(tmp_path / out),
        *more,
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there now: every connection is refused


def test_no_credentials_on_purpose_sends_only_what_needs_none(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = _server(serve, {})
    result = prober(*_args(tmp_path, server.connect_to, server.ca_path, "r", "--no-credentials"), env=KEY)
    assert result.returncode == 0, result.stderr
    # The key in the environment is not read: --no-credentials means none.
    assert sorted(r["path"] for r in server.seen.requests) == ["/ok", "/plain"]
    assert CANARY_KEY not in str(server.seen.requests)
    assert "Warning: no API key: 1 key probe skipped (set DASHSCOPE_API_KEY, or pass --key-env or --key-file)" in (
        result.stderr
    )
    assert "Warning: no cookies: 1 console probe skipped (pass --cookies FILE or --browser NAME)" in result.stderr


def test_a_missing_kind_of_credential_is_one_warning_line(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = _server(serve, {})
    result = prober(*_args(tmp_path, server.connect_to, server.ca_path), env=KEY)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert warnings == ["Warning: no cookies: 1 console probe skipped (pass --cookies FILE or --browser NAME)"]


def test_every_probe_unreachable_exits_4_naming_them(tmp_path: Path, tls_ca: tuple[object, Path, object]) -> None:
    result = prober(
        *_args(tmp_path, f"::127.0.0.1:{_closed_port()}", tls_ca[1], "r", "--format", "json,junit"), env=KEY
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Unreachable: 3 probes got no HTTP answer (an outage or a proxy problem, not vendor drift)" in result.stderr
    for probe_id in ("answers", "plain", "keyed"):
        assert f"  - {probe_id}: connect_error: " in result.stderr
    assert "exit 4" in result.stderr.splitlines()[-2]
    # The reports are written all the same, and JUnit calls them errors, not failures.
    suite = ET.parse(next((tmp_path / "r").glob("*.junit.xml"))).getroot()
    assert (suite.get("errors"), suite.get("failures")) == ("3", "0")


def test_drift_and_an_outage_together_exit_1_and_name_both(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = _server(serve, {"/ok": 404, "/keyed": 200})
    # `plain` is sent to a port where nothing listens; the others reach the server.
    spec = [server.connect_to, f"other.example.test:443:127.0.0.1:{_closed_port()}"]
    args = _args(tmp_path, spec[0], server.ca_path, "r", "--select", "answers", "--select", "plain")
    args[args.index("--connect-to") + 1 : args.index("--connect-to") + 1] = [spec[1], "--connect-to"]
    result = prober(*args, env=KEY)
    assert result.returncode == 1, result.stderr
    assert "  - answers: expected status 200, got 404" in result.stderr
    assert "Unreachable: 1 probe got no HTTP answer" in result.stderr
    assert "Failed (--fail-on unexpected): exit 1, drift: 1 unexpected outcome; also 1 unreachable" in result.stderr


def _with_closed_stdout(args: list[str]) -> tuple[int, str]:
    """Run prober as `prober ... | head -0` would: the reader of stdout is gone before anything is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "prober", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment(KEY),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        stderr = proc.stderr.read()
    return proc.wait(timeout=60), stderr


def test_a_closed_stdout_changes_no_exit_code_and_loses_no_report(serve: Callable[..., Server], tmp_path: Path) -> None:
    answers: dict[str, int] = {}
    server = _server(serve, answers)
    code, stderr = _with_closed_stdout(_args(tmp_path, server.connect_to, server.ca_path, "clean"))
    assert code == 0, stderr
    assert "Traceback" not in stderr and "Error" not in stderr
    assert sorted(p.suffix for p in (tmp_path / "clean").iterdir()) == [".json", ".md"]
    answers["/ok"] = 500
    code, stderr = _with_closed_stdout(_args(tmp_path, server.connect_to, server.ca_path, "drift"))
    assert code == 1, stderr
    assert "  - answers: expected status 200, got 500" in stderr
    assert sorted(p.suffix for p in (tmp_path / "drift").iterdir()) == [".json", ".md"]
    # The same through a shell pipeline with pipefail, as a CI step runs it.
    pipeline = subprocess.run(
        ["bash", "-o", "pipefail", "-c", 'prober "$@" | head -1 >/dev/null', "prober"]
        + _args(tmp_path, server.connect_to, server.ca_path, "piped"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment({**KEY, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}),
        timeout=60,
        check=False,
    )
    assert pipeline.returncode == 1, pipeline.stderr


def test_fail_on_changed_names_the_probe_in_the_terminal_and_in_junit(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    answers: dict[str, int] = {}
    server = _server(serve, answers)
    base = prober(*_args(tmp_path, server.connect_to, server.ca_path, "base", "--name", "sweep"), env=KEY)
    assert base.returncode == 0, base.stderr
    assert (tmp_path / "base" / "sweep.json").is_file()  # --name: the report is found by name, not by listing
    answers["/plain"] = 404
    baseline = str(tmp_path / "base" / "sweep.json")
    more = ("--baseline", baseline, "--fail-on", "changed", "--format", "md,json,junit", "--name", "sweep")
    result = prober(*_args(tmp_path, server.connect_to, server.ca_path, "new", *more), env=KEY)
    assert result.returncode == 1, result.stderr
    assert "Changed since the baseline: 1 probe" in result.stderr
    assert "  - plain: 200 → 404: the endpoint is gone" in result.stderr
    assert "Failed (--fail-on changed): exit 1, drift: 0 unexpected outcomes, 1 changed probe" in result.stderr
    suite = ET.parse(tmp_path / "new" / "sweep.junit.xml").getroot()
    assert suite.get("failures") == "1"
    (failing,) = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert failing.get("name") == "plain"
    failure = failing.find("failure")
    assert failure is not None and failure.get("type") == "changed"
    # `prober render --format junit --fail-on changed` gives the run's JUnit back.
    again = prober("render", str(tmp_path / "new" / "sweep.json"), "--format", "junit", "--fail-on", "changed")
    assert again.stdout == (tmp_path / "new" / "sweep.junit.xml").read_text()
    # The same diff with `prober diff`: the same exit code.
    diffed = prober("diff", baseline, str(tmp_path / "new" / "sweep.json"), "--fail-on", "changed")
    assert diffed.returncode == 1
    assert "Failed (--fail-on changed)" in diffed.stderr
