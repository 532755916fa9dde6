"""Pure renderers of a sweep-to-sweep Comparison: a Markdown `## Changes since` section and JSON."""

from __future__ import annotations

from prober import inert, serial
from prober.model import Comparison
from prober.report.text import cell as _cell
from prober.report.text import code as _code
from prober.report.text import prose as _prose

_VALUE_CAP = 300  # characters of an environment value shown in a difference


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def count_line(c: Comparison) -> str:
    """One sentence with every count, e.g. `3 changes in 1 probe; 0 added, 0 removed, 40 unchanged.`"""
    # "not compared" only when there are some: a report written before issue 14 renders as it was written.
    uncompared = f", {len(c.not_compared)} not compared" if c.not_compared else ""
    return (
        f"{_plural(len(c.changes), 'change')} in {_plural(len(c.changed_ids), 'probe')}; "
        f"{len(c.added)} added, {len(c.removed)} removed, {c.unchanged_count} unchanged{uncompared}."
    )


def differences(c: Comparison) -> list[str]:
    """The warning that opens a comparison of sweeps run differently, as Markdown lines (none when none differ)."""
    if not c.environment:
        return []
    lines = [
        "**The sweeps ran in different environments**, so a change below may come from that, not from the vendor:",
        "",
    ]
    for d in c.environment:
        # Capped: a report read back may hold anything, and the ticket form has a budget.
        before, after = (_code(inert.cap(value, _VALUE_CAP)) for value in (d.before, d.after))
        lines.append(f"- {_prose(inert.cap(d.name, 60))}: {before} → {after}: {_prose(inert.cap(d.label, _VALUE_CAP))}")
    return [*lines, ""]


def markdown(c: Comparison) -> str:
    # Labels embed outside values (vendor codes, hosts, header values) and a report read back may hold anything:
    # labels are prose, the before and after values code spans.
    lines = [f"## Changes since {_prose(c.old_started_at)}", "", *differences(c)]
    if not c.changes:
        lines += ["No changes.", ""]
    else:
        lines += ["| Probe | Change | Before | After |", "|---|---|---|---|"]
        for ch in c.changes:
            before, after = (_cell(_code(value)) if value else "—" for value in (ch.before, ch.after))
            lines.append(f"| {_cell(_code(ch.probe_id))} | {_cell(_prose(ch.label))} | {before} | {after} |")
        lines.append("")
    if c.not_compared:
        lines += ["Not compared (skipped or unmodelled on a side: nothing to compare):", ""]
        lines += [f"- {_code(probe_id)}: {_prose(why)}" for probe_id, why in c.not_compared]
        lines.append("")
    started = f"Old sweep started {_prose(c.old_started_at)}, new sweep started {_prose(c.new_started_at)}."
    lines.append(f"{count_line(c)} {started}")
    return "\n".join(lines) + "\n"


def json(c: Comparison) -> str:
    """The comparison as JSON, keys in a fixed order (serial.dump_comparison: what a report embeds for --baseline)."""
    from prober.report import json as json_report

    return json_report.encode(serial.dump_comparison(c), indent=2) + "\n"
