"""Table-driven tests for prober.jsonbody: bodies read as JSON, embedded JSON strings expanded, depth bounded."""

from __future__ import annotations

import pytest

from prober import jsonbody


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"a": "{\\"b\\": 1}"}', {"a": {"b": 1}}, id="embedded-object"),
        pytest.param('{"a": "{not json}"}', {"a": "{not json}"}, id="braces-but-not-json"),
        pytest.param('{"a": "plain"}', {"a": "plain"}, id="plain-string"),
        pytest.param("not json", None, id="not-json"),
        pytest.param("[" * 100_000, None, id="deep-nesting"),
    ],
)
def test_decode(text: str, expected: object) -> None:
    assert jsonbody.decode(text) == expected
