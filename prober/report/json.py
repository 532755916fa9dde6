"""The JSON report: the stored form of a sweep, from which every other format is rendered."""

from __future__ import annotations

import json
from typing import Any

from prober import serial
from prober.model import Sweep


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def render(sweep: Sweep) -> str:
    """One top-level key per line and one probe result per line: diffs in git name the probes that changed,
    and the C encoder does the work (an indented dump runs in pure Python, several times slower)."""
    data = serial.dump(sweep)
    lines = []
    for key, value in data.items():
        if key == "results":
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            lines.append(f'  "results": [\n{items}\n  ]' if value else '  "results": []')
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
