"""Pure: two or more sweeps side by side (`prober compare`): a column per sweep, a row per probe, the rows whose
answers differ marked.

Made for sweeps that differ on purpose: a CN account and an INTL account, a runner in Singapore and one in Beijing,
last week and today. Where `prober diff` says what changed between an old and a new sweep, this lines up any number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prober import diff
from prober.model import Outcome, OutcomeClass, Pairs, Probe, Sweep

_FINGERPRINT = re.compile(r"fingerprint sha256:([0-9a-f]{6})")
# Nothing to compare in these: a skipped probe sent nothing, an unmodelled one got no vendor answer (issue 15).
_UNANSWERED = frozenset({OutcomeClass.SKIPPED, OutcomeClass.UNMODELLED})


@dataclass(frozen=True, slots=True)
class Column:
    """One sweep: its label, when it started, and who ran it and how (prober.diff.facts)."""

    label: str
    started_at: str
    facts: Pairs


@dataclass(frozen=True, slots=True)
class Row:
    """One probe across the sweeps. `outcomes[i]` is its outcome in sweep i, None when sweep i lacks it."""

    probe: Probe
    outcomes: tuple[Outcome | None, ...]
    compared: int  # sweeps whose outcome can be compared: present, and neither skipped nor unmodelled
    differs: bool  # those outcomes disagree on the class, status, vendor code or redirect host

    @property
    def id(self) -> str:
        return self.probe.id


@dataclass(frozen=True, slots=True)
class Lineup:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def differing(self) -> int:
        return sum(r.differs for r in self.rows)

    @property
    def uncompared(self) -> int:
        """Rows answered in fewer than two sweeps: there is nothing to compare them with."""
        return sum(r.compared < 2 for r in self.rows)


def answered(outcome: Outcome | None) -> bool:
    return outcome is not None and outcome.klass not in _UNANSWERED


def fact(outcome: Outcome) -> tuple[str, str | None, str | None, str | None]:
    """What two sweeps' answers are compared on: what the results table shows, never times, ids or counters (as
    `prober diff`; a quota's counters move between any two sweeps)."""
    code = outcome.vendor_error.code if outcome.vendor_error is not None else None
    return (outcome.klass.value, diff.status_shown(outcome), code, diff.redirect_host(outcome))


def label(sweep: Sweep) -> str:
    """A column's name from its sweep's environment: cookie verdict, credential fingerprint, start time."""
    facts = dict(diff.facts(sweep.environment))
    parts = []
    verdict = facts.get("Cookie verdict")
    if verdict and verdict != "no cookies":
        parts.append(verdict)
    for name, short in (("API key", "key"), ("Console token", "token")):
        found = _FINGERPRINT.search(facts.get(name, ""))
        if found:
            parts.append(f"{short} {found.group(1)}")
            break
    parts.append(sweep.started_at[:16].replace("T", " "))
    return " · ".join(parts)


def _unique(labels: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for text in labels:
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text} #{seen[text]}")
    return tuple(out)


def build(sweeps: Sequence[Sweep], labels: Sequence[str] = ()) -> Lineup:
    """The sweeps side by side; `labels` name the first columns, the others are named from their environment.
    Rows come in the first sweep's catalogue order, then the probes only later sweeps have, in theirs."""
    names = _unique([*labels, *(label(s) for s in sweeps[len(labels) :])])
    columns = tuple(
        Column(name, s.started_at, diff.facts(s.environment)) for name, s in zip(names, sweeps, strict=True)
    )
    probes: dict[str, Probe] = {}
    for s in sweeps:
        for p in s.probes:
            probes.setdefault(p.id, p)
    by_sweep = [{o.probe_id: o for o in s.outcomes} for s in sweeps]
    rows = []
    for probe_id, probe in probes.items():
        outcomes = tuple(found.get(probe_id) for found in by_sweep)
        compared = [fact(o) for o in outcomes if o is not None and answered(o)]
        rows.append(Row(probe, outcomes, len(compared), len(set(compared)) > 1))
    return Lineup(columns, tuple(rows))
