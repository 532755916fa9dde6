"""Pure: compare two sweeps probe by probe and say in plain words what changed; volatile fields never count."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from prober import urls
from prober.model import (
    Change,
    ChangeKind,
    Comparison,
    Difference,
    Outcome,
    OutcomeClass,
    Pairs,
    Probe,
    Surface,
    Sweep,
)
from prober.vendor import LOGIN_HOSTS

# Nothing was compared for these: a skipped probe sent nothing, and an unmodelled one got no vendor answer (the
# replica had none, issue 15).
_UNCOMPARED = frozenset({OutcomeClass.SKIPPED, OutcomeClass.UNMODELLED})


def compare(old: Sweep, new: Sweep) -> Comparison:
    """Match outcomes by probe id; report what the report table and the user care about, never timings or ids.
    Environment facts that differ come first; probes skipped or unmodelled on either side are not compared."""
    before = {o.probe_id: o for o in old.outcomes}
    after = {o.probe_id: o for o in new.outcomes}
    probes = {p.id: p for p in new.probes}
    changes: list[Change] = []
    not_compared: list[tuple[str, str]] = []
    unchanged = 0
    for outcome in new.outcomes:
        previous = before.get(outcome.probe_id)
        if previous is None:
            changes.append(
                Change(outcome.probe_id, ChangeKind.ADDED, None, _shown(outcome), "new probe: not in the old sweep")
            )
            continue
        why = _not_compared(previous, outcome)
        if why is not None:
            not_compared.append((outcome.probe_id, why))
            continue
        found = _outcome_changes(probes.get(outcome.probe_id), previous, outcome)
        changes += sorted(found, key=lambda c: c.kind.rank)
        unchanged += not found
    # An interrupted sweep lacks the probes that did not finish: say so rather than imply a catalogue edit.
    gone = "not in the new sweep (it was interrupted)" if not new.complete else "not in the new sweep"
    removed = [o for o in old.outcomes if o.probe_id not in after]
    changes += [Change(o.probe_id, ChangeKind.REMOVED, _shown(o), None, gone) for o in removed]
    return Comparison(
        old_started_at=old.started_at,
        new_started_at=new.started_at,
        changes=tuple(changes),
        added=tuple(o.probe_id for o in new.outcomes if o.probe_id not in before),
        removed=tuple(o.probe_id for o in removed),
        unchanged_count=unchanged,
        environment=environment_differences(old.environment, new.environment),
        not_compared=tuple(not_compared),
    )


def _not_compared(old: Outcome, new: Outcome) -> str | None:
    """Why a probe in both sweeps was not compared (skipped or unmodelled on a side), or None when it was."""
    sides = [(side, o) for side, o in (("old", old), ("new", new)) if o.klass in _UNCOMPARED]
    if not sides:
        return None
    if len(sides) == 2 and old.klass is new.klass and old.explanation == new.explanation:
        return f"{new.klass.value} in both sweeps: {new.explanation}"
    return "; ".join(f"{o.klass.value} in the {side} sweep: {o.explanation}" for side, o in sides)


# --------------------------------------------------------------------------------------------------
# The environment: who ran each sweep, and how (prober/plan.py `environment`)
# --------------------------------------------------------------------------------------------------

_SOURCE = re.compile(r" from .*\Z", re.DOTALL)  # "sk-sp-… (38 chars, fingerprint sha256:…) from env X"
_CATALOGUE_HASH = re.compile(r"sha256 ([0-9a-f]+)")


def _credential(row: str) -> Callable[[Mapping[str, str], Pairs], str | None]:
    # The shape and fingerprint, not where it was read from: the same key from a file or a variable is the same key.
    return lambda env, _pairs: _SOURCE.sub("", env[row]) if row in env else None


def _catalogue(env: Mapping[str, str], _pairs: Pairs) -> str | None:
    found = _CATALOGUE_HASH.search(env.get("Catalogue", ""))
    return f"sha256 {found.group(1)}" if found else env.get("Catalogue")


def _verdict(env: Mapping[str, str], pairs: Pairs) -> str | None:
    # The login scheme of each verdict ("INTL passport session"), not its reason: the reason names cookies, and the
    # same session re-exported may carry one more.
    if "Cookies" not in env:
        return None
    if env["Cookies"] == "none":
        return "no cookies"
    schemes = [value.split(":", 1)[0] for name, value in pairs if name == "Cookie verdict"]
    return ", ".join(schemes) or "cookies without a verdict"


def _row(row: str) -> Callable[[Mapping[str, str], Pairs], str | None]:
    return lambda env, _pairs: env.get(row)


# (row, how to read it, what a difference may explain). A row either report lacks (an older report) is skipped.
_FACTS: tuple[tuple[str, Callable[[Mapping[str, str], Pairs], str | None], str], ...] = (
    ("API key", _credential("API key"), "another key (or none): answers depend on whose key it is"),
    ("Console token", _credential("Console token"), "another console token (or none): answers depend on whose it is"),
    ("Cookie verdict", _verdict, "another kind of session: the console answers depend on it"),
    ("Catalogue", _catalogue, "another catalogue: probes may send something else under the same id"),
    ("Selection", _row("Selection"), "another selection: probes in one sweep only are added or removed"),
    ("Billable probes", _row("Billable probes"), "billable probes sent in one sweep only"),
    ("Tool", _row("Tool"), "another prober version: it may classify the same answer differently"),
    ("Connect-to", _row("Connect-to"), "the requests went to other addresses"),
    ("Proxy", _row("Proxy"), "another proxy: it may answer or fail in the vendor's place"),
)


def facts(environment: Pairs) -> Pairs:
    """The facts of a sweep's environment that a comparison depends on, in a fixed order (those the report has)."""
    env = dict(environment)
    return tuple((name, value) for name, read, _ in _FACTS if (value := read(env, environment)) is not None)


def environment_differences(old: Pairs, new: Pairs) -> tuple[Difference, ...]:
    """Every environment fact that differs between two sweeps and makes a comparison of them suspect."""
    before, after = dict(facts(old)), dict(facts(new))
    return tuple(
        Difference(name, before[name], after[name], label)
        for name, _, label in _FACTS
        if name in before and name in after and before[name] != after[name]
    )


def _outcome_changes(probe: Probe | None, old: Outcome, new: Outcome) -> list[Change]:
    pid = new.probe_id
    found: list[Change] = []
    if old.klass is not new.klass:
        found.append(
            Change(pid, ChangeKind.CLASS, old.klass.value, new.klass.value, _class_label(old.klass, new.klass))
        )
    status = status_shown(old), status_shown(new)
    if status[0] != status[1]:
        found.append(Change(pid, ChangeKind.STATUS, *status, _status_label(*status)))
    code = _vendor_code(old), _vendor_code(new)
    if code[0] != code[1]:
        found.append(Change(pid, ChangeKind.VENDOR_CODE, *code, _code_label(*code)))
    host = redirect_host(old), redirect_host(new)
    if host[0] != host[1]:
        surface = probe.tags.surface if probe is not None else None
        found.append(Change(pid, ChangeKind.REDIRECT_HOST, *host, _redirect_label(surface, *host)))
    found += _rate_limit_changes(pid, old, new)
    if (old.quota is None) != (new.quota is None):
        if new.quota is not None:
            found.append(Change(pid, ChangeKind.QUOTA_AVAILABLE, None, _quota(new), "quota became available"))
        else:
            found.append(Change(pid, ChangeKind.QUOTA_UNAVAILABLE, _quota(old), None, "quota is no longer available"))
    return found


# --------------------------------------------------------------------------------------------------
# The compared facts, each reduced to what the report table shows
# --------------------------------------------------------------------------------------------------


def status_shown(outcome: Outcome) -> str | None:
    """The first hop's status, as the report table shows it (a 302 to a login page is the answer); None: no HTTP."""
    return str(outcome.first_status) if outcome.first_status is not None else None


def redirect_host(outcome: Outcome) -> str | None:
    """Where a redirect chain ended (the last hop's host), or None when there was no redirect."""
    # A 3xx before the last hop, not just several hops: a retried 429 also adds a hop, to the same URL.
    if not any(300 <= hop.status < 400 for hop in outcome.hops[:-1]):
        return None
    return urls.host(outcome.hops[-1].url)


def _vendor_code(outcome: Outcome) -> str | None:
    # The message and request id are left out: messages can carry ids and times, and the code is the contract.
    return outcome.vendor_error.code if outcome.vendor_error is not None else None


def _shown(outcome: Outcome) -> str:
    status = status_shown(outcome)
    return f"{status} {outcome.klass.value}" if status is not None else outcome.klass.value


def _quota(outcome: Outcome) -> str:
    # Counters and reset times move between any two sweeps; only the plan name is stable enough to show.
    plan = outcome.quota.plan if outcome.quota is not None else None
    return f"available ({plan})" if plan else "available"


# Retry-After and reset values are countdowns or instants: they differ on every sweep, so only the
# header's presence is compared (the reset name ends in `-reset`, `-reset-requests`, `-reset-tokens` ...).
def _volatile(name: str) -> bool:
    return name == "retry-after" or name.endswith("-reset") or "-reset-" in name


def _rate_limit_facts(outcome: Outcome) -> tuple[tuple[str, str], ...]:
    facts = {
        (name.strip().lower(), "" if _volatile(name.lower()) else " ".join(value.split()))
        for name, value in outcome.rate_limits
    }
    return tuple(sorted(facts))


def _facts_text(facts: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {value}".rstrip() for name, value in facts)


def _rate_limit_changes(pid: str, old: Outcome, new: Outcome) -> list[Change]:
    before, after = _rate_limit_facts(old), _rate_limit_facts(new)
    if before == after:
        return []
    if not before:
        return [Change(pid, ChangeKind.RATE_LIMITS_APPEARED, None, _facts_text(after), "rate-limit headers appeared")]
    if not after:
        return [
            Change(pid, ChangeKind.RATE_LIMITS_DISAPPEARED, _facts_text(before), None, "rate-limit headers disappeared")
        ]
    old_values, new_values = dict(before), dict(after)
    details = [f"+{n}" for n in new_values if n not in old_values]
    details += [f"-{n}" for n in old_values if n not in new_values]
    details += [f"{n} {v} → {new_values[n]}" for n, v in old_values.items() if n in new_values and new_values[n] != v]
    label = "rate-limit headers changed" + (f" ({'; '.join(details)})" if details else "")
    return [Change(pid, ChangeKind.RATE_LIMITS_CHANGED, _facts_text(before), _facts_text(after), label)]


# --------------------------------------------------------------------------------------------------
# Labels: what a change likely means, in plain words
# --------------------------------------------------------------------------------------------------


def _status_label(before: str | None, after: str | None) -> str:
    text = f"{before or 'no HTTP answer'} → {after or 'no HTTP answer'}"
    return f"{text}: {_status_meaning(_int(before), _int(after))}"


def _int(status: str | None) -> int | None:
    return int(status) if status is not None and status.isdigit() else None


def _status_meaning(before: int | None, after: int | None) -> str:
    if after is None:
        return "the endpoint no longer answers over HTTP"
    if before is None:
        return "the endpoint answers over HTTP again"
    if after == 404:
        return "the endpoint is gone"
    if 200 <= after < 300:
        if before == 404:
            return "the endpoint now exists"
        if before in (401, 403):
            return "the credentials are now accepted"
        if 300 <= before < 400:
            return "no longer redirects"
        if before == 429:
            return "no longer rate limited"
        if before >= 500:
            return "the endpoint recovered"
        return "now succeeds"
    if before == 404:
        return "the endpoint now exists"
    if after in (401, 403):
        return "the credentials are now refused"
    if after == 429:
        return "now rate limited or out of quota"
    if 300 <= after < 400:
        return "now redirects"
    if after == 405:
        return "the method is now refused"
    if after >= 500:
        return "the vendor now fails here"
    return "the status changed"


# What the new class means on its own; _class_label refines a few transitions.
CLASS_MEANINGS: dict[OutcomeClass, str] = {
    OutcomeClass.OK: "now succeeds",
    OutcomeClass.NOT_FOUND: "the endpoint is gone",
    OutcomeClass.KEY_REJECTED: "the key is now refused",
    OutcomeClass.CONSOLE_LOGIN_REQUIRED: "now wants a console login session",
    OutcomeClass.REDIRECT_TO_LOGIN: "now redirects to a login page",
    OutcomeClass.AGENT_ONLY: "now answers only coding agents",
    OutcomeClass.QUOTA_EXHAUSTED: "the plan quota is used up",
    OutcomeClass.RATE_LIMITED: "now rate limited",
    OutcomeClass.METHOD_NOT_ALLOWED: "the method is now refused",
    OutcomeClass.CLIENT_ERROR: "now answers with a client error",
    OutcomeClass.SERVER_ERROR: "the vendor now fails here",
    OutcomeClass.UNMODELLED: "the replica has no answer for it (not modelled or not recorded)",
    OutcomeClass.REDIRECT_LOOP: "now loops in redirects",
    OutcomeClass.DNS_ERROR: "the host name no longer resolves",
    OutcomeClass.CONNECT_ERROR: "the host no longer accepts connections",
    OutcomeClass.TLS_ERROR: "the TLS handshake now fails",
    OutcomeClass.TIMEOUT: "the endpoint now times out",
    OutcomeClass.RESET: "the connection is now reset",
    OutcomeClass.PROTOCOL_ERROR: "the answer is no longer valid HTTP",
    OutcomeClass.SKIPPED: "the probe was skipped this time, so nothing was compared",
}

_TO_OK: dict[OutcomeClass, str] = {
    OutcomeClass.KEY_REJECTED: "the key is now accepted",
    OutcomeClass.CONSOLE_LOGIN_REQUIRED: "the session is now accepted",
    OutcomeClass.REDIRECT_TO_LOGIN: "the session is now accepted",
    OutcomeClass.NOT_FOUND: "the endpoint now exists",
    OutcomeClass.QUOTA_EXHAUSTED: "the quota is available again",
    OutcomeClass.RATE_LIMITED: "no longer rate limited",
    OutcomeClass.AGENT_ONLY: "this client is no longer refused",
}


def _class_label(before: OutcomeClass, after: OutcomeClass) -> str:
    # Never skipped or unmodelled on either side: those are not compared (see `compare`).
    if after is OutcomeClass.OK:
        reachable = "the endpoint is reachable again" if before.is_transport else "now succeeds"
        meaning = _TO_OK.get(before, reachable)
    else:
        meaning = CLASS_MEANINGS[after]
    return f"{before.value} → {after.value}: {meaning}"


def _code_label(before: str | None, after: str | None) -> str:
    if before is None:
        return f"the vendor now reports error {after}"
    if after is None:
        return f"the vendor no longer reports error {before}"
    return f"the vendor's error code changed ({before} → {after})"


def _redirect_label(surface: Surface | None, before: str | None, after: str | None) -> str:
    # The console's login host moving (passport -> signin) is the change #612 readers watch for.
    who = f"{surface} now" if surface is Surface.CONSOLE else "now"
    if before is None:
        return f"{who} redirects to {after}"
    if after is None:
        return f"{who} no longer redirects (was to {before})"
    login = "login " if before in LOGIN_HOSTS and after in LOGIN_HOSTS else ""
    return f"{who} redirects to a different {login}host ({before} → {after})"
