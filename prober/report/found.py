"""The findings of the sweep being reported, worked out once: the Markdown and JSON reports, the ticket, the job
summary and the terminal all show them, and for a large sweep each `prober.findings.find` is a pass over every
outcome per rule."""

from __future__ import annotations

from prober import findings
from prober.model import Sweep

# The last sweep whose findings were worked out, with them; kept with the sweep, so its id is never another's.
_LAST: list[tuple[Sweep, tuple[findings.Finding, ...]]] = []


def findings_of(sweep: Sweep) -> tuple[findings.Finding, ...]:
    """`prober.findings.find(sweep)`, remembered for the last sweep asked about. A Sweep is immutable (frozen, of
    tuples), so the same object always has the same findings."""
    if not _LAST or _LAST[0][0] is not sweep:
        _LAST[:] = [(sweep, findings.find(sweep))]
    return _LAST[0][1]
