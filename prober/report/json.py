"""The JSON report: the stored form of a sweep, from which every other format is rendered."""

from __future__ import annotations

import json
import re
from typing import Any

from prober import serial
from prober.model import Sweep

# What `ensure_ascii=False` leaves raw but must not be: DEL and C1 controls (a terminal acts on them), lone
# surrogates (no UTF-8 encoder writes them), line separators and the bidi and zero-width format characters.
# They can only occur inside JSON strings, where a \uXXXX escape stands for the same character: lossless.
_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def encode(value: Any, indent: int | None = None) -> str:
    """JSON as UTF-8 text (not \\u escapes), except the characters above, which are escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=None if indent else (", ", ": "))
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(sweep: Sweep) -> str:
    """One top-level key per line and one probe result per line: diffs in git name the probes that changed,
    the C encoder does the work (an indented dump runs in pure Python), and each result is encoded as it is
    made, so a 10,000-probe report is never held as one structure."""
    lines = [f"  {encode(key)}: {encode(value)}" for key, value in serial.dump_head(sweep).items()]
    results = ",\n".join(f"    {encode(item)}" for item in serial.dump_results(sweep))
    lines.append(f'  "results": [\n{results}\n  ]' if results else '  "results": []')
    return "{\n" + ",\n".join(lines) + "\n}\n"
