"""Table-driven tests of the pure pieces: key shapes, cookie parsing and matching, connect-to, credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from prober import credentials, routing
from prober.cookies import Cookie, Jar, domain_match, netscape, path_match
from prober.errors import CredentialError, ProberError
from prober.redact import Secret, shape

KEY = "sk-sp-0123456789abcdefABCDEF0123456789"


def test_secret_repr_never_shows_the_value() -> None:
    s = Secret(KEY)
    assert KEY not in repr(s) and KEY not in str(s) and KEY not in f"{s}" and KEY not in repr([s])


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (KEY, "sk-sp-"),
        ("sk-ws-" + "a" * 109, "sk-ws-"),
        ("sk-" + "b" * 32, "sk-"),
        ("custom-token-value-42", "other"),
    ],
)
def test_key_shape_shows_prefix_class_length_and_hash_only(key: str, prefix: str) -> None:
    s = shape(key)
    assert (s.prefix, s.length) == (prefix, len(key))
    described = s.describe()
    body = key[len(prefix) :] if prefix != "other" else key
    assert body not in described
    assert s.fingerprint.startswith("sha256:") and len(s.fingerprint) == 17


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


@pytest.mark.parametrize(
    ("spec", "host", "port", "target"),
    [
        ("::127.0.0.1:8443", "dashscope-intl.aliyuncs.com", 443, ("127.0.0.1", 8443)),
        ("a.test:443:[::1]:9000", "a.test", 443, ("::1", 9000)),
        ("a.test:443:b.test:", "a.test", 443, ("b.test", 443)),
        ("a.test:443:b.test:", "c.test", 443, ("c.test", 443)),
        ("a.test::127.0.0.1:1", "a.test", 8080, ("127.0.0.1", 1)),
    ],
)
def test_connect_to_follows_curl_semantics(spec: str, host: str, port: int, target: tuple[str, int]) -> None:
    assert routing.route((routing.parse(spec),), host, port) == target


@pytest.mark.parametrize("spec", ["127.0.0.1:8443", "a:b:c:d", "::x:70000"])
def test_connect_to_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(ProberError):
        routing.parse(spec)


def test_key_sources_in_order_and_whitespace_is_stripped_and_said(tmp_path: Path) -> None:
    notes: list[str] = []
    key, source = credentials.resolve_key(
        {"ALIBABA_CODING_PLAN_API_KEY": "b" * 20, "DASHSCOPE_API_KEY": f" {KEY}\n"}, None, None, notes
    )
    assert key == Secret(KEY) and source == "env DASHSCOPE_API_KEY"
    assert notes == ["stripped surrounding whitespace from the API key in $DASHSCOPE_API_KEY"]
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    assert credentials.resolve_key({}, None, key_file, [])[0] == Secret(KEY)
    assert credentials.resolve_key({"MINE": KEY}, "MINE", None, []) == (Secret(KEY), "env MINE")
    assert credentials.resolve_key({}, None, None, []) == (None, None)


@pytest.mark.parametrize(
    ("env", "key_env", "message"),
    [
        ({"DASHSCOPE_API_KEY": "   "}, None, "the API key from $DASHSCOPE_API_KEY is empty"),
        ({}, "NOPE", "environment variable NOPE is not set"),
        (
            {"DASHSCOPE_API_KEY": "sk-a b"},
            None,
            "the API key from $DASHSCOPE_API_KEY contains whitespace inside it",
        ),
    ],
)
def test_bad_keys_are_clear_errors(env: dict[str, str], key_env: str | None, message: str) -> None:
    with pytest.raises(CredentialError) as info:
        credentials.resolve_key(env, key_env, None, [])
    assert info.value.message == message


def test_unreadable_cookie_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="cannot read cookie file"):
        credentials.load_jar(credentials.CookieSource(path=tmp_path / "missing.txt"), {})
    binary = tmp_path / "Cookies"
    binary.write_bytes(b"\x00\xff\xfe binary")
    with pytest.raises(CredentialError, match="binary data of no known cookie format"):
        credentials.load_jar(credentials.CookieSource(path=binary), {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (credentials.CookieSource(path=Path("a"), browser="firefox"), "--cookies and --browser both name"),
        (credentials.CookieSource(header_env="COOKIE"), "--cookie-header-env needs --cookie-domain"),
        (credentials.CookieSource(header_env="UNSET_VAR", domain="aliyun.com"), "UNSET_VAR is not set"),
    ],
)
def test_cookie_source_choices_are_clear_errors(source: credentials.CookieSource, message: str) -> None:
    with pytest.raises(CredentialError, match=message):
        credentials.load_jar(source, {})


def test_cookie_header_from_the_environment_becomes_domain_cookies() -> None:
    source = credentials.CookieSource(header_env="COOKIE", domain="aliyun.com")
    jar = credentials.load_jar(source, {"COOKIE": "login_aliyunid_ticket=t-123456; cna=abcdef"})
    assert [c.name for c in jar.for_url("https://bailian.console.aliyun.com/", 0)] == [
        "login_aliyunid_ticket",
        "cna",
    ]


def test_an_all_expired_jar_is_a_warning_not_an_error(tmp_path: Path) -> None:
    jar = tmp_path / "cookies.txt"
    jar.write_text(".aliyun.com\tTRUE\t/\tTRUE\t1000\tlogin_aliyunid_ticket\told-ticket-value\n")
    creds = credentials.resolve({}, None, None, credentials.CookieSource(path=jar))
    assert creds.jar is not None
    assert creds.notes == ("every cookie in the netscape jar has expired: log in again and re-export",)
