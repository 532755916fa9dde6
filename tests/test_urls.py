"""Table-driven tests for prober.urls: a URL's host as the classifier, the reports and the replay read it."""

from __future__ import annotations

import pytest

from prober import urls


@pytest.mark.parametrize(
    ("url", "host"),
    [
        pytest.param("https://passport.alibabacloud.com/login?x=1", "passport.alibabacloud.com", id="plain"),
        pytest.param("https://Signin.Aliyun.com./x", "signin.aliyun.com", id="case-and-trailing-dot"),
        pytest.param("  https://a.test:8443/  ", "a.test", id="port-and-spaces"),
        pytest.param("https://[::1]:8443/", "::1", id="ipv6"),
        pytest.param("/login", None, id="relative"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
        pytest.param("http://[::1", None, id="unparsable"),
    ],
)
def test_host(url: str | None, host: str | None) -> None:
    assert urls.host(url) == host
