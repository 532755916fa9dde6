"""Sweep <-> plain JSON data (the stored report format, `schema_version` 2; version 1 still reads). Pure; no I/O."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prober.errors import ReportError
from prober.model import (
    Auth,
    Body,
    BodyExpect,
    BodyKind,
    Capture,
    CaptureSource,
    Change,
    ChangeKind,
    Comparison,
    Difference,
    Expect,
    HeaderExpect,
    Hop,
    KeyStyle,
    Matcher,
    Outcome,
    OutcomeClass,
    Probe,
    Quota,
    QuotaWindow,
    Shape,
    Sweep,
    Tags,
    Timings,
    VendorError,
)

SCHEMA_VERSION = 2
# Version 2 (issue 15) adds each hop's response headers, what `prober replica --from` serves again; a version-1 report
# has none and is written back as version 1, byte for byte.
READABLE = (1, 2)


def _pairs(pairs: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[k, v] for k, v in pairs]


def _unpairs(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in data)


def dump_probe(p: Probe) -> dict[str, Any]:
    """The probe's entry of a result. The JSON report writes the same text without this dict (prober.report.json
    `encode_result`): a field added here goes there too (tests/test_report_cost.py compares them)."""
    return {
        "id": p.id,
        "description": p.description,
        "method": p.method,
        "url": p.url,
        "headers": _pairs(p.headers),
        "body": {"kind": p.body.kind.value, "text": p.body.text} if p.body else None,
        "auth": p.auth.value,
        "key_style": p.key_style.value if p.key_style else None,
        # An untagged probe is written "" as before (None in the model): reports stay comparable across versions.
        "tags": dump_tags(p.tags),
        "expect": dump_expect(p.expect) if p.expect else None,
        "source": p.source,
        "captures": [{"name": c.name, "source": c.source.value, "arg": c.arg} for c in p.captures],
        "needs": list(p.needs),
    }


def dump_tags(tags: Tags) -> dict[str, Any]:
    found: dict[str, Any] = {"region": tags.region or "", "surface": tags.surface or "", "cost": tags.cost}
    if tags.extra:
        found.update(tags.extra)  # as `**dict(extra)` did: a repeated name keeps its first place, its last value
    return found


def load_probe(d: dict[str, Any]) -> Probe:
    body = d.get("body")
    expect = d.get("expect")
    tags = d["tags"]
    return Probe(
        id=d["id"],
        description=d["description"],
        method=d["method"],
        url=d["url"],
        headers=_unpairs(d.get("headers", [])),
        body=Body(kind=BodyKind(body["kind"]), text=body["text"]) if body else None,
        auth=Auth(d["auth"]),
        key_style=KeyStyle(d["key_style"]) if d.get("key_style") else None,
        tags=Tags(
            region=tags["region"],
            surface=tags["surface"],
            cost=tags["cost"],
            extra=tuple((k, str(v)) for k, v in tags.items() if k not in ("region", "surface", "cost")),
        ),
        expect=_load_expect(expect) if expect else None,
        source=d.get("source", ""),
        captures=tuple(
            Capture(name=c["name"], source=CaptureSource(c["source"]), arg=c["arg"]) for c in d.get("captures", [])
        ),
        needs=tuple(d.get("needs", [])),
    )


def dump_outcome(o: Outcome) -> dict[str, Any]:
    """The outcome's entry of a result; as for `dump_probe`, prober.report.json writes the same text directly."""
    found: dict[str, Any] = {
        "class": o.klass.value,
        "explanation": o.explanation,
        "status": o.status,
        "reason": o.reason,
        "expected": o.expected,
        "unexpected_reason": o.unexpected_reason,
        "hops": [_dump_hop(h) for h in o.hops],
        "final_url": o.final_url,
        "timings": (
            {
                "total_ms": o.timings.total_ms,
                "dns_ms": o.timings.dns_ms,
                "connect_ms": o.timings.connect_ms,
                "first_byte_ms": o.timings.first_byte_ms,
            }
            if o.timings
            else None
        ),
        "remote_addr": o.remote_addr,
        "rate_limits": _pairs(o.rate_limits),
        "diagnostics": _pairs(o.diagnostics),
        "content_type": o.content_type,
        "body_excerpt": o.body_excerpt,
        "body_bytes": o.body_bytes,
        "body_truncated": o.body_truncated,
        "vendor_error": dump_vendor_error(o.vendor_error) if o.vendor_error else None,
        "quota": dump_quota(o.quota) if o.quota else None,
        "error": o.error,
        "captured": list(o.captured),
    }
    if o.checked_headers:  # last, and only when there are any
        found["checked_headers"] = _pairs(o.checked_headers)
    return found


def dump_vendor_error(v: VendorError) -> dict[str, Any]:
    return {"shape": v.shape, "code": v.code, "message": v.message, "request_id": v.request_id}


def dump_quota(q: Quota) -> dict[str, Any]:
    return {"plan": q.plan, "status": q.status, "windows": [_dump_window(w) for w in q.windows]}


def _dump_hop(h: Hop) -> dict[str, Any]:
    found: dict[str, Any] = {
        "method": h.method,
        "url": h.url,
        "status": h.status,
        "reason": h.reason,
        "location": h.location,
        "cookies_sent": list(h.cookies_sent),
        "key_sent": h.key_sent,
        "cookies_set": list(h.cookies_set),
        "retried_after_s": h.retried_after_s,
    }
    # Omitted when empty, so reports without withheld credentials read as before.
    if h.sent:
        found["sent"] = list(h.sent)
    if h.withheld:
        found["withheld"] = list(h.withheld)
    if h.headers:
        found["headers"] = _pairs(h.headers)
    return found


def _dump_window(w: QuotaWindow) -> dict[str, Any]:
    found: dict[str, Any] = {"name": w.name, "used": w.used, "total": w.total, "resets_at": w.resets_at}
    # Written only when set, so reports without them keep their bytes.
    if w.percent is not None:
        found["percent"] = w.percent
    if w.rolling:
        found["rolling"] = True
    return found


def dump_expect(e: Expect) -> dict[str, Any]:
    """`status` and `class` always, as reports before issue 12 wrote them; the newer matchers only when given."""
    found: dict[str, Any] = {"status": list(e.statuses), "class": e.klass.value if e.klass else None}
    if e.vendor_code is not None:
        found["vendor_code"] = e.vendor_code
    if e.headers:
        found["headers"] = [[h.name, h.matcher.value, h.value] for h in e.headers]
    if e.body is not None:
        found["body"] = {"contains": e.body.contains, "regex": e.body.regex, "json": _pairs(e.body.json)}
    return found


def _load_expect(d: dict[str, Any]) -> Expect:
    body = d.get("body")
    return Expect(
        statuses=tuple(int(s) for s in d["status"]),
        klass=OutcomeClass(d["class"]) if d.get("class") else None,
        headers=tuple(HeaderExpect(name, Matcher(matcher), value) for name, matcher, value in d.get("headers", [])),
        body=BodyExpect(contains=body["contains"], regex=body["regex"], json=_unpairs(body["json"])) if body else None,
        vendor_code=d.get("vendor_code"),
    )


def load_outcome(probe_id: str, d: dict[str, Any]) -> Outcome:
    t = d.get("timings")
    v = d.get("vendor_error")
    q = d.get("quota")
    return Outcome(
        probe_id=probe_id,
        klass=OutcomeClass(d["class"]),
        explanation=d["explanation"],
        status=d.get("status"),
        reason=d.get("reason", ""),
        expected=d.get("expected"),
        unexpected_reason=d.get("unexpected_reason"),
        hops=tuple(
            Hop(
                method=h["method"],
                url=h["url"],
                status=h["status"],
                reason=h["reason"],
                location=h.get("location"),
                cookies_sent=tuple(h.get("cookies_sent", [])),
                key_sent=bool(h.get("key_sent")),
                cookies_set=tuple(h.get("cookies_set", [])),
                retried_after_s=h.get("retried_after_s"),
                sent=tuple(str(x) for x in h.get("sent", [])),
                withheld=tuple(str(x) for x in h.get("withheld", [])),
                headers=_unpairs(h.get("headers", [])),
            )
            for h in d.get("hops", [])
        ),
        final_url=d.get("final_url"),
        timings=Timings(**t) if t else None,
        remote_addr=d.get("remote_addr"),
        rate_limits=_unpairs(d.get("rate_limits", [])),
        diagnostics=_unpairs(d.get("diagnostics", [])),
        content_type=d.get("content_type"),
        body_excerpt=d.get("body_excerpt", ""),
        body_bytes=d.get("body_bytes", 0),
        body_truncated=bool(d.get("body_truncated")),
        vendor_error=VendorError(**{**v, "shape": Shape(v["shape"])}) if v else None,
        quota=(
            Quota(plan=q["plan"], status=q["status"], windows=tuple(QuotaWindow(**w) for w in q["windows"]))
            if q
            else None
        ),
        error=d.get("error"),
        captured=tuple(d.get("captured", [])),
        checked_headers=_unpairs(d.get("checked_headers", [])),
    )


def dump_comparison(c: Comparison) -> dict[str, Any]:
    """The comparison as plain JSON data, keys in a fixed order (also what a report embeds for --baseline)."""
    return {
        "old_started_at": c.old_started_at,
        "new_started_at": c.new_started_at,
        "summary": {
            "changes": len(c.changes),
            "changed_probes": len(c.changed_ids),
            "added": len(c.added),
            "removed": len(c.removed),
            "unchanged": c.unchanged_count,
            "not_compared": len(c.not_compared),
        },
        # Issue 14: the environment facts that differ, before the changes they may explain.
        "environment": [
            {"name": d.name, "before": d.before, "after": d.after, "label": d.label} for d in c.environment
        ],
        "added": list(c.added),
        "removed": list(c.removed),
        "changes": [
            {"probe_id": ch.probe_id, "kind": ch.kind.value, "before": ch.before, "after": ch.after, "label": ch.label}
            for ch in c.changes
        ],
        "not_compared": [{"probe_id": probe_id, "why": why} for probe_id, why in c.not_compared],
    }


def load_comparison(d: dict[str, Any]) -> Comparison:
    return Comparison(
        old_started_at=d["old_started_at"],
        new_started_at=d["new_started_at"],
        changes=tuple(
            Change(
                probe_id=c["probe_id"],
                kind=ChangeKind(c["kind"]),
                before=c["before"],
                after=c["after"],
                label=c["label"],
            )
            for c in d["changes"]
        ),
        added=tuple(d["added"]),
        removed=tuple(d["removed"]),
        unchanged_count=int(d["summary"]["unchanged"]),
        # Neither is in a report written before issue 14.
        environment=tuple(
            Difference(name=e["name"], before=e["before"], after=e["after"], label=e["label"])
            for e in d.get("environment", [])
        ),
        not_compared=tuple((n["probe_id"], n["why"]) for n in d.get("not_compared", [])),
    )


def dump_head(sweep: Sweep) -> dict[str, Any]:
    """Every top-level field of the report except `results`, in the report's key order."""
    counts = Counter(o.klass for o in sweep.outcomes)  # by member: `.value` is slow on 3.11, read once per class
    return {
        "schema_version": sweep.schema_version,
        "started_at": sweep.started_at,
        "finished_at": sweep.finished_at,
        "complete": sweep.complete,
        "environment": dict(sweep.environment),
        "summary": {k.value: counts[k] for k in OutcomeClass if k in counts},
        "baseline": dump_comparison(sweep.baseline) if sweep.baseline is not None else None,
        # Since layout 2 (issue 13): the layout, and the findings as plain sentences for readers of the JSON; both
        # are left out for a report of layout 1, which then reads back as it was written.
        **({"layout": sweep.layout, "findings": dump_findings(sweep)} if sweep.layout >= 2 else {}),
    }


def dump_findings(sweep: Sweep) -> list[dict[str, Any]]:
    """What the sweep shows, in plain words (prober.findings); derived from the results, so never read back."""
    from prober.report.found import findings_of  # worked out once for all the reports of a run

    return [
        {"rule": f.rule, "text": f.sentence, "fix": f.remedy or None, "evidence": list(f.evidence)}
        for f in findings_of(sweep)
    ]


def dump_results(sweep: Sweep) -> Iterator[dict[str, Any]]:
    """The `results` entries one at a time, so a large report never has to exist as one structure."""
    for p, o in zip(sweep.probes, sweep.outcomes, strict=True):
        yield dump_result(p, o)


def dump_result(p: Probe, o: Outcome) -> dict[str, Any]:
    """One entry of `results`: a probe and its outcome."""
    return {"probe": dump_probe(p), "outcome": dump_outcome(o)}


def dump(sweep: Sweep) -> dict[str, Any]:
    return {**dump_head(sweep), "results": list(dump_results(sweep))}


def load(data: Any, name: str = "report") -> Sweep:
    """Rebuild a Sweep from report data; a report of another schema or shape is a ReportError."""
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ReportError(f"{name} is not a prober JSON report (no schema_version)", "pass a .json report")
    version = data["schema_version"]
    if type(version) is not int or version not in READABLE:
        shown = repr(version) if type(version) is int else _a(version)
        raise ReportError(
            f"{name} has schema_version {shown}; this prober reads versions {' and '.join(map(str, READABLE))}",
            "re-run the sweep with this version, or use the prober version that wrote the report",
        )
    try:
        results = data["results"]
        probes = tuple(load_probe(r["probe"]) for r in results)
        outcomes = tuple(load_outcome(p.id, r["outcome"]) for p, r in zip(probes, results, strict=True))
        sweep = Sweep(
            environment=tuple((str(k), str(v)) for k, v in data["environment"].items()),
            probes=probes,
            outcomes=outcomes,
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            complete=bool(data.get("complete", True)),
            baseline=load_comparison(data["baseline"]) if data.get("baseline") else None,
            layout=data.get("layout", 1),  # a report without one was written before layouts were recorded
            schema_version=version,
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise ReportError(
            f"{name}: not a prober report ({reason if len(reason) <= 120 else reason[:117] + '...'})",
            "pass an unmodified .json report",
        ) from None
    # Renderers and diff trust the model's types: a string where a status belongs must fail here, as bad input.
    misfit = _misfit(sweep, Sweep, "")
    for key in ("started_at", "finished_at"):  # the JUnit renderer subtracts them: both must carry a zone
        if misfit is None and not _zoned(getattr(sweep, key)):
            misfit = f"{key} is not an ISO 8601 time with a zone, like 2026-11-29T08:00:00Z"
    if misfit is not None:
        raise ReportError(f"{name}: not a prober report ({misfit})", "pass an unmodified .json report")
    return sweep


def _zoned(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


# --- checking loaded data against the model's annotations ---------------------------------------------------

_JSON_KEYS = {"klass": "class", "statuses": "status"}  # model field -> the report's key, where they differ
_IN_RESULTS = re.compile(r"^(probes|outcomes)\[(\d+)\]")


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass's fields and their resolved annotations (the model writes them as strings)."""
    if cls not in _FIELDS:
        hints = typing.get_type_hints(cls)
        _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return _FIELDS[cls]


def _a(value: Any) -> str:
    """What a JSON value is, in words (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _named(hint: Any) -> str:
    """What a model annotation asks for, in the words of `_a`."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return " or ".join(_named(option) for option in typing.get_args(hint))
    if typing.get_origin(hint) in (tuple, frozenset):
        return "a list"
    words = {type(None): "null", bool: "true or false", int: "an integer", float: "a number", str: "text"}
    return words.get(hint, "an object" if dataclasses.is_dataclass(hint) else getattr(hint, "__name__", str(hint)))


def _misfit(value: Any, hint: Any, where: str) -> str | None:
    """Where and how `value` does not fit the model annotation `hint`; None when it fits.

    Annotations it does not know are trusted, so a field added to the model never makes a report unreadable.
    """
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        others = [option for option in options if option is not type(None)]
        if len(others) == 1:  # X | None: say what inside X is wrong
            return _misfit(value, others[0], where)
        if any(_misfit(value, option, where) is None for option in others):
            return None
        return _wrong(value, hint, where)
    if origin in (tuple, frozenset):
        if not isinstance(value, origin):
            return _wrong(value, hint, where)
        args = typing.get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                return f"{_where(where)} has {len(value)} items, not {len(args)}"
            pairs = zip(value, args, strict=True)
        else:
            pairs = zip(value, args[:1] * len(value), strict=True)
        for index, (item, item_hint) in enumerate(pairs):
            found = _misfit(item, item_hint, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if type(value) is not hint:
            return _wrong(value, hint, where)
        for field, field_hint in _fields(hint):
            key = _JSON_KEYS.get(field, field)
            found = _misfit(getattr(value, field), field_hint, f"{where}.{key}" if where else key)
            if found is not None:
                return found
        return None
    if hint is float:
        fits = type(value) in (int, float)
    elif hint is int:
        fits = type(value) is int
    elif hint is type(None) or hint is None:
        fits = value is None
    elif isinstance(hint, type) and origin is None:
        fits = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
    else:
        return None
    return None if fits else _wrong(value, hint, where)


def _where(where: str) -> str:
    return _IN_RESULTS.sub(lambda m: f"results[{m.group(2)}].{m.group(1)[:-1]}", where) or "the report"


def _wrong(value: Any, hint: Any, where: str) -> str:
    return f"{_where(where)} is {_a(value)}, not {_named(hint)}"
