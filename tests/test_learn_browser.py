"""Issue 15 "Done when", end to end: real headless Chromium, pointed at `prober replica` with exactly the flags it
prints, logs in and loads the console page while its DevTools protocol records a HAR; `prober learn` turns the HAR into
entries that pass `prober check`, chain `sec_token` from the page to the quota call, hold no secret value, and read
the quota when swept with that browser's cookies."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import cdp
from tests.cli import prober, serving
from tests.test_browsers import BROWSER_FLAGS, require
from tests.test_cli import _forms

LOGIN = "https://signin.aliyun.com/login/login.do?as=cn"  # the replica's CN login: 302 to the console page


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """`prober replica --port 0 --dir D` as a user runs it; every line it prints before it serves."""
    directory = tmp_path_factory.mktemp("replica")
    args = ("replica", "--port", "0", "--dir", str(directory))
    with serving(*args, until=lambda line: line.lstrip().startswith("firefox ")) as (_, lines):
        yield lines


def _chromium_flags(lines: list[str]) -> list[str]:
    """The flags of the Chromium command `prober replica` printed, less the profile it suggests (the test's own)."""
    command = shlex.split(next(line for line in lines if line.lstrip().startswith("chromium ")))
    return [arg for arg in command[1:] if arg.startswith("--") and not arg.startswith("--user-data-dir")]


async def _record(binary: str, flags: list[str], profile: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    browser, session = await cdp.open_page(binary, [*BROWSER_FLAGS, *flags], profile)
    try:
        await browser.call("Page.navigate", url=LOGIN)
        state = None
        for _ in range(300):
            state = await browser.evaluate("document.getElementById('app')?.getAttribute('data-quota') || ''")
            if state:
                break
            await asyncio.sleep(0.1)
        assert state == "loaded", "the console page did not read the quota"
        await browser.settle()
        cookies = (await browser.call("Network.getAllCookies"))["cookies"]
        return browser.har(), cookies
    finally:
        await cdp.close(browser, session)


def _netscape(cookies: list[dict[str, Any]]) -> str:
    lines = []
    for c in cookies:
        domain = c["domain"]
        expires = 0 if c.get("session") else int(c.get("expires", 0))
        prefix = "#HttpOnly_" if c.get("httpOnly") else ""
        flag = "TRUE" if domain.startswith(".") else "FALSE"
        secure = "TRUE" if c.get("secure") else "FALSE"
        lines.append(f"{prefix}{domain}\t{flag}\t{c['path']}\t{secure}\t{expires}\t{c['name']}\t{c['value']}")
    return "\n".join(lines) + "\n"


def test_a_har_recorded_by_chromium_is_learned_checked_and_reads_quota(printed: list[str], tmp_path: Path) -> None:
    binary = require("chromium", "chromium")
    found = re.fullmatch(
        r"use: prober run --connect-to (\S+) --cacert (\S+)", next(x for x in printed if x.startswith("use:"))
    )
    assert found is not None, printed
    connect_to, cacert = found.groups()
    assert any(line.startswith("log in (any login id and password): CN https://signin.aliyun.com/") for line in printed)

    har, cookies = asyncio.run(_record(binary, _chromium_flags(printed), tmp_path / "profile"))
    har_path = tmp_path / "console.har"
    har_path.write_text(json.dumps(har))
    jar = tmp_path / "cookies.txt"
    jar.write_text(_netscape(cookies))
    page = next(e for e in har["log"]["entries"] if "SEC_TOKEN" in e["response"]["content"]["text"])
    sec_token = re.search(r'SEC_TOKEN: "([^"]+)"', page["response"]["content"]["text"])
    assert sec_token is not None
    secrets = [c["value"] for c in cookies if len(c["value"]) >= 8] + [sec_token.group(1)]
    assert {c["name"] for c in cookies} >= {"login_aliyunid_ticket", "login_aliyunid_csrf"}

    learned = tmp_path / "learned.yaml"
    learn = prober("learn", str(har_path), "--out", str(learned))
    assert learn.returncode == 0, learn.stderr
    assert "left out" in learn.stderr and "sign-in pages" in learn.stderr and "CORS preflights" in learn.stderr
    check = prober("check", str(learned))
    assert check.returncode == 0, check.stdout + check.stderr

    probes = {p["id"]: p for p in yaml.safe_load(learned.read_text())["probes"]}
    rpc = next(p for p in probes.values() if p["url"] == "https://bailian-cs.console.aliyun.com/data/api.json")
    assert rpc["body"]["form"]["sec_token"] == "{{ sec_token }}"
    assert "_v" not in rpc.get("query", {})  # the page's cache buster is per-request noise
    dashboard = probes[rpc["needs"][0]]
    assert dashboard["url"] == "https://bailian.console.aliyun.com/cn-beijing/"
    assert "body" in dashboard["capture"]["sec_token"][0]
    assert (dashboard["auth"], rpc["auth"]) == ("cookies", "cookies")

    out = tmp_path / "reports"
    flags = ["--cookies", str(jar), "--connect-to", connect_to, "--cacert", cacert, "--out", str(out)]
    run = prober("run", str(learned), *flags)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(next(out.glob("*.json")).read_text())
    outcome = next(r["outcome"] for r in report["results"] if r["probe"]["id"] == rpc["id"])
    assert outcome["class"] == "ok", outcome
    assert [w["name"] for w in outcome["quota"]["windows"]] == ["5h", "week", "month"]

    outputs = [learned.read_text(), learn.stdout, learn.stderr, check.stdout, check.stderr, run.stdout, run.stderr]
    outputs += [p.read_text() for p in out.iterdir()]
    for value in secrets:
        for form in _forms(value):
            assert not any(form in text for text in outputs), "a secret value from the HAR leaked"
