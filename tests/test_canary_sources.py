"""Canary secrets through every cookie source, and a captured sec_token: a hostile server echoes them back
everywhere, and no output of `prober run` or `prober cookies` may contain them (STYLE.md habit 7)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

from tests.cli import prober
from tests.conftest import CANARY_KEY, Server
from tests.test_cli import CATALOGUE, _forms, _hostile_routes
from tests.test_cookie_sources import chrome_time, chromium_db, encrypt, firefox_db, hashed

HEADER_ENV = "PROBER_TEST_COOKIE_HEADER"
LATER = time.time() + 86_400  # not the fixed dates of test_cookie_sources: an all-expired jar sends nothing


def canaries(source: str) -> dict[str, str]:
    """Cookie name -> canary value, distinct per source, with characters that URL-encoding and JSON change."""
    return {name: f"CANARY{source}{n}x4f2a9b/+=&?" for n, name in enumerate(("login_aliyunid_ticket", "cna"))}


def _json_export(values: dict[str, str], ids: bool) -> str:
    entries: list[dict[str, Any]] = [
        {
            "domain": ".example.test",
            "expirationDate": LATER,
            "hostOnly": False,
            "httpOnly": True,
            "name": name,
            "path": "/",
            "secure": True,
            "session": False,
            "storeId": "0",
            "value": value,
        }
        for name, value in values.items()
    ]
    if ids:  # EditThisCookie numbers its entries; Cookie-Editor does not
        entries = [dict(entry, id=n) for n, entry in enumerate(entries, start=1)]
    return json.dumps(entries)


def _har(values: dict[str, str]) -> str:
    (first, first_value), (second, second_value) = values.items()
    entry = {
        "startedDateTime": datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="milliseconds"),
        "request": {
            "method": "GET",
            "url": "https://console.example.test/home",
            "headers": [{"name": "Cookie", "value": f"{first}={first_value}"}],
            "cookies": [],
        },
        "response": {
            "status": 200,
            "headers": [
                {"name": "Set-Cookie", "value": f"{second}={second_value}; Domain=.example.test; Path=/; Max-Age=86400"}
            ],
            "cookies": [],
        },
    }
    return json.dumps({"log": {"version": "1.2", "entries": [entry]}})


def build(source: str, directory: Path) -> tuple[list[str], dict[str, str]]:
    """The cookie flags for `source` (a file written under `directory`) and the environment they need."""
    values = canaries(source)
    path = directory / "jar"  # no extension: every source is detected by content
    if source == "netscape":
        path.write_text("".join(f".example.test\tTRUE\t/\tTRUE\t{int(LATER)}\t{n}\t{v}\n" for n, v in values.items()))
    elif source == "firefox":
        path = firefox_db(
            directory / "cookies.sqlite", [(n, v, ".example.test", "/", int(LATER), 1, 1) for n, v in values.items()]
        )
    elif source == "chromium":
        rows = [
            (".example.test", n, "", encrypt(hashed(".example.test", v)), chrome_time(LATER), 1, 1, 1)
            for n, v in values.items()
        ]
        path = chromium_db(directory / "Cookies", 24, rows)  # v10 values under the "peanuts" key, meta version 24
    elif source in ("cookie-editor", "editthiscookie"):
        path.write_text(_json_export(values, ids=source == "editthiscookie"))
    elif source == "har":
        path.write_text(_har(values))
    elif source == "header-file":
        path.write_text("Cookie: " + "; ".join(f"{n}={v}" for n, v in values.items()) + "\n")
        return ["--cookies", str(path), "--cookie-domain", "example.test"], {}
    elif source == "header-env":
        header = "; ".join(f"{n}={v}" for n, v in values.items())
        return ["--cookie-header-env", HEADER_ENV, "--cookie-domain", "example.test"], {HEADER_ENV: header}
    else:
        raise AssertionError(source)
    # example.test is outside Alibaba's domains: without --cookie-domain the jar would keep none of these cookies.
    return ["--cookies", str(path), "--cookie-domain", "example.test"], {}


SOURCES = [
    "netscape",
    "firefox",
    "chromium",
    "cookie-editor",
    "editthiscookie",
    "har",
    "header-file",
    "header-env",
]


def assert_absent(secrets: list[str], outputs: dict[str, str]) -> None:
    for name, text in outputs.items():
        for secret in secrets:
            for form in _forms(secret):
                assert form not in text, f"{form!r} leaked into {name}"


@pytest.mark.parametrize("source", SOURCES)
def test_no_cookie_canary_in_any_output(
    source: str, serve: Callable[[dict[str, Callable[[web.Request], Any]]], Server], tmp_path: Path
) -> None:
    server = serve(_hostile_routes())
    (tmp_path / "probes.yaml").write_text(CATALOGUE)
    flags, env = build(source, tmp_path)
    out = tmp_path / "reports"
    result = prober(
        "run",
        str(tmp_path / "probes.yaml"),
        *flags,
        "--connect-to",
        server.connect_to,
        "--cacert",
        str(server.ca_path),
        "--allow-key-host",
        "example.test",
        "--format",
        "md,json,junit",
        "--out",
        str(out),
        env={"DASHSCOPE_API_KEY": CANARY_KEY, **env},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    diagnosis_file = tmp_path / "diagnosis.md"
    diagnosis = prober(
        "cookies", *flags, "--catalogue", str(tmp_path / "probes.yaml"), "--out", str(diagnosis_file), env=env
    )
    assert diagnosis.returncode == 0, diagnosis.stderr
    assert "login_aliyunid_ticket" in diagnosis.stdout
    assert "kept 2 cookies" in diagnosis.stdout and "left out 0 for other sites" in diagnosis.stdout

    # Every canary really reached the hostile server (and came back in its answers): not a vacuous pass.
    values = list(canaries(source).values())
    sent = [r["headers"].get("Cookie", "") for r in server.seen.requests]
    for value in values:
        assert any(value in cookie for cookie in sent), f"{value!r} never reached the server"
    assert any(CANARY_KEY in str(r) for r in server.seen.requests)

    outputs = {"run stdout": result.stdout, "run stderr": result.stderr}
    outputs |= {"cookies stdout": diagnosis.stdout, "cookies stderr": diagnosis.stderr}
    outputs |= {p.name: p.read_text() for p in [*out.iterdir(), diagnosis_file]}
    assert len(outputs) == 8
    assert_absent([*values, CANARY_KEY], outputs)
    assert "[REDACTED]" in next(out.glob("*.json")).read_text()


TOKEN = "CANARYsecToken-7e3c1a/+=&?"

TOKEN_CATALOGUE = """\
version: 1
probes:
  - id: dashboard
    description: a hostile dashboard embedding the session's sec_token, a credentialed answer
    url: https://console.example.test/dashboard
    auth: cookies
    capture:
      sec_token:
        - body: 'SEC_TOKEN:\\s*"([^"]+)"'
    tags: {region: cn, surface: console}
    source: test
  - id: gateway
    description: a hostile gateway echoing the captured token from the URL, a header and the form body
    method: POST
    url: https://console.example.test/gateway?token={{sec_token}}
    headers: {x-csrf-token: '{{ sec_token }}'}
    body: {form: {sec_token: '{{ sec_token }}', params: {Data: {token: '{{ sec_token }}'}}}}
    auth: none
    needs: [dashboard]
    tags: {region: cn, surface: console}
    source: test
  - id: gateway-bounce
    description: a gateway redirect whose Location carries the captured token
    url: https://console.example.test/bounce?t={{sec_token}}
    auth: none
    needs: [dashboard]
    tags: {region: cn, surface: console}
    source: test
"""


def test_no_captured_token_in_any_output(
    serve: Callable[[dict[str, Callable[[web.Request], Any]]], Server], tmp_path: Path
) -> None:
    received: list[str] = []

    async def dashboard(request: web.Request) -> web.Response:
        page = f'<html><script>window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{TOKEN}" }};</script></html>'
        return web.Response(text=page, content_type="text/html")

    async def gateway(request: web.Request) -> web.Response:
        form = await request.post()
        params = json.loads(str(form["params"]))
        received.extend(
            [request.query["token"], request.headers["x-csrf-token"], str(form["sec_token"]), params["Data"]["token"]]
        )
        everything = f"{request.query_string} {await request.text()} {dict(request.headers)}"
        body = {
            "code": "PostonlyOrTokenError",
            "message": f"request has expired: {everything}",
            "data": {"nested": [{"token": str(form["sec_token"]), "encoded": quote(everything)}]},
            "requestId": str(form["sec_token"]),
        }
        return web.json_response(body, headers={"X-Echo": quote_plus(everything), "x-sec-token": TOKEN})

    async def bounce(request: web.Request) -> web.Response:
        received.append(request.query["t"])
        token = request.query["t"]
        raise web.HTTPFound(f"/landing?echo={quote(token, safe='')}&raw={quote_plus(token)}&plain={token}")

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=f"landed with {request.query_string} {request.query.get('echo')}")

    server = serve(
        {
            "console.example.test/dashboard": dashboard,
            "console.example.test/gateway": gateway,
            "console.example.test/bounce": bounce,
            "console.example.test/landing": landing,
        }
    )
    (tmp_path / "probes.yaml").write_text(TOKEN_CATALOGUE)
    out = tmp_path / "reports"
    result = prober(
        "run",
        str(tmp_path / "probes.yaml"),
        "--connect-to",
        server.connect_to,
        "--cacert",
        str(server.ca_path),
        "--format",
        "md,json,junit",
        "--out",
        str(out),
        "--cookie-header-env",
        HEADER_ENV,
        "--cookie-domain",
        "console.example.test",
        env={HEADER_ENV: "session=CANARYsession-4d2f9a0b"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The token was captured and sent in all four places and in the redirect: not a vacuous pass.
    assert received == [TOKEN] * 5, received
    assert [r["path"] for r in server.seen.requests].count("/landing") == 1
    rendered = prober("render", str(next(out.glob("*.json"))))
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "render": rendered.stdout}
    outputs |= {p.name: p.read_text() for p in out.iterdir()}
    assert len(outputs) == 6
    assert_absent([TOKEN], outputs)
    assert "[REDACTED]" in next(out.glob("*.md")).read_text()
