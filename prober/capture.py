"""Pure: values captured from one probe's answer, and `{{ name }}` placeholders filled in a dependant probe."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from prober import jsonbody
from prober.model import Auth, BodyKind, Capture, CaptureSource, Probe
from prober.redact import Secret

NAME = r"[a-z_][a-z0-9_]*"
# `{{ name }}`, or `{{ name? }}` for an optional value that is left empty when no needed probe captured it.
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")(\?)?\s*\}\}")
# A placeholder inside a form body has been URL-encoded by the catalogue loader: %7B%7B+name+%7D%7D.
ENCODED = re.compile(r"%7B%7B(?:\+|%20)*(" + NAME + r")(%3F)?(?:\+|%20)*%7D%7D", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Value:
    """A captured value. `scope` is set when the value is a credential (it came from a cookie or from an answer
    to a request that carried credentials): the registrable domain it may be sent to, over https only."""

    text: Secret
    scope: str | None = None


def is_credential(probe: Probe, source: CaptureSource) -> bool:
    """A value captured by `probe` from `source` is a credential when it came from the user's cookies or from an
    answer to a credentialed request (a sec_token in a logged-in page). Other captures are public data."""
    return source is CaptureSource.COOKIE or probe.auth is not Auth.NONE


@dataclass(frozen=True, slots=True)
class Carriers:
    """Which parts of a probe's request hold placeholders: what to withhold when a redirect leaves the origin."""

    headers: frozenset[str] = frozenset()
    body: bool = False
    url: bool = False

    def names(self) -> tuple[str, ...]:
        return (*sorted(self.headers), *(("body",) if self.body else ()))


def carriers(probe: Probe) -> Carriers:
    body = probe.body is not None and bool(PLACEHOLDER.search(probe.body.text) or ENCODED.search(probe.body.text))
    return Carriers(
        headers=frozenset(k.lower() for k, v in probe.headers if PLACEHOLDER.search(v)),
        body=body,
        url=bool(PLACEHOLDER.search(probe.url)),
    )


def _matches(probe: Probe) -> list[re.Match[str]]:
    texts = [probe.url, *(v for _, v in probe.headers)]
    found = [m for t in texts for m in PLACEHOLDER.finditer(t)]
    if probe.body is not None:
        found += list(PLACEHOLDER.finditer(probe.body.text)) + list(ENCODED.finditer(probe.body.text))
    return found


def placeholders(probe: Probe) -> list[str]:
    """Every `{{ name }}` the probe uses (optional ones included), in order of appearance (URL, headers, body)."""
    return list(dict.fromkeys(m.group(1) for m in _matches(probe)))


def required(probe: Probe) -> list[str]:
    """The names without which the probe cannot run: every placeholder not marked optional with `?`."""
    return list(dict.fromkeys(m.group(1) for m in _matches(probe) if not m.group(2)))


def fill(probe: Probe, values: Mapping[str, str]) -> Probe:
    """The probe with every placeholder replaced, encoded for where it stands. Every required name must be in
    `values`; an optional one that is not becomes empty."""

    def sub(pattern: re.Pattern[str], text: str, encode: Any) -> str:
        return pattern.sub(lambda m: encode(values.get(m.group(1), "")), text)

    url = sub(PLACEHOLDER, probe.url, lambda v: quote(v, safe=""))
    # Header values must stay one line: a captured value with CR or LF is cut there (RFC 9110 §5.5).
    headers = tuple((k, sub(PLACEHOLDER, v, lambda v: re.split(r"[\r\n]", v)[0])) for k, v in probe.headers)
    body = probe.body
    if body is not None:
        if body.kind is BodyKind.FORM:
            text = sub(ENCODED, body.text, quote_plus)
            text = sub(PLACEHOLDER, text, quote_plus)
        else:
            text = sub(PLACEHOLDER, body.text, lambda v: json.dumps(v)[1:-1])
        body = dataclasses.replace(body, text=text)
    return dataclasses.replace(probe, url=url, headers=headers, body=body)


def _find_key(data: Any, key: str) -> str | None:
    if isinstance(data, dict):
        if key in data and isinstance(data[key], str | int) and not isinstance(data[key], bool) and data[key] != "":
            return str(data[key])
        children: Iterable[Any] = data.values()
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        found = _find_key(child, key)
        if found is not None:
            return found
    return None


def extract(
    captures: Iterable[Capture],
    text: str,
    headers: Iterable[tuple[str, str]],
    set_cookies: Mapping[str, str],
    sent_cookies: Mapping[str, str],
) -> dict[str, tuple[str, CaptureSource]]:
    """The captured values by name, with where each came from; for each name the first capture that yields a
    non-empty value wins."""
    found: dict[str, tuple[str, CaptureSource]] = {}
    decoded: Any = None
    header_map = {k.lower(): v for k, v in headers}
    for c in captures:
        if c.name in found:
            continue
        value: str | None = None
        if c.source is CaptureSource.BODY:
            match = re.search(c.arg, text)
            value = (match.group(1) if match.groups() else match.group(0)) if match else None
        elif c.source is CaptureSource.JSON:
            if decoded is None:
                decoded = jsonbody.decode(text)
            value = _find_key(decoded, c.arg)
        elif c.source is CaptureSource.HEADER:
            value = header_map.get(c.arg.lower())
        elif c.source is CaptureSource.SET_COOKIE:
            value = set_cookies.get(c.arg)
        elif c.source is CaptureSource.COOKIE:
            value = sent_cookies.get(c.arg)
        if value:
            found[c.name] = (value, c.source)
    return found
