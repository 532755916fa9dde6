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
    the C encoder does the work (an indented dump runs in pure Python), and each result is encoded as it is
    made, so a 10,000-probe report is never held as one structure."""
    lines = [f"  {_compact(key)}: {_compact(value)}" for key, value in serial.dump_head(sweep).items()]
    results = ",\n".join(f"    {_compact(item)}" for item in serial.dump_results(sweep))
    lines.append(f'  "results": [\n{results}\n  ]' if results else '  "results": []')
    return "{\n" + ",\n".join(lines) + "\n}\n"
