"""The Markdown report: environment, the `| Endpoint | Result |` ticket table, then one section per probe."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from urllib.parse import urlsplit

from prober import quota as quota_mod
from prober import ratelimit, vendor
from prober.model import Auth, Outcome, OutcomeClass, Probe, Sweep
from prober.report import changes, curl
from prober.report.text import cell as _cell
from prober.report.text import code as _code

# Classes a bare status already says; any other class is named in the table when the vendor gave no code.
_SELF_EVIDENT = frozenset({OutcomeClass.OK, OutcomeClass.NOT_FOUND, OutcomeClass.REDIRECT_TO_LOGIN})


def _shown(probe: Probe) -> str:
    """What the table shows of a request: method (unless GET), host and path; the query is left out."""
    parts = urlsplit(probe.url)
    text = f"{parts.hostname}{parts.path or '/'}"
    return text if probe.method == "GET" else f"{probe.method} {text}"


def endpoints(probes: Sequence[Probe]) -> list[str]:
    """The Endpoint cell of each probe. Where several would read the same, the key style tells them apart
    (the same call with the key in each header), else the probe id does."""
    shown = [_shown(p) for p in probes]
    count = Counter(shown)
    styled = Counter(
        (text, p.key_style) for text, p in zip(shown, probes, strict=True) if p.auth is Auth.KEY and p.key_style
    )
    cells = []
    for text, p in zip(shown, probes, strict=True):
        cell = _code(text)
        if count[text] > 1:
            by_style = p.auth is Auth.KEY and p.key_style is not None and styled[(text, p.key_style)] == 1
            cell += f" ({p.key_style.value})" if by_style and p.key_style is not None else f" ({p.id})"
        cells.append(cell)
    return cells


def result(outcome: Outcome) -> str:
    """The short result, as in the CodexBar #612 ticket table: `404`, `302 → passport.alibabacloud.com`."""
    if outcome.klass is OutcomeClass.SKIPPED:
        text = f"skipped: {outcome.explanation}"
    elif outcome.klass.is_transport:
        text = outcome.klass.value
    else:
        hops = outcome.hops
        text = str(outcome.first_status)
        for previous, hop in pairwise(hops):
            if previous.retried_after_s is not None:
                text += f", retried after {previous.retried_after_s:g} s: {hop.status}"
            else:
                text += f" → {vendor.host(hop.url) or ''}"
                if hop is hops[-1] and hop.status != 200:
                    text += f" {hop.status}"
        if outcome.klass is OutcomeClass.REDIRECT_LOOP:
            text += " (redirect loop)"
        if outcome.vendor_error and outcome.vendor_error.code and outcome.vendor_error.shape != "html_login":
            text += f" {outcome.vendor_error.code}"
        elif outcome.klass not in _SELF_EVIDENT:
            text += f" ({outcome.klass.value})"
        limits = ratelimit.summary(outcome.rate_limits)
        if limits:
            text += f" · {limits}"
        if outcome.quota:
            text += f" · quota {quota_mod.summary(outcome.quota)}"
    if outcome.expected is False:
        text += f" ⚠ unexpected ({outcome.unexpected_reason})"
    return _cell(text)


def _environment(sweep: Sweep) -> list[str]:
    lines = ["## Environment", "", "| | |", "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in sweep.environment]
    lines += [f"| Started (UTC) | {sweep.started_at} |", f"| Finished (UTC) | {sweep.finished_at} |"]
    return lines


def _summary(sweep: Sweep) -> list[str]:
    counts = Counter(o.klass for o in sweep.outcomes)
    unexpected = sum(1 for o in sweep.outcomes if o.expected is False)
    expected = sum(1 for o in sweep.outcomes if o.expected is True)
    lines = ["## Summary", ""]
    lines.append(
        f"{len(sweep.outcomes)} probes: "
        + ", ".join(f"{counts[k]} {k.value}" for k in OutcomeClass if counts[k])
        + f". Expectations: {expected} met, {unexpected} unexpected."
    )
    if not sweep.complete:
        lines += ["", "**Incomplete:** the sweep was interrupted; probes that did not finish are missing."]
    return lines


def _table(sweep: Sweep) -> list[str]:
    lines = ["## Results", "", "| Endpoint | Result |", "|---|---|"]
    cells = endpoints(sweep.probes)
    lines += [f"| {cell} | {result(o)} |" for cell, o in zip(cells, sweep.outcomes, strict=True)]
    return lines


def _fence(text: str, info: str = "text") -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [f"{fence}{info}", text, fence]


def _section(probe: Probe, outcome: Outcome) -> list[str]:
    tags = f"{probe.tags.region}, {probe.tags.surface}, {probe.tags.cost}"
    auth = probe.auth.value + (f" ({probe.key_style.value})" if probe.key_style else "")
    lines = [f"### {probe.id}", "", probe.description, ""]
    lines.append(f"- Request: {_code(f'{probe.method} {probe.url}')} · auth {auth} · tags {tags}")
    lines.append(f"- Source: {probe.source}")
    lines.append(f"- Class: `{outcome.klass.value}`: {outcome.explanation}")
    if outcome.expected is not None:
        lines.append(f"- Expected: {'yes' if outcome.expected else f'no, {outcome.unexpected_reason}'}")
    if outcome.error:
        lines.append(f"- Error: {outcome.error}")
    if outcome.vendor_error:
        v = outcome.vendor_error
        text = f"- Vendor error ({v.shape}): {_code(v.code) if v.code else '(no code)'}"
        if v.message:
            text += f" {v.message}"
        lines.append(text)
    if outcome.quota:
        q = outcome.quota
        lines.append(f"- Quota: plan {q.plan or '?'}, status {q.status or '?'}")
        for w in q.windows:
            lines.append(f"  - {w.name}: {w.used}/{w.total}, resets {w.resets_at or 'unknown'}")
    if outcome.final_url:
        lines.append(f"- Final URL: {_code(outcome.final_url)}")
    if outcome.content_type:
        lines.append(f"- Content type: {_code(outcome.content_type)}")
    if outcome.remote_addr:
        lines.append(f"- Remote address: {outcome.remote_addr}")
    if outcome.timings:
        t = outcome.timings
        parts = [f"total {t.total_ms:.1f} ms"]
        parts += [
            f"{name} {value:.1f} ms"
            for name, value in (
                ("dns", t.dns_ms),
                ("connect+tls", t.connect_ms),
                ("first byte", t.first_byte_ms),
            )
            if value is not None
        ]
        lines.append(f"- Time: {', '.join(parts)}")
    if outcome.hops:
        lines += [
            "",
            "| # | Request | Status | Location | Cookies sent | Key sent |",
            "|---|---|---|---|---|---|",
        ]
        for n, h in enumerate(outcome.hops, start=1):
            cookies = ", ".join(h.cookies_sent) or "none"
            status = f"{h.status} {_cell(h.reason)}"
            if h.retried_after_s is not None:
                status += f" (retried after {h.retried_after_s:g} s)"
            lines.append(
                f"| {n} | {_cell(_code(f'{h.method} {h.url}'))} | {status} "
                f"| {_cell(_code(h.location)) if h.location else ''} | {_cell(cookies)} "
                f"| {'yes' if h.key_sent else 'no'} |"
            )
    headers = list(outcome.rate_limits) + list(outcome.diagnostics)
    if headers:
        lines += ["", "Headers:", ""]
        lines += [f"- {_code(f'{k}: {v}')}" for k, v in headers]
    elif outcome.status is not None:
        lines += ["", "Headers: no rate-limit or vendor diagnostic headers."]
    if outcome.body_excerpt:
        size = f"{outcome.body_bytes} bytes" + (", truncated" if outcome.body_truncated else "")
        lines += ["", f"Body excerpt ({size}):", ""]
        lines += _fence(outcome.body_excerpt)
    lines += ["", "Reproduce:", ""]
    lines += _fence(curl.command(probe), "sh")
    return lines


def _overview(sweep: Sweep) -> list[str]:
    """Summary, changes since the baseline, and the results table."""
    lines = _summary(sweep) + [""]
    if sweep.baseline is not None:
        lines += changes.markdown(sweep.baseline).splitlines() + [""]
    return lines + _table(sweep) + [""]


def summary(sweep: Sweep) -> str:
    """The short form for a CI job summary: the overview, no environment and no per-probe sections."""
    return "\n".join(["# prober report", "", *_overview(sweep)])


def render(sweep: Sweep) -> str:
    lines = ["# prober report", "", *_environment(sweep), "", *_overview(sweep)]
    lines += ["## Probes", ""]
    for probe, outcome in zip(sweep.probes, sweep.outcomes, strict=True):
        lines += [*_section(probe, outcome), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
