"""Pure renderers of a sweep-to-sweep Comparison: a Markdown `## Changes since` section and JSON."""

from __future__ import annotations

from typing import Any

from prober import serial
from prober.model import Comparison
from prober.report.text import cell as _cell
from prober.report.text import code as _code
from prober.report.text import prose as _prose


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def count_line(c: Comparison) -> str:
    """One sentence with every count, e.g. `3 changes in 1 probe; 0 added, 0 removed, 40 unchanged.`"""
    return (
        f"{_plural(len(c.changes), 'change')} in {_plural(len(c.changed_ids), 'probe')}; "
        f"{len(c.added)} added, {len(c.removed)} removed, {c.unchanged_count} unchanged."
    )


def markdown(c: Comparison) -> str:
    # Labels embed outside values (vendor codes, hosts, header values) and a report read back may hold anything:
    # labels are prose, the before and after values code spans.
    lines = [f"## Changes since {_prose(c.old_started_at)}", ""]
    if not c.changes:
        lines += ["No changes.", ""]
    else:
        lines += ["| Probe | Change | Before | After |", "|---|---|---|---|"]
        for ch in c.changes:
            before, after = (_cell(_code(value)) if value else "—" for value in (ch.before, ch.after))
            lines.append(f"| {_cell(_code(ch.probe_id))} | {_cell(_prose(ch.label))} | {before} | {after} |")
        lines.append("")
    started = f"Old sweep started {_prose(c.old_started_at)}, new sweep started {_prose(c.new_started_at)}."
    lines.append(f"{count_line(c)} {started}")
    return "\n".join(lines) + "\n"


def data(c: Comparison) -> dict[str, Any]:
    """The comparison as plain JSON data, keys in a fixed order (also what a report embeds for --baseline)."""
    return serial.dump_comparison(c)


def json(c: Comparison) -> str:
    from prober.report import json as json_report

    return json_report.encode(data(c), indent=2) + "\n"
