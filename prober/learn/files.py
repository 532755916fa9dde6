"""`prober learn`'s files, the package's only I/O: the HAR read within its limit, the catalogue appended to, the
result held to what `prober check` holds a catalogue to, then written."""

from __future__ import annotations

import json
from pathlib import Path

from prober import catalogue, inputs, store
from prober.learn import Learned, indent_of, learn, render
from prober.learn.har import HarError


def run(har: Path, *, out: Path | None, append: Path | None, expect_observed: bool, today: str) -> tuple[Learned, str]:
    """Learn from the HAR at `har`; with `out` write a new catalogue, with `append` add to that one (left as it was
    when nothing is new). Returns what was learned and the catalogue text."""
    raw = inputs.read_bytes(har, inputs.COOKIE_LIMIT, "HAR", HarError, "pass a .har file")
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not text
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        raise HarError(f"{har} is not JSON ({why})", "pass a .har file") from None
    existing = catalogue.load(append).probes if append is not None else ()
    found = learn(data, today=today, existing=existing, expect_observed=expect_observed)
    if append is not None:
        text = append.read_text(encoding="utf-8")
        text += ("" if text.endswith("\n") else "\n") + render(found, indent_of(text))
    else:
        text = render(found)
    target = append or out
    catalogue.parse(text, str(target or "learned.yaml"), catalogue.Rules())  # as `prober check` would
    if target is not None and (out is not None or found.probes):
        store.check_target(target)
        store.write(target, text)
    return found, text
