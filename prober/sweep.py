"""Run a catalogue into a finished, redacted Sweep: runner -> expectations -> environment -> redaction."""

from __future__ import annotations

import asyncio
import contextlib
import platform
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from prober import __version__, diff, expectations
from prober.credentials import Credentials
from prober.model import Auth, Catalogue, Outcome, OutcomeClass, Probe, Sweep
from prober.proxies import Proxies
from prober.redact import Redactor, Secret, shape
from prober.runner import Options, sweep


@dataclass(frozen=True, slots=True)
class Plan:
    catalogue: Catalogue
    probes: tuple[Probe, ...]
    creds: Credentials
    options: Options


def proxies(options: Options) -> Proxies:
    return Proxies(options.settings.proxy, options.settings.env_proxies)


def environment(plan: Plan) -> tuple[tuple[str, str], ...]:
    """What a ticket needs to know about where the sweep ran, and nothing that names the person or the machine:
    no paths, user or host names, proxy hosts or NO_PROXY entries, no kernel release."""
    creds, options = plan.creds, plan.options
    key = f"{shape(creds.key.reveal()).describe()} from {creds.key_source}" if creds.key is not None else "none"
    cookies = "none"
    verdicts: list[tuple[str, str]] = []
    if creds.jar is not None:
        from prober.cookies import diagnose

        cookies = f"{creds.jar.kind}, {len(creds.jar.cookies)} cookies"
        if creds.jar.left_out:
            cookies += f" ({creds.jar.left_out:,} for other sites left out)"
        found = diagnose.diagnose(creds.jar, plan.probes, time.time())
        verdicts = [("Cookie verdict", f"{v.scheme.label}: {v.reason}") for v in found.verdicts]
        verdicts += [("Cookie warning", w) for w in found.warnings]
    return (
        ("Tool", f"prober {__version__}"),
        ("Catalogue", f"{Path(plan.catalogue.path).name} (sha256 {plan.catalogue.sha256[:16]})"),
        ("Probes", str(len(plan.probes))),
        ("API key", key),
        (
            "Console token",
            f"{shape(creds.console_token.reveal()).describe()} from {creds.console_token_source}"
            if creds.console_token is not None
            else "none",
        ),
        ("Cookies", cookies),
        *verdicts,
        ("Python", platform.python_version()),
        ("aiohttp", version("aiohttp")),
        ("OS", f"{platform.system()} {platform.machine()}"),
        ("Connect-to", ", ".join(str(r) for r in options.connect_to) or "none"),
        ("CA", "--cacert file" if options.cacert else "system trust store"),
        ("Proxy", proxies(options).describe()),
        (
            "Limits",
            f"concurrency {options.concurrency}, per-host {options.per_host}, "
            f"timeout {options.settings.timeout:g} s, max redirects {options.settings.max_redirects}",
        ),
        ("Billable probes", "sent" if options.settings.billable else "skipped"),
        *((f"Note {n}", note) for n, note in enumerate(creds.notes, start=1)),
    )


_TICKET = "login_aliyunid_ticket"


def _explain_login(probe: Probe, outcome: Outcome) -> Outcome:
    """A console probe sent to login: say whether the CN ticket cookie was among the cookies sent (#612)."""
    if outcome.klass is not OutcomeClass.REDIRECT_TO_LOGIN or probe.auth is not Auth.COOKIES or not outcome.hops:
        return outcome
    sent = outcome.hops[0].cookies_sent
    if _TICKET in sent:
        why = f"{_TICKET} was sent, so the session itself was refused (expired or revoked)"
    elif sent:
        why = f"{_TICKET} absent from the {len(sent)} cookies sent: an INTL passport session has none (CodexBar #612)"
    else:
        why = "no cookie matched this host: the jar holds no session for it"
    return replace(outcome, explanation=f"{outcome.explanation}; {why}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _stop_on_signals(task: asyncio.Future[Any]) -> Iterator[None]:
    """Ctrl-C and SIGTERM cancel the sweep task instead of killing the process, so the report is written. The
    handlers in place before (see `Deferred`) are put back afterwards, not the defaults."""
    loop = asyncio.get_running_loop()

    def cancel(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(task.cancel)

    previous: dict[signal.Signals, Any] = {}
    for sig in _SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread: the caller's own handling stands
            previous[sig] = signal.signal(sig, cancel)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Deferred:
    """While reports are rendered and written, SIGINT and SIGTERM are noted instead of killing the process, so an
    interrupt after the sweep never loses the report (that phase is bounded: no step depends on server text size
    beyond the caps). `received` says whether one came; the caller then exits 130."""

    def __init__(self) -> None:
        self.received = False
        self._previous: dict[signal.Signals, Any] = {}

    def _note(self, _signum: int, _frame: object) -> None:
        self.received = True

    def __enter__(self) -> Deferred:
        for sig in _SIGNALS:
            with contextlib.suppress(ValueError):  # not the main thread
                self._previous[sig] = signal.signal(sig, self._note)
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def given(plan: Plan) -> list[Secret | str]:
    """The credentials the user gave directly, secret whatever their shape: the key, the console token and any proxy
    password."""
    creds = plan.creds
    given = [s for s in (creds.key, creds.console_token) if s is not None]
    return [*given, *proxies(plan.options).secrets()]


def redactor_for(plan: Plan) -> Redactor:
    """Every secret the sweep holds: cookie values that look like credentials, and the credentials given directly."""
    jar = plan.creds.jar.secrets() if plan.creds.jar is not None else ()
    return Redactor(jar, trusted=given(plan))


async def execute(
    plan: Plan,
    on_outcome: Callable[[Outcome], None] | None = None,
    baseline: Sweep | None = None,
) -> Sweep:
    """Run the plan and return the sweep; every report format renders from it. Server text was scrubbed as it
    entered each outcome, so nothing here rewrites the finished data.

    SIGINT and SIGTERM stop the sweep; the data then holds the probes that finished, with `complete` false.
    """
    redactor = redactor_for(plan)
    started = _now()
    finished: dict[str, Outcome] = {}

    def record(outcome: Outcome) -> None:
        finished[outcome.probe_id] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    task = asyncio.ensure_future(sweep(plan.probes, plan.creds, plan.options, redactor, record))
    complete = True
    with _stop_on_signals(task):
        try:
            outcomes: Sequence[Outcome] = await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            complete = False
            outcomes = [finished[p.id] for p in plan.probes if p.id in finished]
    probes = tuple(p for p in plan.probes if complete or p.id in finished)
    checked = tuple(expectations.check(p, _explain_login(p, o)) for p, o in zip(probes, outcomes, strict=True))
    result = Sweep(
        environment=environment(plan),
        probes=probes,
        outcomes=checked,
        started_at=started,
        finished_at=_now(),
        complete=complete,
    )
    if baseline is not None:
        result = replace(result, baseline=diff.compare(baseline, result))
    return result


def run(
    plan: Plan,
    on_outcome: Callable[[Outcome], None] | None = None,
    baseline: Sweep | None = None,
) -> Sweep:
    return asyncio.run(execute(plan, on_outcome, baseline))


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
