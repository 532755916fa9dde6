"""Pure: one learned request as a draft probe, and the capture -> placeholder chains between them.

A value that a later request sends and an earlier answer delivered (a `sec_token` in the console page, a CSRF token
in a cookie) becomes a `capture:` on the earlier probe and a `{{ name }}` placeholder in the later one, which then
`needs` the earlier. A credential's value is never kept: cookies and keys become the probe's `auth:`, a cookie value
sent elsewhere becomes a `{cookie: NAME}` capture or is left out, and per-request noise (trace ids, timestamps,
cache busters) gets a stable value or is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prober import capture, jsonbody, redact
from prober.learn.har import Entry
from prober.model import Capture, CaptureSource

# Request headers a probe does not carry: the connection's own, what aiohttp and the body kind set, credentials
# (they become `auth:`), client hints and tracing (per request or per browser, never part of the contract).
_DROP_HEADERS = frozenset(
    {"host", "connection", "keep-alive", "content-length", "content-type", "accept-encoding", "transfer-encoding"}
    | {"te", "upgrade", "upgrade-insecure-requests", "cache-control", "pragma", "priority", "dnt", "purpose"}
    | {"cookie", "authorization", "proxy-authorization", "x-api-key", "x-dashscope-api-key"}
    | {"if-none-match", "if-modified-since", "traceparent", "tracestate", "baggage", "x-request-id", "sec-purpose"}
)
_DROP_PREFIXES = (":", "sec-ch-", "eagleeye-", "bx-")
# Cache busters: a query parameter of these names with a number (or nothing) is per-request noise.
_BUSTERS = frozenset({"_", "_v", "_t", "t", "ts", "_ts", "timestamp", "_timestamp", "nocache", "_nocache", "rnd"})
_NOISE_KEY = re.compile(r"^(?:fe)?trace_?id$|^request_?id$|^_?(?:client)?timestamp$|^nonce$|^_?ts$", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
STABLE_UUID = "00000000-0000-4000-8000-000000000000"
# The key just before a value in a page: `SEC_TOKEN: "v"`, `"secToken":"v"`, `sec_token='v'`.
_KEY_BEFORE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$-]*)[\"']?\s*[:=]\s*[\"']$")
MIN_VALUE = 4  # shorter values ("1", "en") say nothing about where they came from
# A token: random-looking text (hex, base64, a JWT); a constant the page embeds (an API name, a URL) is not one.
_TOKEN = re.compile(r"[A-Za-z0-9_+/=:-]{8,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+")


def token_like(value: str) -> bool:
    """Whether `value` may be a server-issued token worth tracing to its source (prober/redact.py `secret_like`, no
    dots or spaces unless a JWT, and digits in it), rather than a word or a name that also occurs in a page."""
    return redact.secret_like(value) and _TOKEN.fullmatch(value) is not None and sum(c.isdigit() for c in value) >= 2


@dataclass(slots=True)
class Draft:
    """A probe being learned: the entry it comes from and its parts, as mutable [name, value] items."""

    entry: Entry
    id: str
    key: tuple[str, str, str, str]  # method, host, path, api or action: one probe each
    auth: Any = None  # "cookies", "console-token", {"key": STYLE}; None: no credential
    query: list[list[Any]] = field(default_factory=list)
    headers: list[list[Any]] = field(default_factory=list)
    form: list[list[Any]] | None = None  # values: text, or a JSON document sent as a JSON string
    json_items: list[list[Any]] | None = None  # a JSON object body, by top-level key
    json_other: Any = None  # any other JSON body (a list, a number)
    captures: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    needs: list[str] = field(default_factory=list)
    left_out: int = 0  # credential values it sent that no earlier probe can supply

    def slots(self) -> list[list[Any]]:
        """Every [name, value] item a captured value may stand in, in request order."""
        return [*self.query, *self.headers, *(self.form or []), *(self.json_items or [])]


def auth_of(entry: Entry) -> Any:
    """The `auth:` the request's credentials stand for: the key (by header), a console token, cookies, or None."""
    headers = {name.lower(): value for name, value in entry.headers}
    for name, style in (("x-api-key", "x-api-key"), ("x-dashscope-api-key", "x-dashscope-api-key")):
        if headers.get(name):
            return {"key": style}
    bearer = headers.get("authorization", "")
    if bearer[:7].lower() == "bearer " and bearer[7:].strip():
        # docs/vendor.md#hosts-inference: every key is sk-…; any other bearer is a console token (#console-token).
        return {"key": "bearer"} if bearer[7:].strip().startswith("sk-") else "console-token"
    return "cookies" if entry.cookies else None


def credentials(entry: Entry) -> list[str]:
    """The credential values the request carried: its cookie values, the cookies its answer set, its key or token."""
    values = [v for _, v in (*entry.cookies, *entry.set_cookies)]
    for name, value in entry.headers:
        if name.lower() in ("authorization", "x-api-key", "x-dashscope-api-key", "proxy-authorization"):
            values += [value, value.split(" ", 1)[-1]]
    return [v for v in values if v]


def kept_headers(entry: Entry) -> list[list[Any]]:
    return [
        [name, value]
        for name, value in entry.headers
        if name.lower() not in _DROP_HEADERS and not name.lower().startswith(_DROP_PREFIXES)
    ]


def kept_query(entry: Entry) -> tuple[list[list[Any]], int]:
    """The query without cache busters, and how many were dropped."""
    kept = [[n, v] for n, v in entry.query if not (n in _BUSTERS and (v.isdigit() or v in ("", "undefined")))]
    return kept, len(entry.query) - len(kept)


def stable(value: Any) -> tuple[Any, int]:
    """`value` (a JSON document) with trace ids, request ids and timestamps replaced by stable values, and how many."""
    count = 0

    def walk(node: Any) -> Any:
        nonlocal count
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, item in node.items():
                if _NOISE_KEY.match(str(key)) and isinstance(item, str | int) and not isinstance(item, bool):
                    count += 1
                    out[key] = STABLE_UUID if isinstance(item, str) and _UUID.fullmatch(item) else type(item)(0)
                else:
                    out[key] = walk(item)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(value), count


def _verified(source: Draft, spec: dict[str, str], value: str) -> bool:
    """Whether the capture `spec` reads exactly `value` from the source's answer, as the runner would."""
    ((kind, arg),) = spec.items()
    entry = source.entry
    found = capture.extract(
        (Capture("x", CaptureSource(kind), arg),),
        entry.response_text,
        entry.response_headers,
        dict(entry.set_cookies),
        dict(entry.cookies),
    )
    return found.get("x", ("", None))[0] == value


def _answer_spec(source: Draft, value: str) -> dict[str, str] | None:
    """How the source's answer delivers `value`: a cookie it sets, a header, a JSON key or a key in its page."""
    entry = source.entry
    candidates: list[dict[str, str]] = [{"set-cookie": n} for n, v in entry.set_cookies if v == value]
    lowered = {"set-cookie", "set-cookie2"}
    candidates += [{"header": n} for n, v in entry.response_headers if n.lower() not in lowered and v.strip() == value]
    text = entry.response_text
    if value in text:
        keys: list[str] = []
        _json_keys(jsonbody.decode(text), value, keys)
        candidates += [{"json": k} for k in keys[:1]]
        before = _KEY_BEFORE.search(text[max(0, text.find(value) - 80) : text.find(value)])
        if before is not None:
            name = re.escape(before.group(1))
            candidates.append({"body": name + '"?\\s*[:=]\\s*["\']([^"\']+)["\']'})
    return next((spec for spec in candidates if _verified(source, spec, value)), None)


def _json_keys(node: Any, value: str, found: list[str]) -> None:
    if isinstance(node, dict):
        found += [str(k) for k, v in node.items() if v == value]
        for item in node.values():
            _json_keys(item, value, found)
    elif isinstance(node, list):
        for item in node:
            _json_keys(item, value, found)


def _capture_name(raw: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", raw.lower()).strip("_") or "value"
    return name if re.fullmatch(capture.NAME, name) else f"v_{name}"


class Chains:
    """The captures learned so far, one name per (source probe, way of reading it), unique over the catalogue."""

    def __init__(self, taken: set[str]) -> None:
        self._names: dict[tuple[str, str], str] = {}
        self._taken = set(taken)
        self.values: list[str] = []  # every captured value, a secret: for the caller's redactor only
        self.links: list[tuple[str, str, str]] = []  # (name, from probe, to probe)

    def _name(self, source: Draft, spec: dict[str, str], wanted: str) -> str:
        key = (source.id, json.dumps(spec, sort_keys=True))
        if key not in self._names:
            name, n = _capture_name(wanted), 2
            while name in self._taken:
                name, n = f"{_capture_name(wanted)}_{n}", n + 1
            self._taken.add(name)
            self._names[key] = name
            source.captures.setdefault(name, []).append(spec)
        return self._names[key]

    def link(self, draft: Draft, earlier: list[Draft], secrets: set[str], delivered: Callable[[str], bool]) -> None:
        """Replace each value `draft` sends that an earlier probe delivers with a placeholder, and leave out each
        value no earlier probe can supply that is a credential, or a token some answer of the HAR delivered."""
        for item in draft.slots():
            value = item[1].strip() if isinstance(item[1], str) else ""
            if len(value) < MIN_VALUE:
                continue
            found = self._source(value, draft, earlier)
            if found is None:
                if value in secrets or (token_like(value) and delivered(value)):
                    item[1] = None  # a credential with nowhere to come from: never written
                    draft.left_out += 1
                continue
            source, spec = found
            name = self._name(source, spec, str(item[0]))
            item[1] = "{{ " + name + " }}"
            if source.id not in draft.needs:
                draft.needs.append(source.id)
            self.values.append(value)
            self.links.append((name, source.id, draft.id))

    def _source(self, value: str, draft: Draft, earlier: list[Draft]) -> tuple[Draft, dict[str, str]] | None:
        for source in earlier:  # a cookie the session already held, sent by an earlier probe
            if source.auth == "cookies" and any(v == value for _, v in source.entry.cookies):
                name = next(n for n, v in source.entry.cookies if v == value)
                return source, {"cookie": name}
        if not token_like(value):
            return None  # a word or a name ("cn-beijing", an API) may be anywhere; only a token is traced
        for source in earlier:
            spec = _answer_spec(source, value)
            if spec is not None:
                return source, spec
        return None
