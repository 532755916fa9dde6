"""Real headless Chromium and Firefox (and curl) log in to a local TLS page; the prober reads what they stored."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from prober.cookies import Jar, browsers, detect, firefox
from prober.errors import CredentialError
from tests.conftest import Handler, Server

# name -> (Set-Cookie attributes, expected (domain, host_only, secure, http_only, persistent))
COOKIES = {
    "login_aliyunid_ticket": (
        "Domain=.example.test; Path=/; Max-Age=86400; Secure; HttpOnly",
        ("example.test", False, True, True, True),
    ),
    "login_aliyunid_pk": (
        "Domain=.example.test; Path=/; Max-Age=86400; Secure",
        ("example.test", False, True, False, True),
    ),
    "cna": ("Path=/; Max-Age=86400", ("console.example.test", True, False, False, True)),
    "JSESSIONID": ("Path=/; Secure; HttpOnly", ("console.example.test", True, True, True, False)),
    "atpsida": ("Domain=.example.test; Path=/", ("example.test", False, False, False, False)),
}
VALUES = {name: f"{name}-value-{n}" for n, name in enumerate(COOKIES)}
BROWSER_FLAGS = [  # headless Chromium as root on a closed network: no sandbox, GPU, QUIC or background traffic
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found is None:
        pytest.fail(f"{binary} is not installed: apt-get install -y {package} (the CI script installs it)")
    return found


async def login(request: web.Request) -> web.Response:
    response = web.Response(text="<html><body>signed in</body></html>", content_type="text/html")
    for name, (attributes, _) in COOKIES.items():
        response.headers.add("Set-Cookie", f"{name}={VALUES[name]}; {attributes}")
    return response


@pytest.fixture
def login_server(serve: Callable[[dict[str, Handler]], Server]) -> Server:
    return serve({"console.example.test/login": login})


def check(jar: Jar, started: float, optional: frozenset[str] = frozenset()) -> None:
    """Every cookie the server set, with its scope, flags and value; `optional` ones may be absent."""
    got = {c.name: c for c in jar.cookies}
    assert sorted(got) == sorted(n for n in COOKIES if n in got or n not in optional)
    for name, c in got.items():
        domain, host_only, secure, http_only, persistent = COOKIES[name][1]
        assert (c.value.reveal(), c.domain, c.host_only, c.path, c.secure, c.http_only) == (
            VALUES[name],
            domain,
            host_only,
            "/",
            secure,
            http_only,
        ), name
        if persistent:
            assert c.expires is not None and abs(c.expires - (started + 86_400)) < 300, name
        else:
            assert c.expires is None, name


def test_chromium_profile(login_server: Server, tmp_path: Path) -> None:
    binary = require("chromium", "chromium")
    data_dir = tmp_path / ".config" / "chromium"  # the default location browsers.load looks in, under a fake $HOME
    started = time.time()
    result = subprocess.run(
        [
            binary,
            *BROWSER_FLAGS,
            f"--user-data-dir={data_dir}",
            f"--host-resolver-rules=MAP * 127.0.0.1:{login_server.port}",
            "--ignore-certificate-errors",
            "--password-store=basic",  # v10 values under the "peanuts" key, as on a desktop without a keyring
            "--dump-dom",
            "https://console.example.test/login",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert "signed in" in result.stdout, result.stderr[-2000:]
    jar = browsers.load("chromium", home=tmp_path, platform="linux")
    assert jar.kind == "chromium"
    # Chromium without session restore deletes session cookies at exit, racing its last flush to disk: the
    # session cookies (JSESSIONID, atpsida) are on disk in most runs but not all. Checked when present.
    check(jar, started, optional=frozenset({"JSESSIONID", "atpsida"}))
    assert detect.load(data_dir / "Default").cookies == jar.cookies


def _firefox_profile(root: Path, server: Server) -> Path:
    profile = root / "prober.default"
    profile.mkdir(parents=True)
    (root / "profiles.ini").write_text("[Profile0]\nName=prober\nIsRelative=1\nPath=prober.default\nDefault=1\n")
    certutil = require("certutil", "libnss3-tools")
    subprocess.run([certutil, "-N", "-d", f"sql:{profile}", "--empty-password"], check=True, timeout=30)
    subprocess.run(
        [certutil, "-A", "-n", "prober-test-ca", "-t", "C,,", "-i", str(server.ca_path), "-d", f"sql:{profile}"],
        check=True,
        timeout=30,
    )
    prefs = {
        "network.dns.forceResolve": '"127.0.0.1"',  # every host name resolves to the local server
        "network.proxy.type": "0",
        "browser.sessionstore.interval": "500",  # write session cookies to recovery.jsonlz4 quickly
        "browser.shell.checkDefaultBrowser": "false",
        "datareporting.policy.dataSubmissionEnabled": "false",
        "toolkit.telemetry.enabled": "false",
        "app.update.enabled": "false",
        "network.captive-portal-service.enabled": "false",
        "network.connectivity-service.enabled": "false",
        "browser.safebrowsing.malware.enabled": "false",
        "browser.safebrowsing.phishing.enabled": "false",
        "extensions.update.enabled": "false",
    }
    (profile / "user.js").write_text("".join(f'user_pref("{k}", {v});\n' for k, v in prefs.items()))
    return profile


def test_firefox_profile_with_session_cookies(login_server: Server, tmp_path: Path) -> None:
    binary = require("firefox-esr", "firefox-esr")
    root = tmp_path / ".mozilla" / "firefox"
    profile = _firefox_profile(root, login_server)
    started = time.time()
    log = tmp_path / "firefox.log"
    stderr = log.open("wb")  # the child keeps its own descriptor; ours is closed at once
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-remote",
            "--profile",
            str(profile),
            f"https://console.example.test:{login_server.port}/login",
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, "HOME": str(tmp_path), "MOZ_CRASHREPORTER_DISABLE": "1"},
    )
    stderr.close()
    jar: Jar | None = None
    try:
        # Read while Firefox runs and holds the database: the reader works from a copy (db + -wal).
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                jar = firefox.load(profile)
            except CredentialError:
                jar = None  # cookies.sqlite not created yet
            if jar is not None and len(jar.cookies) == len(COOKIES):
                break
            time.sleep(0.25)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert jar is not None, log.read_text(errors="replace")[-2000:]
    check(jar, started)
    after = browsers.load("firefox", home=tmp_path, platform="linux")  # after exit, via profiles.ini
    assert after.kind == "firefox"
    check(after, started)


def test_curl_jar(login_server: Server, tmp_path: Path) -> None:
    binary = require("curl", "curl")
    jar_path = tmp_path / "jar"  # no extension: detect.load goes by content
    started = time.time()
    subprocess.run(
        [
            binary,
            "--silent",
            "--fail",
            "--cacert",
            str(login_server.ca_path),
            "--connect-to",
            login_server.connect_to,
            "-c",
            str(jar_path),
            "https://console.example.test/login",
        ],
        check=True,
        timeout=30,
        capture_output=True,
    )
    jar = detect.load(jar_path)
    assert jar.kind == "netscape"
    check(jar, started)
