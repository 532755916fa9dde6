"""Pure: mark each outcome as expected or unexpected against its probe's `expect:`, saying which matcher failed
and what was there (server text as the outcome keeps it: scrubbed, inert, capped)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from prober import inert
from prober.model import BodyExpect, Expect, HeaderExpect, Matcher, Outcome, OutcomeClass, Pairs, Probe

# Response headers whose values are credentials: only their presence is kept for an expectation (the catalogue
# refuses a value matcher on them), so a fresh session cookie never reaches an outcome (prober/catalogue/expect.py).
SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2", "authorization", "proxy-authorization", "cookie"})
_SHOWN = 120  # characters of an unmet value quoted in the reason; the report holds the rest


def check(probe: Probe, outcome: Outcome) -> Outcome:
    """Skipped probes, unmodelled ones (the replica had no answer: no evidence either way, issue 15) and probes
    without `expect:` are neither expected nor unexpected (None)."""
    expect = probe.expect
    if expect is None or outcome.klass in (OutcomeClass.SKIPPED, OutcomeClass.UNMODELLED):
        return outcome
    reasons: list[str] = []
    if expect.statuses:
        status = outcome.first_status
        if status not in expect.statuses:
            wanted = " or ".join(str(s) for s in expect.statuses)
            reasons.append(f"expected status {wanted}, got {status if status is not None else outcome.klass.value}")
    if expect.klass is not None and outcome.klass is not expect.klass:
        reasons.append(f"expected class {expect.klass.value}, got {outcome.klass.value}")
    reasons += _answer_reasons(expect, outcome)
    return replace(outcome, expected=not reasons, unexpected_reason="; ".join(reasons) or None)


def named_headers(expect: Expect | None, headers: Iterable[tuple[str, str]]) -> Pairs:
    """The answer's headers that `expect.headers` names, in received order, names lower-cased; a credential
    header's value is left out (only its presence can be expected). prober/probe.py keeps these on the Outcome,
    scrubbed like all server text, so the header matchers below see what the report would show."""
    if expect is None or not expect.headers:
        return ()
    wanted = {h.name.lower() for h in expect.headers}
    picked = ((name.lower(), value) for name, value in headers)
    return tuple((name, "" if name in SECRET_HEADERS else value) for name, value in picked if name in wanted)


def _answer_reasons(expect: Expect, outcome: Outcome) -> list[str]:
    """What the answer's vendor code, headers and body fail of `expect`; nothing to check without an answer (the
    status or class expectation says why)."""
    if outcome.status is None:
        return [] if (expect.statuses or expect.klass) else [f"expected an answer, got {outcome.klass.value}"]
    reasons: list[str] = []
    if expect.vendor_code is not None:
        code = outcome.vendor_error.code if outcome.vendor_error else None
        if code != expect.vendor_code:
            reasons.append(f"expected vendor code {expect.vendor_code}, got {code or 'none'}")
    reasons += [r for h in expect.headers if (r := header_reason(h, outcome.checked_headers))]
    if expect.body is not None:
        reasons += body_reasons(expect.body, outcome.body_excerpt)
    return reasons


def _shown(text: str) -> str:
    """Server text, already scrubbed when it entered the outcome, quoted for a reason: one line, capped."""
    return repr(inert.line(text, _SHOWN))


def header_reason(expected: HeaderExpect, kept: Pairs) -> str | None:
    """Why the kept headers fail one header expectation, naming the matcher and what was there; None when met."""
    name = expected.name.lower()
    values = [value for key, value in kept if key == name]
    got = " | ".join(_shown(v) for v in values) if values else "none"
    matcher = expected.matcher
    if matcher is Matcher.ABSENT:
        met = not values
        wanted = "absent"
        got = f"present ({got})" if name not in SECRET_HEADERS else "present"
    elif matcher is Matcher.PRESENT:
        met, wanted = bool(values), "present"
    elif matcher is Matcher.REGEX:
        met = any(re.search(expected.value, v) for v in values)
        wanted = f"matching /{expected.value}/"
    else:
        met, wanted = expected.value in values, f"= {expected.value!r}"
    return None if met else f"expected header {expected.name} {wanted}, got {got}"


def body_reasons(expected: BodyExpect, excerpt: str) -> list[str]:
    """Each body matcher the excerpt fails. The excerpt is what the report keeps: scrubbed of every secret and cut
    at 2,000 characters, so a matcher cannot find a secret, and a long body is matched by its beginning."""
    reasons: list[str] = []
    if expected.contains is not None and expected.contains not in excerpt:
        reasons.append(f"expected body to contain {expected.contains!r}, got {_shown(excerpt) if excerpt else 'none'}")
    if expected.regex is not None and not re.search(expected.regex, excerpt):
        reasons.append(f"expected body matching /{expected.regex}/, got {_shown(excerpt) if excerpt else 'none'}")
    if expected.json:
        try:
            document = json.loads(excerpt)
        except ValueError:
            return [
                *reasons,
                f"expected a JSON body for json {expected.json[0][0]}, got {_shown(excerpt) if excerpt else 'none'}",
            ]
        for path, wanted in expected.json:
            found = _at(document, path)
            if found is _MISSING:
                reasons.append(f"expected body json {path} = {wanted}, got nothing at {path}")
            elif found != json.loads(wanted):
                got = json.dumps(found, ensure_ascii=False, separators=(",", ":"))
                reasons.append(f"expected body json {path} = {wanted}, got {_shown(got)}")
    return reasons


_MISSING = object()


def _at(document: Any, path: str) -> Any:
    """The value at a dotted path (`data.items.0.code`: keys, and list indexes as numbers), or _MISSING."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


class FailOn(StrEnum):
    """What makes a run (or a diff) exit 1 for CI; prober/verdict.py applies it."""

    CHANGED = "changed"  # an unexpected outcome, or any change since the baseline
    UNEXPECTED = "unexpected"  # an outcome outside its probe's `expect:`
    NONE = "none"  # never: exit 0 whenever the sweep completed
