"""The JUnit XML report: one testsuite, one testcase per probe; it tells the exit code's story (prober/verdict.py):
unexpected outcomes (and, with --fail-on changed, changes) fail with their evidence, unreachable probes are errors."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime

from prober import inert, verdict
from prober.expectations import FailOn
from prober.model import Outcome, OutcomeClass, Probe, Sweep

# Enough of the body to recognise the vendor's answer in a CI log without flooding it.
BODY_LIMIT = 500

# XML 1.0 §2.2 forbids most C0 controls (and lone surrogates, U+FFFE/U+FFFF) even as character
# references, and ElementTree writes them unchecked. Outside text is made inert first (every control shown
# escaped, as on a terminal, since CI logs are read on one); this catches what inert text may still hold.
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")  # xs:dateTime
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _not_xml(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _xml_text(text: str) -> str:
    """Element text: newlines and tabs kept, every other control character shown escaped."""
    return _NOT_XML.sub(_not_xml, inert.block(text, sys.maxsize))


def _xml_attr(text: str) -> str:
    """An attribute value: one line, every control character (newlines included) shown escaped."""
    return _NOT_XML.sub(_not_xml, inert.line(text, sys.maxsize))


def _seconds(outcome: Outcome) -> str:
    return f"{outcome.timings.total_ms / 1000:.3f}" if outcome.timings is not None else "0.000"


def _timestamp(sweep: Sweep) -> dict[str, str]:
    """The suite's `timestamp` when the sweep's start is a date and time (a report read back may hold anything)."""
    if _DATETIME.fullmatch(sweep.started_at) is None:
        return {}
    try:
        datetime.fromisoformat(sweep.started_at)
    except ValueError:
        return {}
    return {"timestamp": sweep.started_at}


def _elapsed(sweep: Sweep) -> str:
    try:
        delta = datetime.fromisoformat(sweep.finished_at) - datetime.fromisoformat(sweep.started_at)
    except ValueError:
        return "0.000"
    return f"{max(delta.total_seconds(), 0.0):.3f}"


def evidence(outcome: Outcome) -> str:
    """The redacted evidence a CI log shows for a failing probe: what was expected, status, hops, error, body."""
    lines: list[str] = []
    if outcome.unexpected_reason:
        lines.append(f"unexpected: {outcome.unexpected_reason}")
    if outcome.status is not None:
        lines.append(f"status: {outcome.status} {outcome.reason}".rstrip())
    for n, hop in enumerate(outcome.hops, start=1):
        where = f" (Location: {hop.location})" if hop.location else ""
        lines.append(f"hop {n}: {hop.method} {hop.url} -> {hop.status} {hop.reason}".rstrip() + where)
    if outcome.error:
        lines.append(f"error: {outcome.error}")
    if outcome.vendor_error is not None:
        v = outcome.vendor_error
        lines.append(f"vendor error ({v.shape}): {v.code or '(no code)'} {v.message or ''}".rstrip())
    if outcome.body_excerpt:
        cut = len(outcome.body_excerpt) > BODY_LIMIT or outcome.body_truncated
        lines.append(f"body ({outcome.body_bytes} bytes{', truncated' if cut else ''}):")
    # One line per fact: a newline inside a server string cannot forge another line of evidence.
    lines = [inert.line(line, sys.maxsize) for line in lines]
    if outcome.body_excerpt:
        lines.append(outcome.body_excerpt[:BODY_LIMIT])
    return _xml_text("\n".join(lines))


def _changed(case: ET.Element, labels: list[str]) -> str:
    """A change since the baseline as a failure: the labels in the message, one per line in the text."""
    attrs = {"message": _xml_attr("changed since the baseline: " + "; ".join(labels)), "type": "changed"}
    text = "\n".join(inert.line(label, sys.maxsize) for label in labels)
    ET.SubElement(case, "failure", attrs).text = _xml_text(text)
    return "failure"


def _testcase(parent: ET.Element, probe: Probe, outcome: Outcome, changed: dict[str, list[str]]) -> str | None:
    """Add one testcase; return its verdict (`skipped`, `failure`, `error`) or None when it passed. The same rules as
    the exit code (prober/verdict.py): unreachable is an error, drift a failure, changes too with --fail-on changed."""
    case = ET.SubElement(
        parent,
        "testcase",
        {
            "classname": _xml_attr(f"prober.{probe.tags.region or ''}.{probe.tags.surface or ''}"),
            "name": _xml_attr(probe.id),
            "time": _seconds(outcome),
        },
    )
    message = _xml_attr(f"{outcome.klass.value}: {outcome.explanation}")
    # Unmodelled: the replica had no answer (issue 15), so there was nothing to check, as for a skipped probe.
    if outcome.klass in (OutcomeClass.SKIPPED, OutcomeClass.UNMODELLED):
        ET.SubElement(case, "skipped", {"message": _xml_attr(outcome.explanation)})
        return "skipped"
    # No HTTP answer that expect: allowed: the check itself could not run (an outage, not drift).
    if verdict.unreachable(outcome):
        ET.SubElement(case, "error", {"message": message, "type": outcome.klass.value}).text = evidence(outcome)
        return "error"
    if outcome.expected is False:
        ET.SubElement(case, "failure", {"message": message, "type": outcome.klass.value}).text = evidence(outcome)
        return "failure"
    if probe.id in changed:
        return _changed(case, changed[probe.id])
    return None


def _removed(parent: ET.Element, probe_id: str, labels: list[str]) -> str:
    """A probe of the baseline that the sweep no longer has: a failing change with --fail-on changed."""
    case = ET.SubElement(parent, "testcase", {"classname": "prober.removed", "name": _xml_attr(probe_id), "time": "0"})
    return _changed(case, labels)


def render(sweep: Sweep, fail_on: FailOn = FailOn.UNEXPECTED) -> str:
    """The sweep as JUnit XML; `fail_on` as for the run (with `changed`, a change since the baseline is a failure)."""
    judged = verdict.judge(sweep, fail_on)
    suite = ET.Element("testsuite", {"name": "prober"})
    properties = ET.SubElement(suite, "properties")
    for name, value in sweep.environment:
        ET.SubElement(properties, "property", {"name": _xml_attr(name), "value": _xml_attr(value)})
    # The changes that fail the run: the verdict's (answered now, or removed), only with --fail-on changed.
    changed: dict[str, list[str]] = {}
    if judged.changes_fail and sweep.baseline is not None:
        failing = {probe_id for probe_id, _ in judged.changed}
        for c in sweep.baseline.changes:
            if c.probe_id in failing:
                changed.setdefault(c.probe_id, []).append(c.label)
    verdicts = [_testcase(suite, p, o, changed) for p, o in zip(sweep.probes, sweep.outcomes, strict=True)]
    if sweep.baseline is not None:
        verdicts += [_removed(suite, i, changed[i]) for i in sweep.baseline.removed if i in changed]
    suite.attrib.update(
        {
            "tests": str(len(verdicts)),
            "failures": str(verdicts.count("failure")),
            "errors": str(verdicts.count("error")),
            "skipped": str(verdicts.count("skipped")),
            "time": _elapsed(sweep),
            **_timestamp(sweep),
        }
    )
    ET.indent(suite)
    document: bytes = ET.tostring(suite, encoding="UTF-8", xml_declaration=True)
    return document.decode("utf-8") + "\n"
