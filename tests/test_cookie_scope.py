"""Jars keep only the cookies for Alibaba's domains, `--cookie-domain` and `--allow-key-host`, under public-suffix
rules (issue 9): other sites' cookies are counted, never kept, never read further where it can be avoided, and never
sent."""

from __future__ import annotations

import json
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from prober import scope
from prober.cookies import Cookie, Jar, browsers, chromium, firefox, rawheader, setcookie
from prober.credentials import CookieSource, load_jar, resolve
from prober.errors import CredentialError
from prober.redact import Secret
from tests.cli import prober
from tests.conftest import Server, start_server
from tests.test_cookie_sources import chrome_time, chromium_db, encrypt, firefox_db, hashed, mozlz4

LATER = time.time() + 86_400

# (name, value, host as a browser stores it: a leading dot marks a domain cookie). The foreign cookies carry the
# names of Alibaba's session cookies: a `.com` cookie named like the ticket is the attack, not a stray cookie.
ALIBABA = [
    ("login_aliyunid_ticket", "KEPT-ticket-0a1b2c3d", ".aliyun.com"),
    ("login_aliyunid_csrf", "KEPT-csrf-4e5f6a7b", "console.aliyun.com"),
    ("login_aliyunid_pk", "KEPT-pk-8c9d0e1f", ".alibabacloud.com"),
]
STAGING = [("login_current_pk", "STAGING-pk-2a3b4c5d", ".example.test")]
FOREIGN = [
    ("login_aliyunid_pk", "FOREIGN-evil-6e7f8a9b", ".evil.test"),
    ("login_current_pk", "FOREIGN-example-0c1d2e3f", "example.com"),
    ("login_aliyunid_ticket", "FOREIGN-dotcom-4a5b6c7d", ".com"),
    ("login_aliyunid_csrf", "FOREIGN-couk-8e9f0a1b", ".co.uk"),
]
ROWS = ALIBABA + STAGING + FOREIGN


def _values(rows: list[tuple[str, str, str]]) -> list[str]:
    return [value for _, value, _ in rows]


def _netscape(directory: Path) -> Path:
    path = directory / "jar"
    lines = (
        f"{host}\t{'TRUE' if host.startswith('.') else 'FALSE'}\t/\tTRUE\t{int(LATER)}\t{name}\t{value}\n"
        for name, value, host in ROWS
    )
    path.write_text("".join(lines))
    return path


def _cookie_editor(directory: Path) -> Path:
    path = directory / "jar"
    entries = [
        {"domain": host, "hostOnly": not host.startswith("."), "name": name, "value": value, "path": "/"}
        for name, value, host in ROWS
    ]
    path.write_text(json.dumps(entries))
    return path


def _firefox(directory: Path) -> Path:
    firefox_db(directory / "cookies.sqlite", [(n, v, h, "/", int(LATER), 1, 1) for n, v, h in ROWS])
    return directory / "cookies.sqlite"


def _chromium(directory: Path) -> Path:
    rows = [(h, n, "", encrypt(hashed(h, v)), chrome_time(LATER), 1, 1, 1) for n, v, h in ROWS]
    return chromium_db(directory / "Cookies", 24, rows)


WRITERS: dict[str, Callable[[Path], Path]] = {
    "netscape": _netscape,
    "cookie-editor": _cookie_editor,
    "firefox": _firefox,
    "chromium": _chromium,
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_format_keeps_alibaba_cookies_only(kind: str, tmp_path: Path) -> None:
    path = WRITERS[kind](tmp_path)
    jar = load_jar(CookieSource(path=path), {})
    assert sorted(c.value.reveal() for c in jar.cookies) == sorted(_values(ALIBABA))
    assert jar.left_out == len(STAGING) + len(FOREIGN)
    for source in (CookieSource(path=path, domain="example.test"), CookieSource(path=path, allow=("example.test",))):
        jar = load_jar(source, {})
        assert sorted(c.value.reveal() for c in jar.cookies) == sorted(_values(ALIBABA + STAGING))
        assert jar.left_out == len(FOREIGN)


def test_a_left_out_cookie_is_never_chosen_for_any_url(tmp_path: Path) -> None:
    jar = load_jar(CookieSource(path=_netscape(tmp_path), domain="example.test"), {})
    foreign = set(_values(FOREIGN))
    for host in ("console.aliyun.com", "signin.alibabacloud.com", "evil.test", "example.com", "www.example.co.uk"):
        assert not foreign & {c.value.reveal() for c in jar.for_url(f"https://{host}/", 0)}, host


def test_firefox_session_store_cookies_are_scoped_too(tmp_path: Path) -> None:
    firefox_db(tmp_path / "cookies.sqlite", [("login_aliyunid_pk", "KEPT", ".aliyun.com", "/", int(LATER), 1, 1)])
    store = {"cookies": [{"host": h, "name": n, "value": v, "path": "/"} for n, v, h in FOREIGN + ALIBABA[:1]]}
    (tmp_path / "sessionstore-backups").mkdir()
    (tmp_path / "sessionstore-backups" / "recovery.jsonlz4").write_bytes(mozlz4(json.dumps(store).encode()))
    jar = load_jar(CookieSource(path=tmp_path), {})
    assert sorted(c.value.reveal() for c in jar.cookies) == ["KEPT", ALIBABA[0][1]]
    assert jar.left_out == len(FOREIGN)


# --- Browser databases are read for the allowed domains only -----------------------------------------------------

OTHER_SITES = 3_000


def _browser_home(root: Path) -> Path:
    """A $HOME whose Chromium and Firefox profiles hold 3,000 other sites' cookies that cannot be read at all
    (Chromium: an unknown encryption version; Firefox: a non-numeric expiry), and Alibaba's two."""
    default = root / ".config" / "chromium" / "Default"
    default.mkdir(parents=True)
    rows = [(f".site{n}.example", "sid", "", b"v99unreadable", 0, 1, 1, 1) for n in range(OTHER_SITES)]
    rows += [(h, n, "", encrypt(hashed(h, v)), chrome_time(LATER), 1, 1, 1) for n, v, h in ALIBABA[:2]]
    chromium_db(default / "Cookies", 24, rows)
    profile = root / ".mozilla" / "firefox" / "abcd.default-release"
    profile.mkdir(parents=True)
    database = firefox_db(profile / "cookies.sqlite", [(n, v, h, "/", int(LATER), 1, 1) for n, v, h in ALIBABA[:2]])
    connection = sqlite3.connect(database)
    connection.executemany(
        "INSERT INTO moz_cookies (name, value, host, path, expiry) VALUES ('sid', 'x', ?, '/', 'not a number')",
        [(f".site{n}.example",) for n in range(OTHER_SITES)],
    )
    connection.commit()
    connection.close()
    (root / ".mozilla" / "firefox" / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\nDefault=1\n"
    )
    return root


def test_browser_profiles_are_read_for_the_allowed_domains_only(tmp_path: Path) -> None:
    home = _browser_home(tmp_path)
    domains = scope.cookie_domains()
    for spec in ("chromium", "firefox"):
        jar = browsers.load(spec, home=home, platform="linux", domains=domains)
        assert sorted(c.value.reveal() for c in jar.cookies) == sorted(_values(ALIBABA[:2])), spec
        assert jar.left_out == OTHER_SITES, spec
    # The same rows read without a scope fail: the scoped read above never touched them.
    with pytest.raises(CredentialError, match="unknown encryption"):
        chromium.load(home / ".config" / "chromium" / "Default", keys=chromium.Keys("chromium", "linux"))
    with pytest.raises(CredentialError, match="non-numeric expiry"):
        firefox.load(home / ".mozilla" / "firefox" / "abcd.default-release")


def test_prober_cookies_counts_what_it_left_out_and_never_names_it(tmp_path: Path) -> None:
    home = _browser_home(tmp_path / "home")
    result = prober("cookies", "--browser", "chromium", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "kept 2 cookies for Alibaba's domains" in result.stdout
    assert "left out 3,000 for other sites" in result.stdout
    assert "site1" not in result.stdout + result.stderr

    diagnosis = prober("cookies", str(_netscape(tmp_path)))
    assert diagnosis.returncode == 0, diagnosis.stderr
    assert "kept 3 cookies" in diagnosis.stdout
    assert "left out 5 for other sites" in diagnosis.stdout
    for hidden in ("evil.test", "example.com", "`.com`", "co.uk", "example.test", "FOREIGN", "STAGING"):
        assert hidden not in diagnosis.stdout + diagnosis.stderr, hidden


def test_a_jar_with_nothing_for_alibaba_says_so(tmp_path: Path) -> None:
    path = tmp_path / "jar"
    path.write_text(f".evil.test\tTRUE\t/\tTRUE\t{int(LATER)}\tlogin_aliyunid_ticket\tFOREIGN-only-1a2b3c\n")
    creds = resolve({}, None, None, CookieSource(path=path))
    assert creds.jar is not None and creds.jar.cookies == () and creds.jar.left_out == 1
    assert creds.notes == (
        "the netscape jar holds no cookies for aliyuncs.com, alibabacloud.com, aliyun.com, qwencloud.com "
        "(left out 1 for other sites): add --cookie-domain DOMAIN for another site",
    )


# --- Public-suffix rules (RFC 6265 §5.3 step 5) --------------------------------------------------------------------


def _cookie(domain: str, host_only: bool) -> Cookie:
    return Cookie(name="c", value=Secret("v"), domain=domain, host_only=host_only)


@pytest.mark.parametrize(
    ("allowed", "domain", "host_only", "kept"),
    [
        (("github.io",), "github.io", False, False),  # a domain cookie on a public suffix goes to every site under it
        (("github.io",), "github.io", True, True),  # host-only for exactly that name: as a browser keeps it
        (("github.io",), "user.github.io", False, False),  # allowing a public suffix allows that name alone
        (("com",), "com", False, False),
        (("com",), "example.com", False, False),  # `--allow-key-host com` does not open every .com site
        (("co.uk",), "shop.example.co.uk", True, False),
        (("localhost",), "localhost", True, True),
        (("localhost",), "localhost", False, False),
        (("127.0.0.1",), "127.0.0.1", False, True),  # an IP address matches only itself anyway (§5.1.3)
        (("127.0.0.1",), "1", False, False),
        ((), "aliyun.com", False, True),
        ((), "bailian.console.aliyun.com", True, True),
        ((), "aliyun.com.evil.test", False, False),
        ((), "evilaliyun.com", False, False),
        (("example.test",), "console.example.test", False, True),
    ],
)
def test_public_suffix_rule(allowed: tuple[str, ...], domain: str, host_only: bool, kept: bool) -> None:
    jar = Jar("t", (_cookie(domain, host_only),)).scoped(scope.cookie_domains(allowed))
    assert (len(jar.cookies), jar.left_out) == ((1, 0) if kept else (0, 1))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("dashscope.aliyuncs.com", "aliyuncs.com"),
        ("bailian.console.aliyun.com", "aliyun.com"),
        ("Signin.AlibabaCloud.com.", "alibabacloud.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("user.github.io", "user.github.io"),  # github.io is on the list's private section, as browsers use it
        ("github.io", "github.io"),
        ("com", "com"),
        ("api.example.test", "example.test"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "[::1]"),
        # An IDN suffix on the list (三重.jp), as URLs and jars carry it (punycode) and as written: same labels kept.
        ("a.b.xn--ehqz56n.jp", "b.xn--ehqz56n.jp"),
        ("a.b.三重.jp", "b.三重.jp"),
        ("a.b.xn--zz.jp", "xn--zz.jp"),  # a label that does not decode is an unlisted name under jp
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert scope.registrable(host) == expected


@pytest.mark.parametrize(
    ("domain", "listed_only", "expected"),
    [
        ("com", False, True),
        (".co.uk", False, True),
        ("github.io", False, True),
        ("aliyun.com", False, False),
        ("localhost", False, True),  # the list's implicit `*` rule
        ("localhost", True, False),
        ("com", True, True),
        ("127.0.0.1", False, False),
        ("", False, False),
        ("xn--ehqz56n.jp", True, True),  # 三重.jp, listed in Unicode, found from its punycode form
        ("b.xn--ehqz56n.jp", False, False),
    ],
)
def test_public_suffix(domain: str, listed_only: bool, expected: bool) -> None:
    assert scope.public_suffix(domain, listed_only) is expected


@pytest.mark.parametrize(
    ("header", "url", "expected"),
    [
        ("a=1; Domain=com", "https://www.example.com/", None),
        ("a=1; Domain=.co.uk", "https://shop.example.co.uk/", None),
        ("a=1; Domain=github.io", "https://github.io/", ("github.io", True)),
        ("a=1; Domain=example.com", "https://www.example.com/", ("example.com", False)),
    ],
)
def test_set_cookie_on_a_public_suffix(header: str, url: str, expected: tuple[str, bool] | None) -> None:
    cookie = setcookie.parse(header, url, 0)
    assert (None if cookie is None else (cookie.domain, cookie.host_only)) == expected


def test_a_cookie_header_for_a_public_suffix_is_refused() -> None:
    for domain in ("com", ".co.uk", "github.io"):
        with pytest.raises(CredentialError, match="is a public suffix"):
            load_jar(CookieSource(header_env="C", domain=domain), {"C": "login_aliyunid_ticket=t-123456"})
    jar = rawheader.parse("a=1", "header", "localhost")
    assert [(c.domain, c.host_only) for c in jar.cookies] == [("localhost", True)]


# --- End to end: what a server receives --------------------------------------------------------------------------

E2E_HOSTS = (
    "console.aliyun.com",
    "signin.alibabacloud.com",
    "evil.test",
    "example.com",
    "www.example.co.uk",
    "console.example.test",
)


@pytest.fixture
def every_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One TLS server answering for Alibaba's hosts and foreign ones alike (reached with --connect-to)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*E2E_HOSTS).configure_cert(context)
    ca_path = tmp_path_factory.mktemp("scope-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))

    async def ok(request: web.Request) -> Any:
        return web.Response(text="ok")

    server, stop = start_server({f"{host}/": ok for host in E2E_HOSTS}, context, ca_path)
    yield server
    stop()


def _catalogue(path: Path) -> Path:
    probes = "".join(
        f"  - id: to-{n}\n    description: cookies to {host}\n    url: https://{host}/\n    auth: cookies\n"
        f"    tags: {{region: intl, surface: console}}\n    source: test\n"
        for n, host in enumerate(E2E_HOSTS)
    )
    path.write_text("version: 1\nprobes:\n" + probes)
    return path


@pytest.mark.parametrize("cookie_domain", [(), ("--cookie-domain", "example.test")])
def test_no_foreign_cookie_reaches_any_server(
    every_host: Server, cookie_domain: tuple[str, ...], tmp_path: Path
) -> None:
    result = prober(
        "run",
        str(_catalogue(tmp_path / "probes.yaml")),
        "--cookies",
        str(_netscape(tmp_path)),
        *cookie_domain,
        "--connect-to",
        every_host.connect_to,
        "--cacert",
        str(every_host.ca_path),
        "--fail-on",
        "none",
        "--out",
        str(tmp_path / "reports"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    received = {
        host: " ".join(r["headers"].get("Cookie", "") for r in every_host.seen.for_host(host)) for host in E2E_HOSTS
    }
    assert len(every_host.seen.requests) == len(E2E_HOSTS)
    everything = " ".join(received.values())
    for value in _values(FOREIGN):
        assert value not in everything, value
    # Not a vacuous pass: Alibaba's cookies did go out, each to its own hosts.
    assert ALIBABA[0][1] in received["console.aliyun.com"] and ALIBABA[1][1] in received["console.aliyun.com"]
    assert ALIBABA[2][1] in received["signin.alibabacloud.com"]
    assert (STAGING[0][1] in received["console.example.test"]) is bool(cookie_domain)
