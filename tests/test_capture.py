"""Multi-step probes: captures, `{{ name }}` placeholders, `needs`, their validation, and the sweep's scheduling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from prober import capture, catalogue, routing
from prober.cookies import Cookie, Jar
from prober.credentials import Credentials
from prober.errors import CatalogueError
from prober.model import Body, BodyKind, Capture, CaptureSource, Catalogue, OutcomeClass, Probe, Sweep, Tags
from prober.plan import Plan
from prober.probe import Settings
from prober.redact import Secret
from prober.report import Format, curl, renderer
from prober.runner import Options
from prober.sweep import run
from tests.conftest import Server

TOKEN = "SECtoken-7f3a9c2e1b5d"


@pytest.mark.parametrize(
    ("source", "arg", "expected"),
    [
        (CaptureSource.BODY, r"SEC_TOKEN\s*:\s*[\"']([^\"']+)", TOKEN),
        (CaptureSource.JSON, "secToken", "from-json-123"),
        (CaptureSource.HEADER, "X-Csrf-Token", "from-header"),
        (CaptureSource.SET_COOKIE, "sec_token", "from-set-cookie"),
        (CaptureSource.COOKIE, "login_aliyunid_csrf", "from-jar"),
    ],
)
def test_each_capture_source(source: CaptureSource, arg: str, expected: str) -> None:
    text = f'<script>window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{TOKEN}" }}</script>'
    if source is CaptureSource.JSON:
        text = '{"data": "{\\"secToken\\": \\"from-json-123\\"}"}'  # a JSON string inside JSON, as consoles send
    found = capture.extract(
        [Capture("v", source, arg)],
        text,
        [("x-csrf-token", "from-header")],
        {"sec_token": "from-set-cookie"},
        {"login_aliyunid_csrf": "from-jar"},
    )
    assert found == {"v": (expected, source)}


def test_the_first_capture_that_yields_wins_in_order() -> None:
    ways = [
        Capture("t", CaptureSource.BODY, "SEC_TOKEN: '([^']+)'"),
        Capture("t", CaptureSource.JSON, "secToken"),
        Capture("t", CaptureSource.COOKIE, "sec_token"),
    ]
    found = capture.extract(ways, "<html>login</html>", [], {}, {"sec_token": "cookie-value"})
    assert found == {"t": ("cookie-value", CaptureSource.COOKIE)}


def test_fill_encodes_each_place() -> None:
    probe = Probe(
        "p",
        "d",
        "POST",
        "https://x.test/a?t={{ t }}",
        headers=(("X-T", "{{t}}"),),
        body=Body(BodyKind.FORM, "sec_token=%7B%7B+t+%7D%7D&region=cn"),
        tags=Tags("cn", "console"),
        source="s",
    )
    filled = capture.fill(probe, {"t": "a b/c&d"})
    assert filled.url == "https://x.test/a?t=a%20b%2Fc%26d"
    assert filled.headers == (("X-T", "a b/c&d"),)
    assert filled.body is not None and filled.body.text == "sec_token=a+b%2Fc%26d&region=cn"
    assert capture.placeholders(probe) == ["t"]


def test_curl_shows_a_shell_variable_for_a_captured_value() -> None:
    probe = Probe(
        "p",
        "d",
        "POST",
        "https://x.test/",
        body=Body(BodyKind.FORM, "sec_token=%7B%7B+sec_token+%7D%7D"),
        tags=Tags("cn", "console"),
        source="s",
    )
    assert '--data-raw "sec_token=${SEC_TOKEN}"' in curl.command(probe)


CHAIN = """\
version: 1
probes:
  - id: dashboard
    description: the page that embeds the token
    url: https://console.example.test/dashboard
    auth: cookies
    tags: {region: cn, surface: console}
    source: reference A2
    capture:
      sec_token:
        - {body: 'SEC_TOKEN\\s*:\\s*"([^"]+)"'}
        - {cookie: sec_token}
  - id: gateway
    description: the call that needs it
    method: POST
    url: https://console.example.test/data/api.json
    body: {form: {sec_token: "{{ sec_token }}", region: cn-beijing}}
    auth: cookies
    needs: dashboard
    tags: {region: cn, surface: console}
    source: reference A1
"""


def test_a_valid_chain_loads_with_needs_resolved() -> None:
    loaded = catalogue.parse(CHAIN)
    dashboard, gateway = loaded.probes
    assert gateway.needs == ("dashboard",)
    assert [c.source for c in dashboard.captures] == [CaptureSource.BODY, CaptureSource.COOKIE]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("needs: dashboard", "needs: dashbord"),
            "probes.yaml:13: probe 'gateway': needs 'dashbord', which is not a probe id, did you mean 'dashboard'?",
        ),
        (
            ("    needs: dashboard\n", ""),
            "probes.yaml:13: probe 'gateway': uses {{ sec_token }} but no probe it "
            "needs captures 'sec_token'; add the capturing probe to 'needs' or a 'capture:' for 'sec_token'",
        ),
        (
            ("    capture:\n", "    needs: gateway\n    capture:\n"),
            "probes.yaml:3: probe 'dashboard': needs "
            "form a cycle: dashboard → gateway → dashboard; a probe cannot wait for itself",
        ),
        (
            ("{body: ", "{bodyy: "),
            "probes.yaml:10: probe 'dashboard': capture 'sec_token': source 'bodyy' is not "
            "one of body, json, header, set-cookie, cookie",
        ),
        (("'SEC_TOKEN", "'(SEC_TOKEN"), "probes.yaml:10: probe 'dashboard': capture 'sec_token': body regex"),
    ],
    ids=["unknown-needs", "unbound-placeholder", "cycle", "bad-source", "bad-regex"],
)
def test_check_rejects_bad_chains_with_located_errors(change: tuple[str, str], message: str) -> None:
    text = CHAIN.replace(*change)
    with pytest.raises(CatalogueError) as info:
        catalogue.parse(text)
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems


def _dashboard(token: str | None, answered: list[float] | None = None) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)  # the dependant must wait for this, and only this
        if answered is not None:
            answered.append(time.monotonic())
        if token is None:
            raise web.HTTPFound("https://login.example.test/login")
        return web.Response(text=f'<script>var c = {{SEC_TOKEN: "{token}"}};</script>', content_type="text/html")

    return handler


def _gateway(seen: list[str]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        seen.append(str(form.get("sec_token")))
        # A hostile gateway that echoes the token back, URL-encoded too.
        return web.json_response({"code": "200", "echo": str(form.get("sec_token")), "raw": await request.text()})

    return handler


async def _login(_r: web.Request) -> web.Response:
    return web.Response(text="<html>sign in password login</html>", content_type="text/html")


def _sweep(server: Server) -> Sweep:
    loaded = catalogue.parse(CHAIN)
    independent = Probe("other", "d", "GET", "https://api.example.test/other", tags=Tags("cn", "api"), source="t")
    probes = (*loaded.probes, independent)
    jar = Jar("t", (Cookie("session", Secret("jar-session-value-1"), "example.test", host_only=False, secure=True),))
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path, settings=Settings())
    plan = Plan(Catalogue("probes.yaml", "0" * 64, probes), probes, Credentials(jar=jar), options)
    return asyncio.run(run(plan))


def test_a_captured_token_flows_to_the_dependant_and_never_into_outputs(serve: Callable[..., Server]) -> None:
    seen: list[str] = []
    other_at: list[float] = []
    dashboard_answered: list[float] = []

    async def other(_r: web.Request) -> web.Response:
        other_at.append(time.monotonic())
        return web.Response(text="{}")

    server = serve(
        {
            "console.example.test/dashboard": _dashboard(TOKEN, dashboard_answered),
            "console.example.test/data/api.json": _gateway(seen),
            "api.example.test/other": other,
        }
    )
    sweep = _sweep(server)
    assert seen == [TOKEN]
    # Independent probes do not wait for the chain: the other probe arrived while the dashboard was still answering.
    assert other_at[0] < dashboard_answered[0]
    dashboard, gateway, _ = sweep.outcomes
    assert dashboard.captured == ("sec_token",)
    assert gateway.klass is OutcomeClass.OK
    for fmt in Format:
        text = renderer(fmt)(sweep)
        assert TOKEN not in text and TOKEN.lower() not in text.lower()
    assert "{{ sec_token }}" in renderer(Format.JSON)(sweep) or "%7B%7B+sec_token+%7D%7D" in renderer(Format.JSON)(
        sweep
    )


def test_a_missing_capture_skips_the_dependant_with_the_reason(serve: Callable[..., Server]) -> None:
    seen: list[str] = []
    server = serve(
        {
            "console.example.test/dashboard": _dashboard(None),
            "console.example.test/data/api.json": _gateway(seen),
            "login.example.test/login": _login,
            "api.example.test/other": _login,
        }
    )
    sweep = _sweep(server)
    _, gateway, _ = sweep.outcomes
    assert seen == []
    assert gateway.klass is OutcomeClass.SKIPPED
    assert gateway.explanation.startswith("no sec_token: dashboard redirected to login (302 → login.example.test)")


def test_select_brings_in_the_probes_a_selected_probe_needs(tmp_path: Any) -> None:
    loaded = catalogue.parse(CHAIN)
    assert [p.id for p in catalogue.select(loaded.probes, ("gateway",))] == ["dashboard", "gateway"]
