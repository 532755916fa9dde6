"""`prober learn` (issue 15) over hand-made HARs in both browsers' shapes: what is kept and why the rest is not,
credentials as `auth:`, capture -> placeholder chains, noise, `--expect-observed`, `--append`, and no secret value in
the output or on the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from prober import catalogue
from prober.learn import har, learn, render
from tests.cli import prober
from tests.test_cli import _forms

SEC_TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
USER_TOKEN = "Ut7Kq2Wm9Zp4Xr8Ls3Nb6Vc1"
TICKET = "TicketCanaryQ7w8E9r0T1y2"
CSRF = "CsrfCanaryZ9x8C7v6B5"
KEY = "sk-sp-LearnKeyCanaryAbCdEf0123456789"
TOKEN = "ConsoleTokenCanary-0123456789abcdef"
PASSWORD = "PassCanary-123456"
SECRETS = (SEC_TOKEN, USER_TOKEN, TICKET, CSRF, KEY, TOKEN, PASSWORD)
JAR = (("login_aliyunid_ticket", TICKET), ("login_aliyunid_pk", "5000000000000123"), ("login_aliyunid_csrf", CSRF))
CONSOLE = "https://bailian.console.aliyun.com"
RPC = "https://bailian-cs.console.aliyun.com/data/api.json"
API = "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"


def _entry(method: str, url: str, kind: str | None = None, **parts: Any) -> dict[str, Any]:
    """One HAR entry; `kind` is Chromium's _resourceType (Firefox writes none)."""
    headers = list(parts.get("headers", ()))
    cookies = parts.get("cookies", ())
    if cookies:
        headers.append(("Cookie", "; ".join(f"{n}={v}" for n, v in cookies)))
    entry: dict[str, Any] = {
        "startedDateTime": "2026-11-30T10:00:00.000Z",
        "request": {
            "method": method,
            "url": url,
            "headers": [{"name": n, "value": v} for n, v in headers],
            "cookies": [{"name": n, "value": v} for n, v in cookies],
        },
        "response": {
            "status": parts.get("status", 200),
            "headers": [{"name": n, "value": v} for n, v in parts.get("response_headers", ())],
            "cookies": [{"name": n, "value": v} for n, v in parts.get("set_cookies", ())],
            "content": {"mimeType": parts.get("mime", "text/html"), "text": parts.get("text", "")},
        },
    }
    if "post" in parts:
        entry["request"]["postData"] = {"mimeType": parts["post"][0], "text": parts["post"][1]}
    if kind:
        entry["_resourceType"] = kind
    return entry


def _har(chromium: bool = True) -> dict[str, Any]:
    def kind(value: str) -> str | None:
        return value if chromium else None

    params = {
        "Api": API,
        "V": "1.0",
        "Data": {"cornerstoneParam": {"feTraceId": "3f1c2b9a-1d2e-4f5a-8b9c-0d1e2f3a4b5c"}},
    }
    form = urlencode({"params": json.dumps(params), "region": "cn-beijing", "sec_token": SEC_TOKEN})
    page = f'<script>window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{SEC_TOKEN}" }};</script>'
    login = urlencode({"loginId": "me", "password": PASSWORD})
    entries = [
        _entry(
            "POST",
            "https://signin.aliyun.com/login/login.do",
            kind("document"),
            status=302,
            set_cookies=JAR,
            post=("application/x-www-form-urlencoded", login),
        ),
        _entry(
            "GET",
            f"{CONSOLE}/cn-beijing/?tab=model",
            kind("document"),
            cookies=JAR,
            text=page,
            headers=[("Accept", "text/html"), ("Sec-Fetch-Mode", "navigate"), ("sec-ch-ua", '"Chromium"')],
        ),
        _entry(
            "GET",
            f"{CONSOLE}/tool/user/info.json",
            kind("xhr"),
            cookies=JAR,
            mime="application/json",
            text=json.dumps({"data": {"userToken": USER_TOKEN, "loginId": "me@example.com"}}),
        ),
        _entry("GET", "https://g.alicdn.com/console/app.js", kind("script"), mime="application/javascript"),
        _entry("GET", f"{CONSOLE}/static/app.css", kind("stylesheet"), mime="text/css"),
        _entry("GET", f"{CONSOLE}/static/logo.png", kind("image"), mime="image/png"),
        _entry("POST", "https://arms-retcode.aliyuncs.com/r.png", kind("ping")),
        _entry("OPTIONS", f"{RPC}?action=BroadScopeAspnGateway", kind("preflight"), status=204),
        _entry(
            "POST",
            f"{RPC}?action=BroadScopeAspnGateway&product=sfm_bailian&api={API}&_v=1764496800000",
            kind("fetch"),
            cookies=JAR,
            mime="application/json",
            text='{"code":"200","data":{"success":true}}',
            headers=[
                ("Accept", "*/*"),
                ("x-csrf-token", CSRF),
                ("x-user-token", USER_TOKEN),
                ("Origin", CONSOLE),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            post=("application/x-www-form-urlencoded;charset=UTF-8", form),
        ),
        _entry(
            "POST",
            f"{RPC}?action=BroadScopeAspnGateway&product=sfm_bailian&api={API}&_v=1764496800999",
            kind("fetch"),
            cookies=JAR,
            post=("application/x-www-form-urlencoded", form),
        ),
        _entry(
            "GET",
            "https://dashscope.aliyuncs.com/api/v1/models",
            kind("xhr"),
            status=401,
            headers=[("Authorization", f"Bearer {KEY}")],
            mime="application/json",
            text='{"code":"InvalidApiKey","message":"Invalid API-key provided."}',
        ),
        _entry(
            "POST",
            "https://bailian-singapore-cs.alibabacloud.com/cli/api.json",
            kind("fetch"),
            headers=[("Authorization", f"Bearer {TOKEN}")],
            post=("application/json", '{"api": "x"}'),
        ),
        _entry("GET", "https://www.example.com/", kind("document")),
    ]
    return {"log": {"version": "1.2", "entries": entries}}


def _probes(text: str) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in yaml.safe_load(text)["probes"]}


def test_documents_xhr_and_fetch_to_alibaba_are_kept_and_every_other_request_is_counted_with_its_reason() -> None:
    found = learn(_har(), today="2026-12-01")
    assert len(found.probes) == 5
    assert found.dropped == {
        har.SIGN_IN: 1,
        har.OTHER_SITE: 2,
        har.STATIC: 2,
        har.ANALYTICS: 1,
        har.PREFLIGHT: 1,
        har.REPEAT: 1,
    }
    assert found.date == "2026-11-30"  # the HAR's own date
    probe = found.probes[0]
    assert probe["source"].startswith("learned from a HAR of 2026-11-30")
    assert "learned from a HAR of 2026-11-30" in probe["description"]


def test_firefox_hars_without_resource_types_are_read_by_url_and_content_type() -> None:
    found = learn(_har(chromium=False), today="2026-12-01")
    assert len(found.probes) == 5
    assert found.dropped[har.STATIC] == 2  # app.css and logo.png; app.js is another site's
    assert found.dropped[har.PREFLIGHT] == 1 and found.dropped[har.ANALYTICS] == 1


def test_credentials_become_auth_and_values_one_answer_delivers_become_captures() -> None:
    found = learn(_har(), today="2026-12-01")
    probes = {p["url"]: p for p in found.probes}
    page, user, rpc = probes[f"{CONSOLE}/cn-beijing/"], probes[f"{CONSOLE}/tool/user/info.json"], probes[RPC]
    assert (page["auth"], user["auth"], rpc["auth"]) == ("cookies", "cookies", "cookies")
    assert probes["https://dashscope.aliyuncs.com/api/v1/models"]["auth"] == {"key": "bearer"}
    assert probes["https://bailian-singapore-cs.alibabacloud.com/cli/api.json"]["auth"] == "console-token"
    # sec_token from the page's script, the CSRF header from the session's cookie, a token from a JSON answer.
    assert page["capture"]["sec_token"] == [{"body": 'SEC_TOKEN"?\\s*[:=]\\s*["\']([^"\']+)["\']'}]
    assert page["capture"]["x_csrf_token"] == [{"cookie": "login_aliyunid_csrf"}]
    assert user["capture"]["x_user_token"] == [{"json": "userToken"}]
    assert rpc["body"]["form"]["sec_token"] == "{{ sec_token }}"
    assert rpc["headers"]["x-csrf-token"] == "{{ x_csrf_token }}"
    assert rpc["headers"]["x-user-token"] == "{{ x_user_token }}"
    assert rpc["needs"] == [page["id"], user["id"]]
    # Noise: the cache buster is gone, the trace id stable; client hints and Content-Type are not carried.
    assert "_v" not in rpc["query"] and rpc["query"]["api"] == API
    assert (
        rpc["body"]["form"]["params"]["Data"]["cornerstoneParam"]["feTraceId"] == "00000000-0000-4000-8000-000000000000"
    )
    assert "sec-ch-ua" not in page["headers"] and "Content-Type" not in rpc["headers"]
    assert found.noise == 2
    assert {(n, t) for n, _, t in found.links} == {
        ("sec_token", rpc["id"]),
        ("x_csrf_token", rpc["id"]),
        ("x_user_token", rpc["id"]),
    }


def test_the_output_passes_check_and_holds_no_secret_value(tmp_path: Path) -> None:
    path = tmp_path / "console.har"
    path.write_text(json.dumps(_har()))
    out = tmp_path / "learned.yaml"
    result = prober("learn", str(path), "--out", str(out), "--expect-observed")
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert catalogue.parse(text, "learned.yaml", catalogue.Rules()).probes
    check = prober("check", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "learned 5 probes from 13 requests" in result.stderr
    assert "capture sec_token: " in result.stderr and "left out 8:" in result.stderr
    models = next(p for p in _probes(text).values() if p["url"].endswith("/api/v1/models"))
    assert models["expect"] == {"status": [401], "class": "key_rejected"}
    printed = prober("learn", str(path))  # to stdout
    assert printed.returncode == 0 and printed.stdout.startswith("# 5 probes learned")
    for value in SECRETS:
        for form in _forms(value):
            for output in (text, result.stdout, result.stderr, printed.stdout, printed.stderr, check.stdout):
                assert form not in output, f"{value} leaked"


def test_append_adds_only_what_the_catalogue_lacks_and_never_repeats_an_id(tmp_path: Path) -> None:
    path = tmp_path / "console.har"
    path.write_text(json.dumps(_har()))
    target = tmp_path / "probes.yaml"
    target.write_text(render(learn(_har(), today="2026-12-01")))
    before = target.read_text()
    result = prober("learn", str(path), "--append", str(target))
    assert result.returncode == 0, result.stderr
    assert "learned 0 probes" in result.stderr and "5 requests the catalogue already makes" in result.stderr
    assert target.read_text() == before  # nothing new: the catalogue is left as it was

    # Into a catalogue holding other probes: the HAR's are added after them, indented alike, every id once.
    other = tmp_path / "other.yaml"
    other.write_text(
        "version: 1\nprobes:\n    - id: dashscope-api-v1-models\n      description: taken id\n"
        "      url: https://dashscope-intl.aliyuncs.com/api/v1/models\n"
    )
    result = prober("learn", str(path), "--append", str(other))
    assert result.returncode == 0, result.stderr
    ids = [p.id for p in catalogue.load(other).probes]
    assert len(ids) == 6 and len(set(ids)) == 6 and "dashscope-api-v1-models-2" in ids
    assert prober("check", str(other)).returncode == 0
    for value in SECRETS:
        assert value not in other.read_text()


def test_a_file_that_is_not_a_har_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.har"
    bad.write_text('{"not": "a har"}')
    result = prober("learn", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: not a HAR file (no log.entries)")
    bad.write_text("{")
    assert "is not JSON" in prober("learn", str(bad)).stderr
