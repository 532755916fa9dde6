"""The JSON report: the stored form of a sweep, from which every other format is rendered."""

from __future__ import annotations

import json

from prober import serial
from prober.model import Sweep


def render(sweep: Sweep) -> str:
    return json.dumps(serial.dump(sweep), indent=2, ensure_ascii=False) + "\n"
