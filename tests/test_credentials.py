"""Tests for prober.credentials: where the key comes from and what is wrong with a bad one, and the cookie source
choices, each a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from prober import credentials
from prober.errors import CredentialError
from prober.redact import Secret

KEY = "sk-sp-0123456789abcdefABCDEF0123456789"


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
