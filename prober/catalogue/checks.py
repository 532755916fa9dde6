"""Field checks, one field of a probe each: the value it holds, or a located problem and a neutral stand-in."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from prober.catalogue.problems import Fields, check_keys, close, not_one_of, one_of, q, show
from prober.catalogue.reader import Map, Seq
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Capture,
    CaptureSource,
    Cost,
    KeyStyle,
    Pairs,
    Region,
    Surface,
    Tags,
)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_METHODS = {method: method for method in METHODS}
NO_BODY = frozenset({"GET", "HEAD"})
REGIONS = tuple(region.value for region in Region)
SURFACES = tuple(surface.value for surface in Surface)
COSTS = tuple(cost.value for cost in Cost)
KNOWN_TAGS = ("region", "surface", "cost")
STYLES = tuple(style.value for style in KeyStyle)
AUTHS = ("none", "cookies", "console-token", "key")
CAPTURE_SOURCES = tuple(source.value for source in CaptureSource)
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-dashscope-api-key"})
ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 section 5.6.2 tchar
TAG = re.compile(r"[a-z][a-z0-9_.-]*")  # no '=' or ',': `--select team=payments,region=intl` splits on them
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
# http(s)://host/...: a lowercase scheme, a host name and no user, port or brackets, which is_http_url takes whole.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#]|\Z)")
# A URL both checks pass at once: _PLAIN_URL's start, then printable ASCII (no space or control character) to the end.
_TIDY_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][!-~]*)?")
# RFC 3986 section 3.4: a query may hold these unencoded; '&', '=', '+' and '#' would change its meaning.
_QUERY_SAFE = "/:@!$'()*,;?"


def captures(fields: Fields) -> tuple[Capture, ...]:
    """`capture: {name: [{body: REGEX} | {json: KEY} | {header: NAME} | {set-cookie: NAME} | {cookie: NAME}]}`."""
    value = fields.mapping.get("capture")
    if value is None:
        return ()
    shape = "a mapping of names to ways to capture them, like {sec_token: [{body: 'SEC_TOKEN: \"([^\"]+)'}]}"
    if not isinstance(value, Map):
        fields.add("capture", f"'capture' must be {shape}, not {show(value)}")
        return ()
    from prober.capture import NAME  # here, not at the top: see _fill

    found: list[Capture] = []
    for name, ways in value.items():
        line = value.lines[name]
        if not re.fullmatch(NAME, name):
            fields.add_at(line, f"capture name {q(name)} must be lowercase letters, digits and '_', like sec_token")
            continue
        items = ways if isinstance(ways, list) else [ways]
        for way in items:
            if not isinstance(way, dict) or len(way) != 1:
                fields.add_at(line, f"capture {q(name)}: each way must be one of {one_of(CAPTURE_SOURCES)}: ARG")
                continue
            ((source, arg),) = way.items()
            if source not in CAPTURE_SOURCES:
                fields.add_at(line, not_one_of(f"capture {q(name)}: source", source, CAPTURE_SOURCES))
                continue
            if not isinstance(arg, str) or not arg:
                fields.add_at(line, f"capture {q(name)}: {source} needs a non-empty string, not {show(arg)}")
                continue
            if source == CaptureSource.BODY.value:
                try:
                    re.compile(arg)
                except re.error as exc:
                    fields.add_at(line, f"capture {q(name)}: body regex {q(arg)} is invalid: {exc}")
                    continue
            found.append(Capture(name=name, source=CaptureSource(source), arg=arg))
    return tuple(found)


def needs(fields: Fields) -> tuple[str, ...]:
    value = fields.mapping.get("needs")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, str) and i for i in items):
        fields.add("needs", f"'needs' must be a probe id or a list of probe ids, not {show(value)}")
        return ()
    return tuple(items)


def bad_id(ident: Any) -> str:
    if not isinstance(ident, str):
        return f"id must be a string like 'dashscope-intl-policies', not {show(ident)}"
    return (
        f"id {q(ident)} must be lowercase letters, digits, '.', '_' or '-', "
        "starting with a letter or digit, like 'dashscope-intl-policies'"
    )


def text(fields: Fields, key: str, holds: str) -> str:
    value = fields.mapping.get(key)
    if isinstance(value, str) and value.strip():
        return value
    if key in fields.mapping:  # else reported as missing
        fields.add(key, f"'{key}' must be a non-empty string ({holds}), not {show(value)}")
    return ""


def method(fields: Fields) -> str:
    value = fields.mapping.get("method")
    if value is None:
        return "GET"
    known = _METHODS.get(value.upper()) if isinstance(value, str) else None
    if known is not None:
        return known  # the same str for every probe, not one of its own
    fields.add("method", not_one_of("method", value, METHODS))
    return "GET"


def hosts(fields: Fields) -> list[tuple[str, int]] | None:
    """None when no hosts are given; an empty list when they are given but unusable."""
    value = fields.mapping.get("hosts")
    if value is None:
        return None
    if not isinstance(value, Seq) or not value:
        fields.add(
            "hosts",
            f"'hosts' must be a non-empty list of host names, like [dashscope.aliyuncs.com], not {show(value)}",
        )
        return []
    hosts: list[tuple[str, int]] = []
    for host, line in zip(value, value.lines, strict=True):
        if isinstance(host, str) and _HOST.fullmatch(host):
            hosts.append((host, line))
        else:
            fields.add_at(
                line,
                f"host {show(host)} in hosts is not a host name; "
                "write one like dashscope.aliyuncs.com, optionally with :port",
            )
    return hosts


def url(fields: Fields, hosts: list[tuple[str, int]] | None) -> str:
    """The URL with the `query:` mapping encoded onto it."""
    url = fields.mapping.get("url")
    if not isinstance(url, str):
        if "url" in fields.mapping:  # else reported as missing
            fields.add("url", f"url must be a string like 'https://dashscope.aliyuncs.com/api/v1/...', not {show(url)}")
        return ""
    encoded = query(fields) if "query" in fields.mapping else ""
    if encoded:
        url += ("&" if "?" in url else "?") + encoded
    filled = _fill(url)
    if hosts is None and "{host}" in url:
        fields.add("url", f"url {q(url)} contains {{host}} but there is no 'hosts' list; add hosts: [...]")
    elif hosts is not None and "{host}" not in url:
        fields.add("url", f"url {q(url)} must contain {{host}} when 'hosts' is given, like https://{{host}}/path")
    elif hosts is None and _TIDY_URL.fullmatch(filled):
        pass  # most URLs: no space, and http(s) with a host, in one scan (tests/test_catalogue_reading.py pins it)
    elif _SPACE.search(filled):
        fields.add("url", f"url {q(url)} must not contain spaces or control characters; percent-encode them")
    elif not is_http_url(filled if hosts is None else _fill(url.replace("{host}", "example.com"))):
        fields.add("url", f"url {q(url)} must be http:// or https:// with a host")
    return url


def _fill(url: str) -> str:
    """`url` with an `x` for each `{{ name }}` placeholder, as the URL checks read it."""
    if "{{" not in url:
        return url
    # Imported for the first placeholder, not at the top: `prober check` of a catalogue without placeholders,
    # captures or needs never uses prober.capture (with this module's other lazy imports, 5 % of its start-up).
    from prober.capture import PLACEHOLDER

    return PLACEHOLDER.sub("x", url)


def is_http_url(url: str) -> bool:
    if _PLAIN_URL.match(url):  # most URLs: what urlsplit would take apart to the same answer, 5x as fast
        return True
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def scalar_text(value: Any) -> str | None:
    """A YAML scalar as text; None for anything else. Booleans are written as YAML and JSON write them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def headers(fields: Fields) -> Pairs:
    value = fields.mapping.get("headers")
    if value is None:
        return ()
    if not isinstance(value, Map):
        fields.add(
            "headers",
            "'headers' must be a mapping of header names to values, like {Accept: application/json}",
        )
        return ()
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        line = value.lines[name]
        text = scalar_text(raw)
        if not TOKEN.fullmatch(name):
            fields.add_at(line, f"header name {q(name)} is not valid; use letters, digits and !#$%&'*+-.^_`|~ only")
        elif name.lower() in CREDENTIAL_HEADERS:
            fields.add_at(
                line,
                f"header {q(name)} is not allowed in headers: credentials come from auth:, never the catalogue",
            )
        elif text is None:
            fields.add_at(line, f"header {q(name)} must have a text value (write '' for none), not {show(raw)}")
        elif "\r" in text or "\n" in text:
            fields.add_at(line, f"header {q(name)} must have a one-line value; remove the line breaks")
        else:
            pairs.append((name, text))
    return tuple(pairs)


def body(fields: Fields, method: str) -> Body | None:
    value = fields.mapping.get("body")
    if value is None:
        return None
    if not isinstance(value, Map):
        fields.add("body", f"'body' must be a mapping with exactly one of 'json' or 'form', not {show(value)}")
        return None
    check_keys(fields, value, ("json", "form"), "body")
    kinds = [kind for kind in ("json", "form") if kind in value]
    if len(kinds) != 1:
        what = "has both 'json' and 'form'" if kinds else "has neither 'json' nor 'form'"
        fields.add("body", f"body {what}; give exactly one, like body: {{json: {{...}}}}")
        return None
    if method in NO_BODY:
        fields.add("body", f"a body is not allowed on {method}; use method: POST (or PUT, PATCH), or remove the body")
        return None
    if kinds[0] == "json":
        text, error = json_text(value["json"])
        if error:
            fields.add_at(value.lines["json"], f"body json cannot be sent as JSON ({error}); quote dates and binary")
            return None
        return Body(BodyKind.JSON, text)
    return _form(fields, value["form"], value.lines["form"])


def json_text(value: Any) -> tuple[str, str]:
    """Compact JSON for `value`, or an empty text and the reason it cannot be encoded."""
    import json  # for bodies only: `prober check` of a catalogue without one never needs it

    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False), ""
    except (TypeError, ValueError, RecursionError) as exc:
        return "", str(exc)


def _form(fields: Fields, value: Any, line: int) -> Body | None:
    if not isinstance(value, Map):
        fields.add_at(line, f"body form must be a mapping of field names to values, not {show(value)}")
        return None
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        if isinstance(raw, dict | list):
            text, error = json_text(raw)
            if error:
                fields.add_at(value.lines[name], f"form field {q(name)} cannot be encoded as JSON ({error})")
                continue
        else:
            text = "" if raw is None else scalar_text(raw) or str(raw)
        pairs.append((name, text))
    return Body(BodyKind.FORM, urllib.parse.urlencode(pairs))


# What each auth word gives, made once: an Enum member read off its class (Auth.NONE) costs as much as the rest of
# the check.
_AUTH_WORDS: dict[str, tuple[Auth, KeyStyle | None, None]] = {
    "none": (Auth.NONE, None, None),
    "cookies": (Auth.COOKIES, None, None),
    "console-token": (Auth.CONSOLE_TOKEN, None, None),
    "key": (Auth.KEY, KeyStyle.BEARER, None),
}


def auth(fields: Fields) -> tuple[Auth, KeyStyle | None, list[tuple[KeyStyle, int]] | None]:
    """The auth kind, the key style for a single probe, and the listed styles to expand into."""
    value = fields.mapping.get("auth")
    if value is None:
        return _AUTH_WORDS["none"]
    if isinstance(value, str) and value in _AUTH_WORDS:
        return _AUTH_WORDS[value]
    if isinstance(value, Map) and value:
        check_keys(fields, value, ("key",), "auth")  # a mapping without 'key' has an unknown key to report
        if "key" in value:
            return _key_styles(fields, value["key"], value.lines["key"])
        return Auth.NONE, None, None
    options = (*AUTHS, "{key: STYLE}", "{key: [STYLE, ...]}")
    message = f"{not_one_of('auth', value, options, suggest=())}, with STYLE one of {one_of(STYLES)}"
    meant = close(value, (*AUTHS, *STYLES)) if isinstance(value, str) else None
    if meant in STYLES:
        message += f"; did you mean {{key: {meant}}}?"
    elif meant:
        message += f"; did you mean '{meant}'?"
    fields.add("auth", message)
    return Auth.NONE, None, None


def _key_styles(
    fields: Fields, value: Any, line: int
) -> tuple[Auth, KeyStyle | None, list[tuple[KeyStyle, int]] | None]:
    if not isinstance(value, Seq):
        style = _key_style(fields, value, line)
        return Auth.KEY, style, None
    if not value:
        fields.add_at(line, f"auth key styles are an empty list; list at least one of {one_of(STYLES)}")
    styles: list[tuple[KeyStyle, int]] = []
    for item, item_line in zip(value, value.lines, strict=True):
        style = _key_style(fields, item, item_line)
        if style is not None:
            styles.append((style, item_line))
    return Auth.KEY, KeyStyle.BEARER, styles


def _key_style(fields: Fields, value: Any, line: int) -> KeyStyle | None:
    if isinstance(value, str) and value in STYLES:
        return KeyStyle(value)
    fields.add_at(line, not_one_of("key style", value, STYLES))
    return None


def query(fields: Fields) -> str:
    """`query: {name: value}` (a list value repeats the name), percent-encoded in order; `{{ name }}` placeholders are
    kept as written, to be filled and encoded when the probe runs."""
    value = fields.mapping.get("query")
    if value is None:
        return ""
    if not isinstance(value, Map):
        fields.add(
            "query", f"'query' must be a mapping of parameter names to values, like {{action: X}}, not {show(value)}"
        )
        return ""
    pairs: list[str] = []
    for name, raw in value.items():
        line = value.lines[name]
        items = list(raw) if isinstance(raw, list) else [raw]
        for item in items:
            text = "" if item is None else scalar_text(item)
            if text is None:
                fields.add_at(line, f"query {q(name)} must have a text value (or a list of them), not {show(item)}")
                continue
            pairs.append(f"{_encode(name)}={_encode(text)}")
    return "&".join(pairs)


def _encode(text: str) -> str:
    if "{{" not in text:  # no placeholder: every one starts with `{{`
        return urllib.parse.quote(text, safe=_QUERY_SAFE)
    from prober.capture import PLACEHOLDER  # here, not at the top: see _fill

    parts = PLACEHOLDER.split(text)
    # split() interleaves the text between placeholders with each placeholder's groups (name, optional mark).
    out: list[str] = []
    for index in range(0, len(parts), 3):
        out.append(urllib.parse.quote(parts[index], safe=_QUERY_SAFE))
        if index + 1 < len(parts):
            out.append("{{ " + parts[index + 1] + (parts[index + 2] or "") + " }}")
    return "".join(out)


def choice(fields: Fields, mapping: Map, key: str, options: Sequence[str], where: str) -> str | None:
    """The value of `key` if it is one of `options`; None (and no problem) when it is absent or null."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value in options:
        return value
    fields.add_at(mapping.lines[key], not_one_of(f"{where}.{key}", value, options))
    return None


_UNTAGGED = Tags()
_TEXT = frozenset({str})
_REMEMBERED_TAGS = 1024


def tags(fields: Fields, strict: bool, seen: dict[tuple[object, ...], Tags] | None = None) -> Tags:
    """`region`, `surface` and `cost` hold checked values when given; any other tag is the user's own, with a text
    value. `strict` (the shipped catalogue's standard) requires region and surface. `seen`: the tag mappings of text
    already checked without a problem, and their Tags: most probes repeat a few, each checked once and shared."""
    value = fields.mapping.get("tags")
    if value is None:
        if strict:
            fields.add_at(fields.mapping.line, "missing required key 'tags' (like {region: intl, surface: api})")
        return _UNTAGGED
    if not isinstance(value, Map):
        fields.add(
            "tags", f"'tags' must be a mapping like {{region: intl, surface: api, team: payments}}, not {show(value)}"
        )
        return _UNTAGGED
    known: tuple[object, ...] | None = None
    if seen is not None:
        # Only mappings of text are kept, so only a mapping of text finds one: no other value a YAML scalar reads
        # as is equal to a str. A mapping or list among the values cannot be looked up, and is never kept.
        try:
            known = (strict, tuple(value.items()))
            found = seen.get(known)
        except TypeError:
            known = found = None
        if found is not None:
            return found
    before = fields.problems.added
    region = choice(fields, value, "region", REGIONS, "tags")
    if strict and value.get("region") is None:
        fields.add("tags", f"tags needs 'region': one of {one_of(REGIONS)}")
    surface = choice(fields, value, "surface", SURFACES, "tags")
    if strict and value.get("surface") is None:
        fields.add("tags", f"tags needs 'surface': one of {one_of(SURFACES)}")
    cost = choice(fields, value, "cost", COSTS, "tags")
    extra: list[tuple[str, str]] = []
    for key, raw in value.items():
        if key in KNOWN_TAGS:
            continue
        line = value.lines[key]
        text = scalar_text(raw)
        meant = close(key, KNOWN_TAGS, cutoff=0.8)  # a tag 'host' is the user's; 'regoin' is a typo
        if meant is not None and key != meant:
            fields.add_at(
                line,
                f"tag {q(key)}, did you mean '{meant}'? "
                f"(a tag of your own needs a name further from {one_of(KNOWN_TAGS)})",
            )
        elif not TAG.fullmatch(key):
            fields.add_at(line, f"tag name {q(key)} must be lowercase letters, digits, '_', '-' or '.', like team")
        elif text is None:
            fields.add_at(line, f"tag {q(key)} must have a text value, like team: payments, not {show(raw)}")
        else:
            extra.append((key, text))
    checked = Tags(
        region=Region(region) if region else None,
        surface=Surface(surface) if surface else None,
        cost=Cost(cost) if cost else Cost.FREE,
        extra=tuple(extra),
    )
    if (
        known is not None
        and seen is not None
        and fields.problems.added == before
        and len(seen) < _REMEMBERED_TAGS
        and _TEXT.issuperset(map(type, value.values()))
    ):
        seen[known] = checked
    return checked
