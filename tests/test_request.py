"""prober.request.parse as a table: the URL the client sends to, or why it is not sent (two parsers must agree)."""

from __future__ import annotations

import pytest

from prober import request


@pytest.mark.parametrize(
    ("url", "host"),
    [
        pytest.param("https://dashscope-intl.aliyuncs.com/api/v1/models", "dashscope-intl.aliyuncs.com", id="plain"),
        pytest.param("https://Bailian.Console.Aliyun.com./x?y=1", "bailian.console.aliyun.com.", id="case-and-dot"),
        pytest.param("https://api.example.test:8443/x", "api.example.test", id="port"),
        pytest.param("http://api.example.test", "api.example.test", id="no-path"),
        pytest.param("https://api.example.test#frag", "api.example.test", id="fragment"),
        pytest.param("https://[::1]:8443/x", "::1", id="ipv6"),
        pytest.param("https://xn--ehqz56n.jp/x", "三重.jp", id="punycode"),  # was refused before 2026-12-02
        pytest.param("https://bücher.example/x", "bücher.example", id="unicode"),
        pytest.param("https://user:pw@api.example.test/", "api.example.test", id="user-info-same-host"),
    ],
)
def test_a_url_both_parsers_read_alike_is_sent(url: str, host: str) -> None:
    parsed = request.parse(url)
    assert not isinstance(parsed, str), parsed
    assert parsed.host == host


@pytest.mark.parametrize(
    ("url", "why"),
    [
        pytest.param("https://evil.test\\@console.aliyun.com/", "cannot be parsed", id="backslash-in-authority"),
        pytest.param("http://[::1", "cannot be parsed", id="unclosed-bracket"),
        pytest.param("https://h.test:99999/", "cannot be parsed", id="port-out-of-range"),
        # An ideographic full stop: the HTTP client reads `a.test.b`, urlsplit `a.test。b`.
        pytest.param("https://a.test\u3002b/", "parsers disagree", id="ideographic-full-stop"),
    ],
)
def test_a_url_the_parsers_read_differently_or_not_at_all_is_not_sent(url: str, why: str) -> None:
    refused = request.parse(url)
    assert isinstance(refused, str) and refused.startswith("not sent") and why in refused
