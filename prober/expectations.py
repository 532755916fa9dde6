"""Pure: mark each outcome as expected or unexpected against its probe's `expect:`."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from prober.model import Outcome, OutcomeClass, Probe, Sweep


def check(probe: Probe, outcome: Outcome) -> Outcome:
    """Skipped probes and probes without `expect:` are neither expected nor unexpected (None)."""
    expect = probe.expect
    if expect is None or outcome.klass is OutcomeClass.SKIPPED:
        return outcome
    reasons: list[str] = []
    if expect.statuses:
        status = outcome.first_status
        if status not in expect.statuses:
            wanted = " or ".join(str(s) for s in expect.statuses)
            reasons.append(f"expected status {wanted}, got {status if status is not None else outcome.klass.value}")
    if expect.klass is not None and outcome.klass is not expect.klass:
        reasons.append(f"expected class {expect.klass.value}, got {outcome.klass.value}")
    return replace(outcome, expected=not reasons, unexpected_reason="; ".join(reasons) or None)


class FailOn(StrEnum):
    """What makes a run (or a diff) exit 1 for CI."""

    CHANGED = "changed"  # an unexpected outcome, or any change since the baseline
    UNEXPECTED = "unexpected"  # an outcome outside its probe's `expect:`
    NONE = "none"  # never: exit 0 whenever the sweep completed


def failed(sweep: Sweep, fail_on: FailOn) -> bool:
    if fail_on is FailOn.NONE:
        return False
    unexpected = any(o.expected is False for o in sweep.outcomes)
    if fail_on is FailOn.UNEXPECTED:
        return unexpected
    return unexpected or (sweep.baseline is not None and bool(sweep.baseline.changes))
