"""The JSON report: the stored form of a sweep, from which every other format is rendered."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from prober import serial
from prober.model import Sweep

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
        text = _encode_compact(value)
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent, separators=None if indent else (", ", ": "))
    if text.isascii() and "\x7f" not in text:  # str.isascii is O(1): ASCII text holds none of them but DEL
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def chunks(sweep: Sweep) -> Iterator[str]:
    """The report in pieces, to be written one after another: one top-level key per line and one probe result
    per line, so diffs in git name the probes that changed; the C encoder does the work (an indented dump runs
    in pure Python), and each result is encoded as it is made, so a 10,000-probe report is never held as one
    structure, nor as one string when it is written to a file."""
    head = ",\n".join(f"  {encode(key)}: {encode(value)}" for key, value in serial.dump_head(sweep).items())
    results = serial.dump_results(sweep)
    first = next(results, None)
    if first is None:
        yield f'{{\n{head},\n  "results": []\n}}\n'
        return
    yield f'{{\n{head},\n  "results": [\n    {encode(first)}'
    for item in results:
        yield f",\n    {encode(item)}"
    yield "\n  ]\n}\n"


def render(sweep: Sweep) -> str:
    return "".join(chunks(sweep))
