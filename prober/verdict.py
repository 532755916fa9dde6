"""Pure: what a finished sweep means for CI: the exit code, and every probe that earned it.

One function decides for `prober run`, `prober diff` and the JUnit report, so the exit code, the terminal's closing
lines and the JUnit failures and errors tell the same story (README "Exit codes"):

- drift (exit 1): an answer outside its probe's `expect:`, or with `--fail-on changed` a change since the baseline;
- unreachable (exit 4): a transport failure (DNS, connect, TLS, timeout, reset, no valid HTTP) that no `expect:`
  allowed: an outage or a proxy problem, not the vendor changing.

When both happen, drift wins (exit 1): the probes that were answered show a real change whatever the others met, and
the closing lines name the unreachable ones as well. `--fail-on none` exits 0 whatever the sweep met.
"""

from __future__ import annotations

from dataclasses import dataclass

from prober.errors import ExitCode
from prober.expectations import FailOn
from prober.model import Outcome, Sweep


@dataclass(frozen=True, slots=True)
class Verdict:
    code: ExitCode
    fail_on: FailOn
    unexpected: tuple[Outcome, ...]  # answered, outside expect: (drift)
    changed: tuple[tuple[str, str], ...]  # (probe id, what changed) since the baseline, answered now or removed
    unreachable: tuple[Outcome, ...]  # no HTTP answer, and no expect: allowed that
    total: int  # probes in the sweep

    @property
    def changes_fail(self) -> bool:
        return self.fail_on is FailOn.CHANGED

    def failing(self, probe_id: str) -> bool:
        """True when this probe is part of the drift that the exit code reports (a JUnit failure)."""
        return any(o.probe_id == probe_id for o in self.unexpected) or (
            self.changes_fail and any(i == probe_id for i, _ in self.changed)
        )


def unreachable(outcome: Outcome) -> bool:
    """No HTTP answer at all, and the probe's `expect:` did not allow that (no expectation allows nothing)."""
    return outcome.klass.is_transport and outcome.expected is not True


def judge(sweep: Sweep, fail_on: FailOn) -> Verdict:
    """The exit code for `sweep` under `fail_on`, with the probes behind it, each in catalogue order."""
    cut = tuple(o for o in sweep.outcomes if unreachable(o))
    unexpected = tuple(o for o in sweep.outcomes if o.expected is False and not unreachable(o))
    changed: list[tuple[str, str]] = []
    if sweep.baseline is not None:
        cut_ids = {o.probe_id for o in cut}
        for probe_id in sweep.baseline.changed_ids:
            if probe_id in cut_ids:  # it was not answered: unreachable says so, it is not drift
                continue
            labels = [c.label for c in sweep.baseline.changes if c.probe_id == probe_id]
            changed.append((probe_id, "; ".join(labels)))
    drift = bool(unexpected) or (fail_on is FailOn.CHANGED and bool(changed))
    if fail_on is FailOn.NONE:
        code = ExitCode.OK
    elif drift:
        code = ExitCode.FAILED
    elif cut:
        code = ExitCode.UNREACHABLE
    else:
        code = ExitCode.OK
    return Verdict(code, fail_on, unexpected, tuple(changed), cut, len(sweep.outcomes))
