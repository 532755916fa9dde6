"""The command line as users run it: subprocess and click runner, canary secrets, bad input, the demo."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from prober.cli import cli
from tests.cli import prober
from tests.conftest import CANARY_COOKIE, CANARY_KEY, Server

CATALOGUE = """\
version: 1
probes:
  - id: echo-key
    description: a hostile server echoing the key back everywhere
    method: POST
    url: https://api.example.test/echo
    body: {json: {max_tokens: 1}}
    auth: {key: [bearer, x-api-key, x-dashscope-api-key]}
    tags: {region: intl, surface: api}
    source: test
  - id: echo-cookies
    description: a hostile console echoing cookies back
    url: https://console.example.test/echo
    auth: cookies
    tags: {region: intl, surface: console}
    source: test
  - id: redirect-with-secrets
    description: a redirect whose Location carries the secrets
    url: https://api.example.test/bounce
    auth: key
    tags: {region: intl, surface: api}
    source: test
  - id: redirect-cookies
    description: a console redirect whose Location carries the cookies
    url: https://console.example.test/bounce
    auth: cookies
    tags: {region: intl, surface: console}
    source: test
"""


def _hostile_routes() -> dict[str, Callable[[web.Request], Any]]:
    async def echo(request: web.Request) -> web.Response:
        everything = " ".join(f"{k}={v}" for k, v in request.headers.items())
        body = {
            "code": "InvalidApiKey",
            "message": f"Invalid API-key provided: {everything}",
            "nested": {"deeper": [{"again": everything, "encoded": quote(everything)}]},
            "request_id": request.headers.get("Authorization", "none"),
        }
        return web.json_response(
            body,
            status=401,
            headers={"X-Echo": quote_plus(everything), "x-request-id": everything[:200].replace("\n", " ")},
        )

    async def bounce(request: web.Request) -> web.Response:
        secret = request.headers.get("Authorization") or request.headers.get("Cookie") or ""
        raise web.HTTPFound(f"/landing?echo={quote(secret, safe='')}&raw={quote_plus(secret)}")

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=f"landed with {request.query_string}")

    return {
        "api.example.test/echo": echo,
        "console.example.test/echo": echo,
        "api.example.test/bounce": bounce,
        "console.example.test/bounce": bounce,
        "api.example.test/landing": landing,
        "console.example.test/landing": landing,
    }


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]]


def test_no_canary_secret_appears_in_any_output(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(_hostile_routes())
    (tmp_path / "probes.yaml").write_text(CATALOGUE)
    cookie_value = f"{CANARY_COOKIE}/+=&?"
    (tmp_path / "cookies.txt").write_text(
        f".example.test\tTRUE\t/\tTRUE\t0\tlogin_aliyunid_ticket\t{cookie_value}\n"
        f"#HttpOnly_console.example.test\tFALSE\t/\tTRUE\t0\tcsrf\t{CANARY_COOKIE}-csrf\n"
    )
    out = tmp_path / "reports"
    result = prober(
        "run",
        str(tmp_path / "probes.yaml"),
        "--cookies",
        str(tmp_path / "cookies.txt"),
        "--connect-to",
        server.connect_to,
        "--cacert",
        str(server.ca_path),
        "--out",
        str(out),
        "--allow-key-host",
        "example.test",
        env={"DASHSCOPE_API_KEY": CANARY_KEY},
    )
    assert result.returncode == 0, result.stderr
    # The secrets really went out and really came back: the test would fail if redaction did nothing.
    assert any(CANARY_KEY in str(r) for r in server.seen.requests)
    assert any(CANARY_COOKIE in str(r) for r in server.seen.requests)
    rendered = prober("render", str(next(out.glob("*.json"))))
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "render": rendered.stdout}
    outputs |= {p.name: p.read_text() for p in out.iterdir()}
    assert len(outputs) == 5
    for name, text in outputs.items():
        for secret in (CANARY_KEY, CANARY_COOKIE, cookie_value):
            for form in _forms(secret):
                assert form not in text, f"{form!r} leaked into {name}"
    report = json.loads(next(out.glob("*.json")).read_text())
    assert "[REDACTED]" in json.dumps(report)
    assert "sk-sp-… (" in report["environment"]["API key"]


def test_render_reproduces_the_markdown_byte_for_byte(tmp_path: Path) -> None:
    result = prober("demo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    rendered = prober("render", str(tmp_path / "demo.json"))
    assert rendered.stdout == (tmp_path / "demo.md").read_text()


# The CodexBar #612 table, row for row: (endpoint cell, result cell).
BUG_REPORT_TABLE = [
    ("`dashscope-intl.aliyuncs.com/api/v1/policies`", "404"),
    ("`dashscope-intl.aliyuncs.com/api/v1/usage`", "404"),
    ("`dashscope-intl.aliyuncs.com/api/v1/subscriptions`", "404"),
    ("`dashscope-intl.aliyuncs.com/api/v1/models`", "401 InvalidApiKey"),
    ("`coding-intl.dashscope.aliyuncs.com/compatible-mode/v1/usage`", "404"),
    ("`coding-intl.dashscope.aliyuncs.com/api/v1/quota`", "404"),
    ("`coding-intl.dashscope.aliyuncs.com/v1/models`", "404"),
]


def test_demo_reproduces_the_bug_report_findings(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    markdown = (tmp_path / "demo.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| `")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    # The result column as a reader sees it: server values (codes, hosts) are code spans in the Markdown.
    parsed = [(endpoint, re.sub(r"`([^`]+)`", r"\1", result)) for endpoint, result in cells]
    assert parsed[: len(BUG_REPORT_TABLE)] == BUG_REPORT_TABLE
    table = dict(parsed)
    # #612 §1: the key on the console gateway, in each of the three header styles.
    for style in ("bearer", "x-api-key", "x-dashscope-api-key"):
        cell = f"`POST modelstudio.console.alibabacloud.com/data/api.json` ({style})"
        assert table[cell] == "200 ConsoleNeedLogin"
    # #612 §2: INTL passport cookies are no session: the RPC host answers NotLogined (the newer reports; #612's 302
    # is the rpc-login-redirect scenario, docs/vendor.md#conflict-logged-out-rpc) and the dashboard redirects.
    assert (
        table["`POST bailian-singapore-cs.alibabacloud.com/data/api.json` (console-rpc-intl)"]
        == "200 BailianGateway.Login.NotLogined"
    )
    assert table["`modelstudio.console.alibabacloud.com/ap-southeast-1/`"] == "302 → passport.alibabacloud.com"
    # The sec_token chain explains why the gateway call could not even be made.
    assert table["`POST bailian-singapore-cs.alibabacloud.com/data/api.json` (console-rpc-intl-token)"].startswith(
        "skipped: no sec_token: dashboard-intl redirected to login (302 → passport.alibabacloud.com)"
    )
    # #612 §4: the sk-sp key works for inference, with no rate-limit headers.
    assert table["`POST coding-intl.dashscope.aliyuncs.com/apps/anthropic/v1/messages` (bearer)"] == "200"
    # The route that does work for INTL (docs/vendor.md#intl-quota): the fake console token reads the three windows on
    # the CLI gateway, where the sk-sp key as the Bearer gets NoPermission.
    gateway = "`POST bailian-singapore-cs.alibabacloud.com/cli/api.json`"
    assert table[f"{gateway} (cli-gateway-intl)"] == (
        "200 · quota 5h 120/6000 (rolling) · week 3400/45000 · month 12000/90000"
    )
    assert table[f"{gateway} (bearer)"] == "200 NoPermission"
    assert "| Console token | `other…` (" in markdown
    assert "Expectations:" in markdown and " 0 unexpected" in markdown


KEY = {"DASHSCOPE_API_KEY": "sk-sp-" + "test" * 8}


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["run", "missing.yaml"], {}, "Error: cannot read catalogue missing.yaml"),
        (["run", "--bogus"], {}, "Error: No such option '--bogus'"),
        (["run", "--concurrency", "0"], {}, "Error: Invalid value for '--concurrency'"),
        (["run", "--format", "pdf"], {}, "unknown format 'pdf'"),
        (["run", "--connect-to", "nonsense"], KEY, "--connect-to 'nonsense' has 1 fields, expected 4"),
        (["run", "--cookies", "/nonexistent/cookies.txt"], {}, "Error: cannot read cookie file"),
        (["run", "--key-env", "NOT_SET_ANYWHERE"], {}, "environment variable NOT_SET_ANYWHERE is not set"),
        (["run"], {"DASHSCOPE_API_KEY": "  "}, "the API key from $DASHSCOPE_API_KEY is empty"),
        (["run", "--cacert", "/nonexistent/ca.pem"], KEY, "Error: cannot load --cacert"),
        # Issue 14: missing CI secrets must not pass as an all-skipped sweep.
        (
            ["run"],
            {},
            "Error: no credential given: set DASHSCOPE_API_KEY (the API key) or BAILIAN_CONSOLE_TOKEN (a console "
            "token), or pass --cookies (a console session) (hint: or pass --no-credentials",
        ),
        (["run", "--no-credentials", "--key-env", "K"], {"K": "x"}, "--no-credentials and --key-env both given"),
        (["run", "--name", "../up"], {}, "Invalid value for --name: a file name without a directory"),
        (["render", "probes.yaml"], {}, "is not JSON"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    args: list[str], env: dict[str, str], needle: str, tmp_path: Path
) -> None:
    result = prober(*args, "--out", str(tmp_path), env=env) if args[0] == "run" else prober(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = prober("--debug", "run", "missing.yaml")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_unwritable_out_is_an_error_before_any_probe(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = prober("run", "--out", str(blocker / "reports"), "--connect-to", "::127.0.0.1:9", env=KEY)
    assert result.returncode == 2
    assert "cannot create report directory" in result.stderr


def test_check_lists_every_located_problem(tmp_path: Path) -> None:
    bad = tmp_path / "probes.yaml"
    bad.write_text(
        "version: 1\nprobes:\n  - id: a\n    description: d\n    methd: GET\n    url: https://x.test/\n"
        "    tags: {region: intl, surface: api}\n    source: s\n  - id: a\n    description: d\n"
        "    url: ftp://x.test/\n    tags: {region: intl, surface: api}\n    source: s\n"
    )
    result = prober("check", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 3
    assert all(line.startswith(f"Error: {bad}:") for line in lines)
    assert "did you mean 'method'?" in result.stderr


def test_check_and_list_the_shipped_catalogue() -> None:
    checked = prober("check")
    assert checked.returncode == 0 and "OK" in checked.stdout
    listed = prober("list")
    assert "console-gateway-intl/x-dashscope-api-key" in listed.stdout
    assert "tags region=intl surface=console cost=free" in listed.stdout
    assert "Authorization: Bearer $DASHSCOPE_API_KEY" in listed.stdout


def test_whitespace_around_the_key_is_stripped_and_said(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve({})
    result = prober(
        "run",
        "--select",
        "dashscope-intl-policies",
        "--connect-to",
        server.connect_to,
        "--cacert",
        str(server.ca_path),
        "--out",
        str(tmp_path),
        "--fail-on",
        "none",
        env={"DASHSCOPE_API_KEY": f"  {CANARY_KEY}\n"},
    )
    assert result.returncode == 0, result.stderr
    assert "stripped surrounding whitespace" in result.stderr
    assert CANARY_KEY not in result.stderr + result.stdout


def test_version_and_python_dash_m() -> None:
    result = prober("--version")
    assert result.returncode == 0 and result.stdout.startswith("prober, version ")


def test_cookies_command_diagnoses_without_values(tmp_path: Path) -> None:
    jar = tmp_path / "cookies.txt"
    jar.write_text(
        "".join(
            f".alibabacloud.com\tTRUE\t/\tTRUE\t0\t{name}\t{CANARY_COOKIE}-{name}\n"
            for name in ("login_current_pk", "login_aliyunid_pk", "cr_token", "x5sec")
        )
    )
    out = tmp_path / "diagnosis.md"
    result = prober("cookies", str(jar), "--out", str(out), "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "**INTL passport session**" in result.stdout
    assert "login_aliyunid_ticket" in result.stdout
    assert out.read_text().rstrip("\n") == result.stdout.rstrip("\n")
    assert CANARY_COOKIE not in result.stdout + result.stderr + out.read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["cookies"], "name a cookie source"),
        (["run", "--cookie-header-env", "COOKIE"], "--cookie-header-env needs --cookie-domain"),
        (["run", "--cookies", "probes.yaml", "--browser", "firefox"], "--cookies and --browser both name"),
        (["cookies", "--browser", "netscape-navigator"], "unknown browser 'netscape-navigator'"),
    ],
)
def test_cookie_source_mistakes_are_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    result = prober(*args, env={"COOKIE": "a=b"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert needle in result.stderr


def test_reports_are_stable_apart_from_times_ports_and_ids(tmp_path: Path) -> None:
    """Committed reports diff cleanly: two demo sweeps differ only on lines with times, ports and request ids."""
    import re

    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert prober("demo", "--out", str(out)).returncode == 0
    volatile = re.compile(
        r"^(\| (Started|Finished) \(UTC\) \||- Time: |- Remote address: |\| Connect-to \|)"
        r"|\"(request_id|id|requestId)\": \""
        r"|^- `(x-request-id|eagleeye-traceid|req-cost-time|req-arrive-time|resp-start-time): "
    )

    def stable(path: Path) -> list[str]:
        # The replica's port also stands in each reproducer's --connect-to.
        lines = path.read_text().splitlines()
        return [re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line) for line in lines if not volatile.search(line)]

    assert stable(first / "demo.md") == stable(second / "demo.md")


def test_the_command_ends_with_all_its_output_and_its_exit_code(tmp_path: Path) -> None:
    """`prober` ends its process without taking its heap apart (cli.entry): what it printed must still arrive
    whole through a pipe, and its exit code must be main()'s."""
    lines = ["version: 1", "probes:"]
    lines += [
        f'  - {{id: p{n:04d}, description: d, url: "https://x.test/{n}", auth: none, '
        f"tags: {{region: intl, surface: api, cost: free}}, source: s}}"
        for n in range(3000)
    ]
    catalogue = tmp_path / "big.yaml"
    catalogue.write_text("\n".join(lines) + "\n")
    listed = prober("list", str(catalogue))
    assert listed.returncode == 0, listed.stderr
    assert [line for line in listed.stdout.splitlines() if line.startswith("# p")] == [
        f"# p{n:04d} · auth none · tags region=intl surface=api cost=free" for n in range(3000)
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nprobes: [{id: x}]\n")
    checked = prober("check", str(broken))
    assert checked.returncode == 2 and "x" in checked.stderr
