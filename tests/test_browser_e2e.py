"""Issue 3 "Done when", end to end: real headless Chromium and Firefox log in to `prober replica`, then the CLI
reads their profiles from disk, names the session scheme, and runs the console probes against the replica."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prober.cookies import Jar, detect, firefox
from prober.errors import CredentialError
from prober.replica.behaviours.login import login_cookies
from prober.replica.behaviours.plans import quota_payload
from tests.cli import prober, serving
from tests.conftest import Seen, Server
from tests.test_browsers import BROWSER_FLAGS, _firefox_profile, require
from tests.test_cli import _forms

LOGIN_URL = {  # the replica's login pages (prober/replica/behaviours/login.py _login); both 302 to a dashboard
    "cn": "https://signin.aliyun.com/login/login.do?as=cn",
    "intl": "https://passport.alibabacloud.com/login/login.do?as=intl",
}
SCHEME = {"cn": "CN ticket session", "intl": "INTL passport session"}
NAMES = {kind: {c.name for c in login_cookies(kind, b"x")} for kind in LOGIN_URL}
PERSISTENT = {kind: {c.name for c in login_cookies(kind, b"x") if c.max_age is not None} for kind in LOGIN_URL}
# The CN chain captures csrf from login_aliyunid_csrf, which the replica sets as a session cookie.
CHAIN_NEEDS = {"cn": {"login_aliyunid_ticket", "login_aliyunid_pk", "login_aliyunid_csrf"}, "intl": set[str]()}
CHROMIUM_ATTEMPTS = 8


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`prober replica --port 0` as users run it; its printed `use:` line gives the flags."""
    directory = tmp_path_factory.mktemp("replica")
    args = ("replica", "--port", "0", "--dir", str(directory))
    with serving(*args, until=lambda line: line.startswith("use:")) as (_, printed):
        found = re.fullmatch(r"use: prober run --connect-to (::127\.0\.0\.1:(\d+)) --cacert (\S+)", printed[-1])
        assert found is not None, "\n".join(printed)
        server = Server(port=int(found.group(2)), ca_path=Path(found.group(3)), seen=Seen())
        assert server.connect_to == found.group(1)
        assert f"CA file: {server.ca_path}" in printed and server.ca_path.is_file()
        yield server


def _names(jar: Jar) -> set[str]:
    return {c.name for c in jar.cookies}


def chromium_login(replica: Server, kind: str, home: Path) -> Path:
    """A fresh profile navigates to the login page; --dump-dom exits once the dashboard has loaded."""
    binary = require("chromium", "chromium")
    # Chromium deletes session cookies at exit, racing its last flush to disk (see tests/test_browsers.py):
    # login_aliyunid_csrf, which the CN chain needs, is on disk in about half the runs. Log in again with a
    # fresh profile until it is; the persistent cookies must be there every time.
    for attempt in range(CHROMIUM_ATTEMPTS):
        data_dir = home / f"attempt-{attempt}" / ".config" / "chromium"
        result = subprocess.run(
            [
                binary,
                *BROWSER_FLAGS,
                f"--user-data-dir={data_dir}",
                f"--host-resolver-rules=MAP * 127.0.0.1:{replica.port}",
                "--ignore-certificate-errors",
                "--password-store=basic",
                "--dump-dom",
                LOGIN_URL[kind],
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "HOME": str(data_dir.parent.parent)},
        )
        landed = "Bailian console (replica)" if kind == "cn" else "Replica login page of passport.alibabacloud.com"
        assert landed in result.stdout, result.stderr[-2000:]
        profile = data_dir / "Default"
        names = _names(detect.load(profile))
        assert PERSISTENT[kind] <= names <= NAMES[kind]
        if CHAIN_NEEDS[kind] <= names:
            return profile
    pytest.fail(f"Chromium kept no login_aliyunid_csrf in {CHROMIUM_ATTEMPTS} fresh profiles")


def firefox_login(replica: Server, kind: str, home: Path) -> Path:
    """A fresh profile trusting the replica's CA loads the login page; once every cookie is stored, SIGTERM."""
    binary = require("firefox-esr", "firefox-esr")
    profile = _firefox_profile(home / ".mozilla" / "firefox", replica)
    host = LOGIN_URL[kind].split("/")[2]
    url = LOGIN_URL[kind].replace(host, f"{host}:{replica.port}")  # forceResolve maps names, not ports
    log = home / "firefox.log"
    stderr = log.open("wb")
    process = subprocess.Popen(
        [binary, "--headless", "--no-remote", "--profile", str(profile), url],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1"},
    )
    stderr.close()
    names: set[str] = set()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and names != NAMES[kind]:
            time.sleep(0.25)
            try:
                names = _names(firefox.load(profile))
            except CredentialError:
                names = set()  # cookies.sqlite not created yet
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert names == NAMES[kind], log.read_text(errors="replace")[-2000:]
    assert _names(detect.load(profile)) == NAMES[kind]  # after exit, session cookies from the session store
    return profile


def _section(markdown: str, probe_id: str) -> str:
    return markdown.split(f"\n### {probe_id}\n", 1)[1].split("\n### ", 1)[0]


def _quota_lines() -> list[str]:
    payload: Any = quota_payload()
    info = payload["data"]["DataV2"]["data"]["data"]["codingPlanInstanceInfos"][0]["codingPlanQuotaInfo"]
    windows = {"5h": "per5Hour", "week": "perWeek", "month": "perBillMonth"}
    # The 5-hour window slides (docs/vendor.md#five-hour-trailing): no reset time; the others reset at a time.
    return [
        f"  - `{w}`: {info[f'{p}UsedQuota']}/{info[f'{p}TotalQuota']}, "
        + ("rolling (no reset time)" if w == "5h" else "resets `")
        for w, p in windows.items()
    ]


@pytest.mark.parametrize("kind", ["cn", "intl"])
@pytest.mark.parametrize("browser", ["chromium", "firefox"])
def test_real_browser_session_end_to_end(replica: Server, browser: str, kind: str, tmp_path: Path) -> None:
    login = chromium_login if browser == "chromium" else firefox_login
    profile = login(replica, kind, tmp_path / "home")
    values = [c.value.reveal() for c in detect.load(profile).cookies]

    diagnosis = prober("cookies", str(profile), "--format", "md")
    assert diagnosis.returncode == 0, diagnosis.stderr
    assert f"- **{SCHEME[kind]}**:" in diagnosis.stdout
    other = SCHEME["intl" if kind == "cn" else "cn"]
    assert f"**{other}**" not in diagnosis.stdout

    probe_id = "console-rpc-cn-token" if kind == "cn" else "console-rpc-intl"
    out = tmp_path / "reports"
    flags = ["--connect-to", replica.connect_to, "--cacert", str(replica.ca_path), "--out", str(out)]
    result = prober("run", "--cookies", str(profile), "--select", probe_id, *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    markdown = next(out.glob("*.md")).read_text()
    section = _section(markdown, probe_id)
    assert f"| Cookie verdict | {SCHEME[kind]}:" in markdown
    if kind == "cn":
        # The chain: the dashboards and user info gave sec_token and csrf, the CN RPC host answered with quota.
        assert "- Class: `ok`: 200: quota `5h` " in section, section
        for line in _quota_lines():
            assert line in section, section
        report = json.loads(next(out.glob("*.json")).read_text())
        assert [r["outcome"]["class"] for r in report["results"]] == ["ok"] * 4, report["results"]
    else:
        # docs/vendor.md#conflict-logged-out-rpc: the RPC host answers a passport-only session 200 NotLogined.
        found = re.search(r"^console-rpc-intl +200 BailianGateway\.Login\.NotLogined$", result.stdout, re.M)
        assert found, result.stdout
        assert "- Class: `console_login_required`: 200 `BailianGateway.Login.NotLogined`" in section, section
        assert "login_aliyunid_ticket absent" in section.replace("`", ""), section

    outputs = [diagnosis.stdout, diagnosis.stderr, result.stdout, result.stderr, markdown]
    outputs += [p.read_text() for p in out.iterdir()]
    for value in values:
        for form in _forms(value):
            assert not any(form in text for text in outputs), "a cookie value leaked"
