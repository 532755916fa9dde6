"""Table-driven tests for prober.cookies: RFC 6265 domain and path matching, Secure cookies, and the Netscape
cookies.txt format (prober/cookies/netscape.py); the other formats are in tests/test_cookie_sources.py."""

from __future__ import annotations

import pytest

from prober.cookies import Cookie, Jar, domain_match, netscape, path_match
from prober.errors import CredentialError
from prober.redact import Secret

COOKIES_TXT = (
    "# Netscape HTTP Cookie File\n"
    ".alibabacloud.com\tTRUE\t/\tTRUE\t0\tlogin_aliyunid_pk\tpk-value-123\n"
    "#HttpOnly_.alibabacloud.com\tTRUE\t/\tTRUE\t4102444800\tcr_token\ttoken-value-456\n"
    "modelstudio.console.alibabacloud.com\tFALSE\t/ap-southeast-1\tFALSE\t1\told\tgone-value\n"
    "\n"
)


def test_netscape_parses_httponly_session_and_host_only_lines() -> None:
    jar = netscape.parse(COOKIES_TXT, "cookies.txt")
    pk, token, old = jar.cookies
    assert (pk.name, pk.domain, pk.host_only, pk.secure, pk.expires) == (
        "login_aliyunid_pk",
        "alibabacloud.com",
        False,
        True,
        None,
    )
    assert token.http_only and token.expires == 4102444800
    assert old.host_only and old.path == "/ap-southeast-1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\tb\tc\n", "cookies.txt:1: not a Netscape cookie line (3 tab-separated fields, expected 7)"),
        (".x.com\tTRUE\t/\tTRUE\tsoon\tn\tv\n", "cookies.txt:1: expiry 'soon' is not a number of seconds"),
        ("# only comments\n\n", "cookies.txt: no cookies found"),
    ],
)
def test_netscape_bad_input_is_located(text: str, message: str) -> None:
    with pytest.raises(CredentialError) as info:
        netscape.parse(text, "cookies.txt")
    assert info.value.message == message


def _c(domain: str, host_only: bool = False, path: str = "/", secure: bool = False) -> Cookie:
    return Cookie(name="n", value=Secret("v"), domain=domain, host_only=host_only, path=path, secure=secure)


@pytest.mark.parametrize(
    ("host", "cookie", "ok"),
    [
        ("bailian.console.aliyun.com", _c("aliyun.com"), True),
        ("bailian.console.aliyun.com", _c("console.aliyun.com"), True),
        ("notaliyun.com", _c("aliyun.com"), False),
        ("bailian-cs.console.aliyun.com", _c("bailian.console.aliyun.com", host_only=True), False),
        ("bailian.console.aliyun.com", _c("bailian.console.aliyun.com", host_only=True), True),
        ("127.0.0.1", _c("0.0.1"), False),
    ],
)
def test_domain_match(host: str, cookie: Cookie, ok: bool) -> None:
    assert domain_match(host, cookie) is ok


@pytest.mark.parametrize(
    ("request_path", "cookie_path", "ok"),
    [
        ("/", "/", True),
        ("/api/v1", "/api", True),
        ("/apix", "/api", False),
        ("/api/", "/api/", True),
        ("/", "/api", False),
        ("", "/", True),
    ],
)
def test_path_match(request_path: str, cookie_path: str, ok: bool) -> None:
    assert path_match(request_path, cookie_path) is ok


def test_secure_cookies_never_go_over_http() -> None:
    jar = Jar("t", (_c("example.test", secure=True),))
    assert jar.for_url("http://example.test/", 0) == ()
    assert len(jar.for_url("https://example.test/", 0)) == 1
