"""Table-driven tests for prober.routing: --connect-to specs as curl reads them."""

from __future__ import annotations

import pytest

from prober import routing
from prober.errors import ProberError


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
