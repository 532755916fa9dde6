"""Counting work instead of timing it: performance guards in the suite compare call counts, never seconds."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from types import FrameType


def calls(work: Callable[[], object]) -> int:
    """Python and C function calls made by `work()`: a deterministic measure of the work done."""
    count = 0

    def tick(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    # The garbage collector may run finalizers of earlier tests' objects (a transport's __del__) inside `work`, and
    # count their calls as its own: it collects first and stays off while counting.
    gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    sys.setprofile(tick)
    try:
        work()
    finally:
        sys.setprofile(None)
        if collecting:
            gc.enable()
    return count
