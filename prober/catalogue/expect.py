"""The `expect:` field: status, class, vendor code, headers and body matchers, each checked where it is written."""

from __future__ import annotations

import re
from typing import Any

from prober.catalogue.checks import TOKEN, choice, json_text, scalar_text
from prober.catalogue.problems import Fields, check_keys, q, show
from prober.catalogue.reader import Map, Seq
from prober.model import BodyExpect, Expect, HeaderExpect, Matcher, OutcomeClass

CLASSES = tuple(klass.value for klass in OutcomeClass)
KEYS = ("status", "class", "vendor_code", "headers", "body")
BODY_KEYS = ("contains", "regex", "json")
_PATH = re.compile(r"[^.\s]+(?:\.[^.\s]+)*")


def expect(fields: Fields) -> Expect | None:
    value = fields.mapping.get("expect")
    if value is None:
        return None
    if not isinstance(value, Map) or not value:
        fields.add(
            "expect",
            "'expect' must be a mapping with any of status, class, vendor_code, headers and body, "
            f"like {{status: [404], class: not_found}}, not {show(value)}",
        )
        return None
    check_keys(fields, value, KEYS, "expect")
    klass = choice(fields, value, "class", CLASSES, "expect")
    return Expect(
        statuses=_statuses(fields, value),
        klass=OutcomeClass(klass) if klass else None,
        headers=_headers(fields, value),
        body=_body(fields, value),
        vendor_code=_vendor_code(fields, value),
    )


def _statuses(fields: Fields, expect: Map) -> tuple[int, ...]:
    value = expect.get("status")
    if value is None:
        return ()
    line = expect.lines["status"]
    items = zip(value, value.lines, strict=True) if isinstance(value, Seq) else [(value, line)]
    if isinstance(value, Seq) and not value:
        fields.add_at(line, "expect.status is an empty list; list the statuses you expect, like [200, 404]")
    statuses: list[int] = []
    for status, status_line in items:
        if type(status) is int and 100 <= status <= 599:
            statuses.append(status)
        else:
            fields.add_at(status_line, f"expect.status {show(status)} is not an HTTP status; use integers 100-599")
    return tuple(statuses)


def _vendor_code(fields: Fields, expect: Map) -> str | None:
    value = expect.get("vendor_code")
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value
    fields.add_at(
        expect.lines["vendor_code"], f"expect.vendor_code must be a code like InvalidApiKey, not {show(value)}"
    )
    return None


def _regex(fields: Fields, line: int, what: str, pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error as exc:
        fields.add_at(line, f"{what} regex {q(pattern)} is invalid: {exc}")
        return False
    return True


def _headers(fields: Fields, expect: Map) -> tuple[HeaderExpect, ...]:
    """`headers: {NAME: absent | present | "/regex/" | "exact value"}`."""
    value = expect.get("headers")
    if value is None:
        return ()
    if not isinstance(value, Map) or not value:
        fields.add_at(
            expect.lines["headers"],
            'expect.headers must be a mapping of header names to absent, present, "/regex/" or an exact value, '
            f"like {{x-ratelimit-remaining-requests: absent}}, not {show(value)}",
        )
        return ()
    found: list[HeaderExpect] = []
    for name, raw in value.items():
        line = value.lines[name]
        text = scalar_text(raw)
        where = f"expect.headers {q(name)}"
        if not TOKEN.fullmatch(name):
            fields.add_at(line, f"{where}: not a header name; use letters, digits and !#$%&'*+-.^_`|~ only")
        elif text is None:
            fields.add_at(line, f'{where} must be absent, present, "/regex/" or an exact value, not {show(raw)}')
        elif text in (Matcher.ABSENT, Matcher.PRESENT):
            found.append(HeaderExpect(name, Matcher(text)))
        elif name.lower() in _secret_headers():
            fields.add_at(line, f"{where} can only be expected absent or present: its values are credentials")
        elif len(text) >= 2 and text.startswith("/") and text.endswith("/"):
            if _regex(fields, line, where, text[1:-1]):
                found.append(HeaderExpect(name, Matcher.REGEX, text[1:-1]))
        else:
            found.append(HeaderExpect(name, Matcher.EQUALS, text))
    return tuple(found)


def _secret_headers() -> frozenset[str]:
    # Imported when an expected header value is written: prober.expectations is the sweep's code, which `prober check`
    # of most catalogues never needs.
    from prober.expectations import SECRET_HEADERS

    return SECRET_HEADERS


def _body(fields: Fields, expect: Map) -> BodyExpect | None:
    """`body: {contains: TEXT, regex: PATTERN, json: {dotted.path: value}}`: matched against the body excerpt the
    report keeps (scrubbed, at most 2,000 characters), so a secret can never be matched or quoted."""
    value = expect.get("body")
    if value is None:
        return None
    line = expect.lines["body"]
    if not isinstance(value, Map) or not value:
        fields.add_at(
            line,
            "expect.body must be a mapping with any of contains, regex and json, "
            f"like {{json: {{code: InvalidApiKey}}}}, not {show(value)}",
        )
        return None
    check_keys(fields, value, BODY_KEYS, "expect.body")
    contains = _text(fields, value, "contains")
    regex = _text(fields, value, "regex")
    if regex is not None and not _regex(fields, value.lines["regex"], "expect.body", regex):
        regex = None
    return BodyExpect(contains=contains, regex=regex, json=_json(fields, value))


def _text(fields: Fields, body: Map, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value:
        return value
    fields.add_at(body.lines[key], f"expect.body.{key} must be non-empty text, not {show(value)}")
    return None


def _json(fields: Fields, body: Map) -> tuple[tuple[str, str], ...]:
    value: Any = body.get("json")
    if value is None:
        return ()
    if not isinstance(value, Map) or not value:
        fields.add_at(
            body.lines["json"],
            f"expect.body.json must be a mapping of dotted paths to values, like {{data.code: X}}, not {show(value)}",
        )
        return ()
    found: list[tuple[str, str]] = []
    for path, expected in value.items():
        line = value.lines[path]
        text, error = json_text(expected)
        if not _PATH.fullmatch(path):
            fields.add_at(line, f"expect.body.json path {q(path)} must be keys joined by '.', like data.code")
        elif error:
            fields.add_at(line, f"expect.body.json {q(path)} cannot be compared as JSON ({error}); quote it")
        else:
            found.append((path, text))
    return tuple(found)
