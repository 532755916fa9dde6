"""Small builders of probes, outcomes and sweeps for tests that hand-build a sweep instead of running one.

Each builder fills in what most tests leave alone (a Bearer key, INTL tags, the one time stamp) and takes every other
field of the model as a keyword, so a test names only what it is about.
"""

from __future__ import annotations

from typing import Any

from prober.model import Auth, Hop, KeyStyle, Outcome, OutcomeClass, Probe, Sweep, Tags, VendorError

STAMP = "2026-11-29T08:00:00Z"

Pair = tuple[Probe, Outcome]


def make_probe(
    pid: str,
    url: str,
    *,
    method: str = "GET",
    description: str | None = None,
    auth: Auth = Auth.KEY,
    style: KeyStyle | None = None,
    region: str = "intl",
    surface: str = "api",
    tags: Tags | None = None,
    **more: Any,
) -> Probe:
    """A probe `pid` of `url`, described by its id unless `description` is given. A key probe sends the key as a
    Bearer token unless `style` says otherwise; the tags are `region` and `surface` unless `tags` is given."""
    if auth is Auth.KEY and style is None:
        style = KeyStyle.BEARER
    return Probe(
        pid,
        pid if description is None else description,
        method,
        url,
        auth=auth,
        key_style=style,
        tags=tags or Tags(region, surface),
        **more,
    )


def answer(
    probe: Probe,
    klass: OutcomeClass,
    status: int,
    code: str | None = None,
    cookies: tuple[str, ...] = (),
    **more: Any,
) -> Outcome:
    """The outcome of one answer with `status` to `probe` (one hop, which sent `cookies` and the key if the probe
    uses one), with the console vendor error `code` when one is given."""
    hops = (Hop(probe.method, probe.url, status, "", cookies_sent=cookies, key_sent=probe.auth is Auth.KEY),)
    error = VendorError("console", code, None) if code else None
    return Outcome(
        probe.id, klass, f"{status} {code or ''}".strip(), status=status, hops=hops, vendor_error=error, **more
    )


def skipped(probe: Probe, why: str, **more: Any) -> Outcome:
    """The outcome of `probe` when it was not sent, for the reason `why`."""
    return Outcome(probe.id, OutcomeClass.SKIPPED, why, **more)


def make_sweep(
    *pairs: Pair,
    environment: tuple[tuple[str, str], ...] = (),
    started: str = STAMP,
    finished: str = STAMP,
    **more: Any,
) -> Sweep:
    """A sweep of the (probe, outcome) `pairs` in order, started and finished at `STAMP` unless told otherwise."""
    return Sweep(
        environment,
        tuple(p for p, _ in pairs),
        tuple(o for _, o in pairs),
        started,
        finished,
        **more,
    )
