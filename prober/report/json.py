"""The JSON report: the stored form of a sweep, from which every other format is rendered."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from enum import Enum
from json.encoder import encode_basestring
from math import isfinite
from typing import Any

from prober import serial
from prober.model import Capture, Hop, Outcome, Pairs, Probe, Sweep
from prober.report.text import CACHE_SIZE, CACHE_TEXT

# What `ensure_ascii=False` leaves raw but must not be: DEL and C1 controls (a terminal acts on them), lone
# surrogates (no UTF-8 encoder writes them), line separators and the bidi and zero-width format characters.
# They can only occur inside JSON strings, where a \uXXXX escape stands for the same character: lossless.
_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
# One encoder for every call (what `json.dumps` would build anew each time, with the same settings).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _compact() -> Callable[[Any], str]:
    """`_ENCODER.encode`, without building its C encoder anew on every call: `JSONEncoder.iterencode` makes
    exactly this one for a one-shot encoding (no indent), then the text is its chunks joined. There is no check
    for circular data (a report's data is built fresh, never circular; Python's recursion limit stops it), so
    nothing is kept between calls. Where the C encoder is missing, the encoder itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    pieces = make(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        False,
        False,
        True,
    )

    def encode(value: Any) -> str:
        if isinstance(value, str):  # as `JSONEncoder.encode`, which does not reach the C encoder for a string
            return _ENCODER.encode(value)
        return "".join(pieces(value, 0))

    return encode


_encode_compact = _compact()


def encode(value: Any, indent: int | None = None) -> str:
    """JSON as UTF-8 text (not \\u escapes), except the characters above, which are escaped."""
    if indent is None:
        return _escaped(_encode_compact(value))
    return _escaped(json.dumps(value, ensure_ascii=False, indent=indent, separators=None if indent else (", ", ": ")))


def _escaped(text: str) -> str:
    """JSON text with the characters of `_UNSAFE` escaped."""
    if text.isascii() and "\x7f" not in text:  # str.isascii is O(1): ASCII text holds none of them but DEL
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- one result as JSON text ----------------------------------------------------------------------------------
#
# What `encode(serial.dump_result(probe, outcome))` writes, written without building serial's dicts and without
# the encoder's walk over them, which took most of the time of a large report. It is the same text, key for key
# (tests/test_report_cost.py compares the two on hostile and ill-typed values): strings go through
# `encode_basestring`, the function the encoder calls for them; numbers, flags and null are written as the encoder
# writes them; the rarer parts (expectations, extra tags, vendor errors, quotas) are serial's dicts through the
# encoder itself. A field added to serial's dicts must be added here too: the test fails until it is.
#
# Where serial would accept a value of another type than the model's (an int for a str), `encode_basestring`
# raises TypeError; a record of another shape raises AttributeError or ValueError. Either sends the result the
# dicts' way, which writes what the encoder makes of it or raises its own error, as before.

_string = encode_basestring


def _string_or_null(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _scalar(value: Any) -> str:
    """A number, a flag or null as the encoder writes it; any other value, by the encoder itself. The encoder
    writes an int or a finite float by its type's `__repr__`, which `repr` calls for exactly that type."""
    kind = type(value)
    if kind is float:  # the commonest: timings
        if isfinite(value):
            return repr(value)
    elif value is None:
        return "null"
    elif kind is int:
        return repr(value)
    elif kind is bool:
        return "true" if value else "false"
    return _encode_compact(value)


def _member(value: Enum) -> str:
    """`_string(value.value)`, read from the member's `_value_`, which the `value` property returns (in Python 3.11
    through two Python-level calls). What has no `_value_` raises AttributeError, as serial's `.value` does."""
    return _string(value._value_)


# Most lists of a result are empty: `== ()` says so at once, and leaves anything else, even another falsy value,
# to the way that fails where serial's `list(...)` fails.


def _strings(values: tuple[str, ...]) -> str:
    return "[]" if values == () else f"[{', '.join(map(_string, values))}]"


def _pairs(pairs: Pairs) -> str:
    if pairs == ():
        return "[]"
    written = [_pair(k, v) if len(k) + len(v) <= CACHE_TEXT else _pair_work(k, v) for k, v in pairs]
    return f"[{', '.join(written)}]"


def _pair_work(name: str, value: str) -> str:
    return f"[{_string(name)}, {_string(value)}]"


# Header pairs repeat from answer to answer (`Server: nginx`, `Content-Length: 0`): each is written once and
# remembered, in a cache bounded as prober.report.text's (1,024 entries of at most 256 characters in; longer pairs
# are written each time). Equal strings are written alike, and a name or value that is not a string raises, so
# nothing is kept for it.
_pair = functools.lru_cache(maxsize=CACHE_SIZE)(_pair_work)


def _probe(p: Probe) -> str:
    """`serial.dump_probe(p)` as JSON text."""
    body = f'{{"kind": {_member(p.body.kind)}, "text": {_string(p.body.text)}}}' if p.body else "null"
    tags = p.tags
    if tags.extra:
        tags_text = _encode_compact(serial.dump_tags(tags))
    else:
        tags_text = (
            f'{{"region": {_string(tags.region or "")}, "surface": {_string(tags.surface or "")}, '
            f'"cost": {_string(tags.cost)}}}'
        )
    captures = "" if p.captures == () else ", ".join([_capture(c) for c in p.captures])
    return (
        f'{{"id": {_string(p.id)}, "description": {_string(p.description)}, "method": {_string(p.method)}, '
        f'"url": {_string(p.url)}, "headers": {_pairs(p.headers)}, "body": {body}, "auth": {_member(p.auth)}, '
        f'"key_style": {_member(p.key_style) if p.key_style else "null"}, "tags": {tags_text}, '
        f'"expect": {_encode_compact(serial.dump_expect(p.expect)) if p.expect else "null"}, '
        f'"source": {_string(p.source)}, "captures": [{captures}], "needs": {_strings(p.needs)}}}'
    )


def _capture(c: Capture) -> str:
    return f'{{"name": {_string(c.name)}, "source": {_member(c.source)}, "arg": {_string(c.arg)}}}'


def _hop(h: Hop) -> str:
    """`serial`'s dict of a hop as JSON text."""
    text = (
        f'{{"method": {_string(h.method)}, "url": {_string(h.url)}, "status": {_scalar(h.status)}, '
        f'"reason": {_string(h.reason)}, "location": {_string_or_null(h.location)}, '
        f'"cookies_sent": {_strings(h.cookies_sent)}, "key_sent": {_scalar(h.key_sent)}, '
        f'"cookies_set": {_strings(h.cookies_set)}, "retried_after_s": {_scalar(h.retried_after_s)}'
    )
    if h.sent:
        text += f', "sent": {_strings(h.sent)}'
    if h.withheld:
        text += f', "withheld": {_strings(h.withheld)}'
    if h.headers:
        text += f', "headers": {_pairs(h.headers)}'
    return text + "}"


def _outcome(o: Outcome) -> str:
    """`serial.dump_outcome(o)` as JSON text."""
    t = o.timings
    timings = (
        f'{{"total_ms": {_scalar(t.total_ms)}, "dns_ms": {_scalar(t.dns_ms)}, '
        f'"connect_ms": {_scalar(t.connect_ms)}, "first_byte_ms": {_scalar(t.first_byte_ms)}}}'
        if t
        else "null"
    )
    text = (
        f'{{"class": {_member(o.klass)}, "explanation": {_string(o.explanation)}, '
        f'"status": {_scalar(o.status)}, "reason": {_string(o.reason)}, "expected": {_scalar(o.expected)}, '
        f'"unexpected_reason": {_string_or_null(o.unexpected_reason)}, '
        f'"hops": [{", ".join([_hop(h) for h in o.hops])}], "final_url": {_string_or_null(o.final_url)}, '
        f'"timings": {timings}, "remote_addr": {_string_or_null(o.remote_addr)}, '
        f'"rate_limits": {_pairs(o.rate_limits)}, "diagnostics": {_pairs(o.diagnostics)}, '
        f'"content_type": {_string_or_null(o.content_type)}, "body_excerpt": {_string(o.body_excerpt)}, '
        f'"body_bytes": {_scalar(o.body_bytes)}, "body_truncated": {_scalar(o.body_truncated)}, '
        f'"vendor_error": {_encode_compact(serial.dump_vendor_error(o.vendor_error)) if o.vendor_error else "null"}, '
        f'"quota": {_encode_compact(serial.dump_quota(o.quota)) if o.quota else "null"}, '
        f'"error": {_string_or_null(o.error)}, "captured": {_strings(o.captured)}'
    )
    if o.checked_headers:
        text += f', "checked_headers": {_pairs(o.checked_headers)}'
    return text + "}"


def encode_result(probe: Probe, outcome: Outcome) -> str:
    """One entry of `results`: what `encode(serial.dump_result(probe, outcome))` writes."""
    try:
        text = f'{{"probe": {_probe(probe)}, "outcome": {_outcome(outcome)}}}'
    except (TypeError, AttributeError, ValueError):
        # A value of another type or shape than the model's: serial and the encoder say what they make of it.
        return encode(serial.dump_result(probe, outcome))
    return _escaped(text)


def chunks(sweep: Sweep) -> Iterator[str]:
    """The report in pieces, to be written one after another: one top-level key per line and one probe result
    per line, so diffs in git name the probes that changed (an indented dump would run in pure Python); each
    result is written as text straight from the model (`encode_result`), so a 10,000-probe report is never held
    as one structure, nor as one string when it is written to a file."""
    head = ",\n".join(f"  {encode(key)}: {encode(value)}" for key, value in serial.dump_head(sweep).items())
    results = zip(sweep.probes, sweep.outcomes, strict=True)
    first = next(results, None)
    if first is None:
        yield f'{{\n{head},\n  "results": []\n}}\n'
        return
    yield f'{{\n{head},\n  "results": [\n    {encode_result(*first)}'
    for probe, outcome in results:
        yield f",\n    {encode_result(probe, outcome)}"
    yield "\n  ]\n}\n"


def render(sweep: Sweep) -> str:
    return "".join(chunks(sweep))
