"""Run a Plan into a finished Sweep: the runner's outcomes, checked against expectations, with the environment and
the changes since the baseline; and the signal handling that keeps an interrupted run's report."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from prober import diff, expectations, intake, runner, vendor
from prober.model import Outcome, Sweep
from prober.plan import Plan, environment, redactor_for


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _signals_to(handler: Callable[[int, object], None]) -> Iterator[None]:
    """SIGINT and SIGTERM go to `handler` while the block runs; the handlers in place before are put back after
    (not the defaults, so the sweep's handling nests inside `Deferred`)."""
    previous: dict[signal.Signals, Any] = {}
    for sig in _SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread: the caller's own handling stands
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _stop_on_signals(task: asyncio.Future[Any]) -> contextlib.AbstractContextManager[None]:
    """Ctrl-C and SIGTERM cancel the sweep task instead of killing the process, so the report is written."""
    loop = asyncio.get_running_loop()

    def cancel(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(task.cancel)

    return _signals_to(cancel)


class Deferred:
    """While reports are rendered and written, SIGINT and SIGTERM are noted instead of killing the process, so an
    interrupt after the sweep never loses the report (that phase is bounded: no step depends on server text size
    beyond the caps). `received` says whether one came; the caller then exits 130."""

    def __init__(self) -> None:
        self.received = False
        self._handling = contextlib.ExitStack()

    def _note(self, _signum: int, _frame: object) -> None:
        self.received = True

    def __enter__(self) -> Deferred:
        self._handling.enter_context(_signals_to(self._note))
        return self

    def __exit__(self, *_exc: object) -> None:
        self._handling.close()


async def run(plan: Plan, on_outcome: Callable[[Outcome], None] | None = None) -> Sweep:
    """Run the plan into a Sweep (compared with the plan's baseline, when it has one); every report format renders
    from it. Server text was scrubbed as it entered each outcome, so nothing here rewrites the finished data.

    SIGINT and SIGTERM stop the sweep; the data then holds the probes that finished, with `complete` false.
    """
    redactor = redactor_for(plan)
    started = _now()
    finished: dict[str, Outcome] = {}

    def record(outcome: Outcome) -> None:
        finished[outcome.probe_id] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    task = asyncio.ensure_future(runner.run(plan.probes, plan.creds, plan.options, redactor, record))
    complete = True
    with _stop_on_signals(task):
        try:
            outcomes: Sequence[Outcome] = await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            complete = False
            outcomes = [finished[p.id] for p in plan.probes if p.id in finished]
    if redactor.learned:  # credentials captured mid-sweep, perhaps echoed in answers kept before they were known
        outcomes = [intake.scrub_again(o, redactor) for o in outcomes]
    probes = tuple(p for p in plan.probes if complete or p.id in finished)
    checked = tuple(expectations.check(p, vendor.explain_login(p, o)) for p, o in zip(probes, outcomes, strict=True))
    result = Sweep(
        environment=environment(plan),
        probes=probes,
        outcomes=checked,
        started_at=started,
        finished_at=_now(),
        complete=complete,
    )
    if plan.baseline is not None:
        result = replace(result, baseline=diff.compare(plan.baseline, result))
    return result


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
