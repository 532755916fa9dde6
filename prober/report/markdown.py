"""The Markdown report: findings, environment, the `| Endpoint | Result |` ticket table, then one section per probe.

A report keeps the layout it was written with (`Sweep.layout`): layout 1, before issue 13, has no findings and the
bare curl command; `prober render` of such a report reproduces its `.md` byte for byte.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import pairwise
from urllib.parse import urlsplit

from prober import findings as findings_mod
from prober import inert, ratelimit, urls
from prober import quota as quota_mod
from prober.model import (
    TRANSPORT,
    Auth,
    Cost,
    Hop,
    KeyStyle,
    Outcome,
    OutcomeClass,
    Probe,
    QuotaWindow,
    Region,
    Shape,
    Surface,
    Sweep,
    Timings,
)
from prober.report import changes, curl
from prober.report.found import findings_of
from prober.report.text import CACHE_SIZE, CACHE_TEXT, prose_once
from prober.report.text import cell as _cell
from prober.report.text import code as _code
from prober.report.text import fence as _fence
from prober.report.text import line as _line
from prober.report.text import prose as _prose
from prober.report.text import words as _words
from prober.words import plural

# Classes a bare status already says; any other class is named in the table when the vendor gave no code.
_SELF_EVIDENT = frozenset({OutcomeClass.OK, OutcomeClass.NOT_FOUND, OutcomeClass.REDIRECT_TO_LOGIN})

# The members every row of the results table is compared with, looked up once: an attribute of an enum class is a
# slow lookup in Python 3.11 (its metaclass has a `__getattr__`).
_KEY = Auth.KEY
_SKIPPED, _REDIRECT_LOOP, _UNMODELLED = OutcomeClass.SKIPPED, OutcomeClass.REDIRECT_LOOP, OutcomeClass.UNMODELLED


# A URL whose host and path can be read without urlsplit: a lower-case host name (no user, port, IPv6 brackets
# or % zone, which urlsplit's `hostname` would take apart or lower-case), then the path up to the query, with none
# of the tab, CR and LF that urlsplit removes (in the query or the fragment, their removal changes neither).
_PLAIN_URL = re.compile(r"https?://([a-z0-9.-]+)(/[^?#\t\r\n]*)?(?=[?#]|\Z)")


def host_path(url: str) -> str:
    """The host and path (`/` when it has none) as urlsplit reads them. A URL that begins with the scheme has none
    of the leading controls urlsplit strips, so one whose host is plain is read by one match (a URL is distinct
    per probe: urlsplit's own cache never helps); tests/test_report_cost.py checks it is the same."""
    match = _PLAIN_URL.match(url)
    if match is not None:
        return f"{match[1]}{match[2] or '/'}"
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path or '/'}"


def _shown(probe: Probe) -> str:
    """What the table shows of a request: method (unless GET), host and path; the query is left out."""
    text = host_path(probe.url)
    return text if probe.method == "GET" else f"{probe.method} {text}"


def shown_ids(probes: Sequence[Probe]) -> list[str]:
    """Each probe's id as the report shows it (`prose`), worked out once for the results table and the sections:
    an id is text a report meets once, so it would only pass through `prose`'s caches."""
    return [prose_once(p.id) for p in probes]


def endpoints(probes: Sequence[Probe], ids: Sequence[str] | None = None) -> list[str]:
    """The Endpoint cell of each probe. Where several would read the same, the key style tells them apart
    (the same call with the key in each header), else the probe id does (`ids`: `shown_ids(probes)`, if known)."""
    shown = [_shown(p) for p in probes]
    count = Counter(shown)
    styled = Counter(
        (text, p.key_style) for text, p in zip(shown, probes, strict=True) if p.auth is _KEY and p.key_style
    )
    cells = []
    for n, (text, p) in enumerate(zip(shown, probes, strict=True)):
        cell = _code(text)
        if count[text] > 1:
            by_style = p.auth is _KEY and p.key_style is not None and styled[(text, p.key_style)] == 1
            if by_style and p.key_style is not None:
                cell += f" ({p.key_style.value})"
            else:
                cell += f" ({_prose(p.id) if ids is None else ids[n]})"
        cells.append(_cell(cell))
    return cells


# A piece of a result cell: our own words (raw), an outside value (a code span) or outside prose.
_OURS, _VALUE, _PROSE = "ours", "value", "prose"
_Part = tuple[str, str]
# Redirect steps the cell shows before it elides the middle of a long chain (each outside piece is capped too).
_MAX_STEPS = 8


def _result_parts(outcome: Outcome) -> list[_Part]:
    """The short result, as in the CodexBar #612 ticket table (`404`, `302 → passport.alibabacloud.com`), in
    pieces that say which text came from outside, so each output can render it safely."""
    parts: list[_Part] = []
    if outcome.klass is _SKIPPED:
        parts += [("skipped: ", _OURS), _outside(outcome.explanation, _PROSE)]
    elif outcome.klass in TRANSPORT:  # `klass.is_transport`, without the property's call
        parts.append((outcome.klass.value, _OURS))
    else:
        hops = outcome.hops
        parts.append((str(hops[0].status if hops else outcome.status), _OURS))  # `outcome.first_status`
        if len(hops) > 1:  # most answers have one hop, so no redirect steps
            parts += _steps(hops)
        if outcome.klass is _REDIRECT_LOOP:
            parts.append((" (redirect loop)", _OURS))
        if outcome.klass is _UNMODELLED:  # the replica's gap (issue 15), never a vendor answer
            parts.append((" (replica: not modelled)", _OURS))
        elif outcome.vendor_error and outcome.vendor_error.code and outcome.vendor_error.shape != Shape.HTML_LOGIN:
            parts += [(" ", _OURS), _outside(outcome.vendor_error.code, _VALUE)]
        elif outcome.klass not in _SELF_EVIDENT:
            parts.append((f" ({outcome.klass.value})", _OURS))
        limits = ratelimit.summary(outcome.rate_limits) if outcome.rate_limits else None
        if limits:
            parts += [(" · ", _OURS), _outside(limits, _VALUE)]
        if outcome.quota:
            parts += [(" · quota ", _OURS), _outside(quota_mod.summary(outcome.quota), _VALUE)]
    if outcome.expected is False:
        parts += [(" ⚠ unexpected (", _OURS), _outside(outcome.unexpected_reason or "", _PROSE), (")", _OURS)]
    return parts


def _outside(text: str, kind: str) -> _Part:
    """A piece of outside text, capped: however long the outside text, the cell stays bounded (each piece is
    capped, the hop count is bounded)."""
    return inert.cap(text, inert.LINE_CAP), kind


def _steps(hops: Sequence[Hop]) -> list[_Part]:
    """The redirect steps after the first status: ` → host` for each hop (with its status when the last is not a
    200), or `, retried after 2 s: 200` for a hop that retried; the middle of a long chain is elided."""
    steps: list[list[_Part]] = []
    for previous, hop in pairwise(hops):
        if previous.retried_after_s is not None:
            steps.append([(f", retried after {previous.retried_after_s:g} s: {hop.status}", _OURS)])
        else:
            step = [(" → ", _OURS), _outside(urls.host(hop.url) or "", _VALUE)]
            if hop is hops[-1] and hop.status != 200:
                step.append((f" {hop.status}", _OURS))
            steps.append(step)
    if len(steps) > _MAX_STEPS:
        hidden = len(steps) - _MAX_STEPS + 1
        steps = [
            *steps[: _MAX_STEPS // 2],
            [(f" → … ({hidden} more hops)", _OURS)],
            *steps[-(_MAX_STEPS // 2) + 1 :],
        ]
    return [part for step in steps for part in step]


_RENDERED = {_VALUE: _code, _PROSE: _prose}  # our own words are written as they are


def result(outcome: Outcome) -> str:
    """The result cell of the Markdown table: outside values in code spans, outside sentences as `prose`."""
    return _cell("".join([text if kind == _OURS else _RENDERED[kind](text) for text, kind in _result_parts(outcome)]))


def result_text(outcome: Outcome) -> str:
    """The same result as one line of plain text for the terminal, with no Markdown escapes to undo."""
    return _line("".join([text for text, _ in _result_parts(outcome)]), 4 * inert.LINE_CAP)


def _environment(sweep: Sweep) -> list[str]:
    lines = ["## Environment", "", "| | |", "|---|---|"]
    lines += [f"| {_cell(_prose(k))} | {_cell(_prose(v))} |" for k, v in sweep.environment]
    lines += [f"| Started (UTC) | {_cell(_prose(sweep.started_at))} |"]
    lines += [f"| Finished (UTC) | {_cell(_prose(sweep.finished_at))} |"]
    return lines


# Probe ids a finding's evidence line names before "and N more"; the full list is in the JSON report.
EVIDENCE_SHOWN = 6


def evidence(ids: Sequence[str], shown: int = EVIDENCE_SHOWN) -> str:
    """`a`, `b` and 4 more: probe ids as code spans."""
    cells = [_code(inert.cap(i, 2 * inert.NAME_CAP)) for i in ids[:shown]]
    rest = len(ids) - len(cells)
    if rest > 0:
        return ", ".join(cells) + f" and {rest:,} more"
    return ", ".join(cells[:-1]) + " and " + cells[-1] if len(cells) > 1 else "".join(cells)


def finding_lines(found: Sequence[findings_mod.Finding]) -> list[str]:
    """Each finding as a list item, with its evidence and its fix as sub-items."""
    if not found:
        return ["Nothing to note: no rule of prober's findings matched this sweep."]
    lines = []
    for f in found:
        lines.append(f"- {_words(f.text)}")
        if f.evidence:
            lines.append(f"  - Evidence: {evidence(f.evidence)}")
        if f.fix:
            lines.append(f"  - Fix: {_words(f.fix)}")
    return lines


def _findings(sweep: Sweep) -> list[str]:
    return ["## Findings", "", *finding_lines(findings_of(sweep)), ""]


def count_line(sweep: Sweep) -> str:
    """`79 probes: 18 ok, 14 not_found, ... Expectations: 29 met, 0 unexpected.` (layout 2: `1 probe`)."""
    counts = Counter(o.klass for o in sweep.outcomes)
    unexpected = sum(1 for o in sweep.outcomes if o.expected is False)
    expected = sum(1 for o in sweep.outcomes if o.expected is True)
    probes = plural(len(sweep.outcomes), "probe") if sweep.layout >= 2 else f"{len(sweep.outcomes)} probes"
    return (
        f"{probes}: "
        + ", ".join(f"{counts[k]} {k.value}" for k in OutcomeClass if counts[k])
        + f". Expectations: {expected} met, {unexpected} unexpected."
    )


def _summary(sweep: Sweep) -> list[str]:
    lines = ["## Summary", ""]
    lines.append(count_line(sweep))
    if not sweep.complete:
        lines += ["", "**Incomplete:** the sweep was interrupted; probes that did not finish are missing."]
    return lines


def _table(sweep: Sweep, ids: Sequence[str] | None) -> list[str]:
    lines = ["## Results", "", "| Endpoint | Result |", "|---|---|"]
    cells = endpoints(sweep.probes, ids)
    lines += [f"| {cell} | {result(o)} |" for cell, o in zip(cells, sweep.outcomes, strict=True)]
    return lines


def section(
    probe: Probe,
    outcome: Outcome,
    how: curl.Reach | None = None,
    body_limit: int | None = None,
    brief: bool = False,
    shown_id: str | None = None,
) -> list[str]:
    """One probe's section. `how`: the run's reach, for the reproducer of layout 2 (None: layout 1's bare command);
    `body_limit`: cap the body excerpt; `brief` (the ticket's details): no heading, description, source, content
    type, remote address, timings or final URL (the hops show it); `shown_id`: the probe's from `shown_ids`."""
    tags = probe.tags
    credentials = _auth_and_tags(probe.auth, probe.key_style, tags.region, tags.surface, tags.cost)
    if not brief:
        heading = _prose(probe.id) if shown_id is None else shown_id
        lines = [f"### {heading}", "", _prose(probe.description, start=True), ""]
    else:
        lines = []
    asked = _code(f"{probe.method} {probe.url}")  # most often the first hop's request too
    # Brief: the URL is in the first hop and the reproducer.
    request = "" if brief and outcome.hops else f"{asked} · "
    lines.append(f"- Request: {request}{credentials}")
    if not brief:
        lines.append(f"- Source: {_prose(probe.source)}")
    explanation = outcome.explanation
    lines.append(
        _class_line(outcome.klass, explanation)
        if len(explanation) <= CACHE_TEXT
        else _class_line_work(outcome.klass, explanation)
    )
    if outcome.expected is not None:
        reason = _prose(outcome.unexpected_reason or "")
        lines.append(f"- Expected: {'yes' if outcome.expected else f'no, {reason}'}")
    if outcome.error:
        lines.append(f"- Error: {_code(outcome.error)}")
    if outcome.vendor_error:
        v = outcome.vendor_error
        text = f"- Vendor error ({_prose(v.shape)}): {_code(v.code) if v.code else '(no code)'}"
        if v.message:
            text += f", message {_code(v.message)}"
        lines.append(text)
    if outcome.quota:
        q = outcome.quota
        plan = _code(q.plan) if q.plan else "?"
        status = _code(q.status) if q.status else "?"
        lines.append(f"- Quota: plan {plan}, status {status}")
        lines += [f"  - {_code(w.name)}: {_window(w)}" for w in q.windows]
    if outcome.final_url and not brief:
        lines.append(f"- Final URL: {_code(outcome.final_url)}")
    if outcome.content_type and not brief:
        lines.append(f"- Content type: {_code(outcome.content_type)}")
    if outcome.remote_addr and not brief:
        lines.append(f"- Remote address: {_code(outcome.remote_addr)}")
    if outcome.timings and not brief:
        lines.append(_time(outcome.timings))
    if outcome.hops:
        lines += [
            "",
            "| # | Request | Status | Location | Cookies sent | Key sent |",
            "|---|---|---|---|---|---|",
        ]
        notes = []  # what else carried credentials, and what a hop to another origin (or to http) did not get
        asked_cell = _cell(asked)  # the first hop's request, most often
        for n, h in enumerate(outcome.hops, start=1):
            cookies = _cell(", ".join([_code(name) for name in h.cookies_sent])) if h.cookies_sent else "none"
            status = _status(h.status, h.reason) if len(h.reason) <= CACHE_TEXT else _status_work(h.status, h.reason)
            if h.retried_after_s is not None:  # our words and a number: nothing for `_cell` to escape
                status += f" (retried after {h.retried_after_s:g} s)"
            same = h.method == probe.method and h.url == probe.url
            hop_request = asked_cell if same else _cell(_code(f"{h.method} {h.url}"))
            lines.append(
                f"| {n} | {hop_request} | {status} "
                f"| {_cell(_code(h.location)) if h.location else ''} | {cookies} "
                f"| {'yes' if h.key_sent else 'no'} |"
            )
            if h.sent:
                notes.append(f"- Hop {n}: sent {', '.join([_code(name) for name in h.sent])}")
            if h.withheld:
                names = ", ".join([_code(name) for name in h.withheld])
                notes.append(f"- Hop {n}: withheld (another origin or not https) {names}")
        if notes:
            lines.append("")
            lines += notes
    if outcome.rate_limits or outcome.diagnostics:
        lines += ["", "Headers:", ""]
        lines += [f"- {_code(f'{k}: {v}')}" for k, v in outcome.rate_limits + outcome.diagnostics]
    elif outcome.status is not None:
        lines += ["", "Headers: no rate-limit or vendor diagnostic headers."]
    if outcome.body_excerpt:
        excerpt = outcome.body_excerpt
        cut = body_limit is not None and len(excerpt) > body_limit
        if cut:
            excerpt = inert.cap(excerpt, body_limit or 0)
        size = f"{outcome.body_bytes} bytes" + (", truncated" if outcome.body_truncated or cut else "")
        lines += ["", f"Body excerpt ({size}):", ""]
        lines += _fence(excerpt)
    lines += ["", "Reproduce:", ""]
    lines += _fence(curl.command(probe) if how is None else curl.reproducer(probe, outcome, how), "sh")
    return lines


# Lines and cells of a section made of text a sweep repeats in every section (the class and its explanation, the
# credentials and tags, a hop's status): each is worked out once, in caches bounded as prober.report.text's.


@functools.lru_cache(maxsize=CACHE_SIZE)
def _auth_and_tags(
    auth: Auth, key_style: KeyStyle | None, region: Region | None, surface: Surface | None, cost: Cost
) -> str:
    """`auth key (bearer) · tags intl, api, free`: words of the model's vocabularies."""
    style = f" ({key_style.value})" if key_style else ""
    tags = _prose(f"{region or ''}, {surface or ''}, {cost}")
    return f"auth {auth.value}{style} · tags {tags}"


def _class_line_work(klass: OutcomeClass, explanation: str) -> str:
    """`- Class: `not_found`: 404: no such endpoint on this host`."""
    return f"- Class: {_code(klass.value)}: {_prose(explanation)}"


_class_line = functools.lru_cache(maxsize=CACHE_SIZE)(_class_line_work)


def _status_work(status: int, reason: str) -> str:
    """A hop's Status cell: the code and the reason phrase, which a sweep repeats in every section."""
    return _cell(f"{status} {_prose(reason)}".rstrip())


_status = functools.lru_cache(maxsize=CACHE_SIZE)(_status_work)  # bounded as prober.report.text's caches


def _time(t: Timings) -> str:
    """`- Time: total 42.8 ms, dns 0.0 ms, connect+tls 35.1 ms, first byte 42.7 ms`: the phases that were measured."""
    dns = f", dns {t.dns_ms:.1f} ms" if t.dns_ms is not None else ""
    connect = f", connect+tls {t.connect_ms:.1f} ms" if t.connect_ms is not None else ""
    first = f", first byte {t.first_byte_ms:.1f} ms" if t.first_byte_ms is not None else ""
    return f"- Time: total {t.total_ms:.1f} ms{dns}{connect}{first}"


def _count(value: int | None) -> str:
    return str(value) if isinstance(value, int) else "?"


def _window(w: QuotaWindow) -> str:
    """One quota window: the counts, or the share used where the vendor gives only that (Token Plan), then when it
    resets; a rolling window has no reset time (docs/vendor.md#five-hour-trailing)."""
    if w.percent is not None and w.used is None and w.total is None:
        used = f"{w.percent:g} % used"  # a number, like the counts: nothing of the server's text
    else:
        used = f"{_count(w.used)}/{_count(w.total)}"
    if w.rolling:
        return f"{used}, rolling (no reset time)"
    return f"{used}, resets {_code(w.resets_at) if w.resets_at else 'unknown'}"


def _overview(sweep: Sweep, ids: Sequence[str] | None = None) -> list[str]:
    """Summary, changes since the baseline, and the results table."""
    lines = _summary(sweep) + [""]
    if sweep.baseline is not None:
        lines += changes.markdown(sweep.baseline).splitlines() + [""]
    return lines + _table(sweep, ids) + [""]


def summary(sweep: Sweep) -> str:
    """The short form for a CI job summary: findings and the overview, no environment and no per-probe sections."""
    return "\n".join(["# prober report", "", *_findings(sweep), *_overview(sweep)])


def chunks(sweep: Sweep) -> Iterator[str]:
    """The report in pieces, to be written one after another: the head (findings, environment, overview), then
    one piece per probe section, so a large report is never held as one string when it is written to a file."""
    old = sweep.layout < 2
    ids = shown_ids(sweep.probes)
    head = ["# prober report", "", *([] if old else _findings(sweep)), *_environment(sweep), "", *_overview(sweep, ids)]
    yield "\n".join(head) + "\n## Probes\n"
    how = None if old else curl.reach(sweep.environment)
    for probe, outcome, shown_id in zip(sweep.probes, sweep.outcomes, ids, strict=True):
        # A blank line, the section; it ends in a fence.
        yield "\n" + "\n".join(section(probe, outcome, how, shown_id=shown_id)) + "\n"


def render(sweep: Sweep) -> str:
    return "".join(chunks(sweep))
