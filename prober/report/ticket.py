"""The ticket form (`<stamp>.ticket.md`): what a GitHub issue comment can hold, at most 65,536 characters.

A paragraph, the findings, a compact environment, the `| Endpoint | Result |` table and each probe's detail folded
in `<details>`. However large the sweep, it stays under GitHub's limit for a comment body: past its budget it keeps
the unexpected and changed rows first, then the rows the findings rest on, shortens or drops details, and says what
it left out and where that is. Server text is shown as in the full report (code spans, fences); the only HTML is
prober's own `<details>`, `<summary>` and `<code>`, with every outside character in them escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from prober import findings, inert
from prober.model import Outcome, Probe, Sweep
from prober.report import changes, curl, markdown
from prober.report.found import findings_of
from prober.report.text import cell, fence, prose
from prober.words import Words, plural

LIMIT = 65_536  # GitHub refuses a comment body longer than this many characters
_TRAILER = 1_000  # kept free for the closing note
_TABLE_SHARE = 0.5  # of what is left after the head, the most the results table may take when not every row fits
_BODY = 400  # characters of a body excerpt a detail shows
_VALUE = 200  # characters of any one environment value or finding value
_CHANGES = 30  # rows of the changes table
_EXTRA_ROWS = 10  # cookie verdicts, warnings and notes the environment shows

# The environment rows a ticket keeps, in this order; Python, aiohttp and the OS join the Tool row.
_ROWS = ("Catalogue", "Probes", "API key", "Console token", "Cookies", "Connect-to", "CA", "Proxy", "Limits")
_RUNTIME = ("Python", "aiohttp", "OS")


def _capped(words: Words) -> Words:
    return tuple((inert.cap(text, _VALUE) if is_value else text, is_value) for text, is_value in words)


def _environment(sweep: Sweep) -> list[str]:
    rows = dict(sweep.environment)
    tool = " · ".join([*([rows["Tool"]] if "Tool" in rows else []), *(f"{k} {rows[k]}" for k in _RUNTIME if k in rows)])
    kept = [("Tool", tool)] if tool else []
    for key in _ROWS:
        if key in rows:
            kept.append((key, rows[key]))
        if key == "Cookies":  # the verdict, warnings and notes follow the cookies
            kept += [(k, v) for k, v in sweep.environment if k.startswith(("Cookie verdict", "Cookie warning"))][
                :_EXTRA_ROWS
            ]
    kept += [(k, v) for k, v in sweep.environment if k.startswith("Note")][:_EXTRA_ROWS]
    kept += [("Billable probes", rows["Billable probes"])] if "Billable probes" in rows else []
    kept.append(("Started (UTC)", sweep.started_at))
    lines = ["### Environment", "", "| | |", "|---|---|"]
    lines += [f"| {cell(prose(inert.cap(k, _VALUE)))} | {cell(prose(inert.cap(v, _VALUE)))} |" for k, v in kept]
    return lines


def _paragraph(sweep: Sweep) -> str:
    tool = dict(sweep.environment).get("Tool", "prober")
    done = "" if sweep.complete else " The sweep was interrupted: the probes that did not finish are missing."
    return (
        f"{prose(inert.cap(tool, _VALUE), start=True)} ran at {prose(inert.cap(sweep.started_at, 40))}. "
        f"{markdown.count_line(sweep)}{done} This is the short form for a ticket: the full Markdown and JSON "
        "reports of the run (`<stamp>.md`, `<stamp>.json`) hold every detail."
    )


def _changes(sweep: Sweep) -> list[str]:
    c = sweep.baseline
    if c is None:
        return []
    lines = [f"### Changes since {prose(inert.cap(c.old_started_at, 40))}", "", *changes.differences(c)]
    if c.changes:
        lines += ["| Probe | Change |", "|---|---|"]
        lines += [
            f"| {cell(markdown.evidence([ch.probe_id]))} | {cell(prose(inert.cap(ch.label, _VALUE)))} |"
            for ch in c.changes[:_CHANGES]
        ]
        if len(c.changes) > _CHANGES:
            lines += ["", f"{len(c.changes) - _CHANGES:,} more changes are in the full report."]
        lines.append("")
    return [*lines, changes.count_line(c), ""]


def _rank(sweep: Sweep, found: Sequence[findings.Finding]) -> Callable[[int], tuple[int, int]]:
    """The order rows and details are kept in when not all fit: unexpected, changed, the first probe each finding
    rests on, the rest of the findings' evidence, the rest (each in catalogue order)."""
    changed = set(sweep.baseline.changed_ids) if sweep.baseline is not None else set()
    leads = {f.evidence[0] for f in found if f.evidence}
    cited = {probe_id for f in found for probe_id in f.evidence}

    def rank(index: int) -> tuple[int, int]:
        probe, outcome = sweep.probes[index], sweep.outcomes[index]
        if outcome.expected is False:
            return (0, index)
        if probe.id in changed:
            return (1, index)
        if probe.id in leads:
            return (2, index)
        if probe.id in cited:
            return (3, index)
        return (4, index)

    return rank


def _summary(probe: Probe, outcome: Outcome) -> str:
    """The `<summary>` line: prober's own HTML, the probe id escaped inside `<code>` (no mention or reference is
    made inside code), then the class, which is prober's own word."""
    flag = " ⚠ unexpected" if outcome.expected is False else ""
    shown = html.escape(inert.line(probe.id, inert.NAME_CAP * 2), quote=True)
    return f"<details><summary><code>{shown}</code> {outcome.klass.value}{flag}</summary>"


def _detail(probe: Probe, outcome: Outcome, how: curl.Reach, body: int | None) -> str:
    lines = [_summary(probe, outcome), ""]
    lines += markdown.section(probe, outcome, how, body_limit=body, brief=True)
    return "\n".join([*lines, "", "</details>", ""])


def _short_detail(probe: Probe, outcome: Outcome, how: curl.Reach) -> str:
    """A detail that did not fit: the class, its explanation and the reproducer only."""
    lines = [_summary(probe, outcome), ""]
    lines.append(f"- Class: `{outcome.klass.value}`: {prose(inert.cap(outcome.explanation, _VALUE))}")
    lines += ["", "Reproduce:", "", *fence(curl.reproducer(probe, outcome, how), "sh")]
    return "\n".join([*lines, "", "</details>", ""])


def render(sweep: Sweep) -> str:
    found = findings_of(sweep)
    capped = [findings.Finding(f.rule, _capped(f.text), f.evidence, _capped(f.fix)) for f in found]
    head = ["## prober report", "", _paragraph(sweep), ""]
    head += ["### Findings", "", *markdown.finding_lines(capped), ""]
    head += [*_environment(sweep), "", *_changes(sweep)]
    text = "\n".join(head) + "\n"
    if len(text) > LIMIT // 2:  # only a forged report holds that much: keep the ticket a ticket
        text = "\n".join(["## prober report", "", _paragraph(sweep), "", _TOO_LONG, ""]) + "\n"
    budget = LIMIT - len(text) - _TRAILER
    total = len(sweep.probes)
    order = sorted(range(total), key=_rank(sweep, found))

    # The results table: every row when they fit in the budget's share, else the first rows by rank.
    endpoints = markdown.endpoints(sweep.probes)
    rows = {i: f"| {endpoints[i]} | {markdown.result(sweep.outcomes[i])} |\n" for i in range(total)}
    share = budget if sum(len(r) for r in rows.values()) <= budget else int(budget * _TABLE_SHARE)
    kept: set[int] = set()
    used = 0
    for i in order:
        if used + len(rows[i]) > share:
            break
        kept.add(i)
        used += len(rows[i])
    table = "### Results\n\n| Endpoint | Result |\n|---|---|\n" + "".join(rows[i] for i in sorted(kept)) + "\n"
    if len(kept) < total:
        table += f"{total - len(kept):,} of {plural(total, 'row')} are left out here (see the end).\n\n"
    budget -= len(table)

    # The details, in the same order, each shortened when it does not fit whole; the first that fits in no form
    # ends them.
    how = curl.reach(sweep.environment)
    details: dict[int, str] = {}
    shortened = 0
    for i in order:
        probe, outcome = sweep.probes[i], sweep.outcomes[i]
        block = _detail(probe, outcome, how, _BODY)
        if len(block) > budget:
            block, shortened = _short_detail(probe, outcome, how), shortened + 1
            if len(block) > budget:
                shortened -= 1
                break
        details[i] = block
        budget -= len(block)
    body = "### Details\n\n" + "".join(details[i] for i in sorted(details))
    return text + table + body + _trailer(total, len(kept), len(details), shortened)


_TOO_LONG = "The findings and environment of this sweep are too long for a ticket; they are in the run's full reports."


def _trailer(total: int, rows: int, details: int, shortened: int) -> str:
    if rows == total and details == total and not shortened:
        return ""
    parts = []
    if rows < total:
        parts.append(f"{total - rows:,} of {plural(total, 'result row')}")
    if details < total:
        parts.append(f"{total - details:,} of {plural(total, 'probe detail')}")
    if shortened:
        parts.append(f"the hops, headers and bodies of {plural(shortened, 'other detail')}")
    left = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"\n---\n\nLeft out to stay under GitHub's {LIMIT:,}-character limit: {left}, unexpected and changed probes "
        "first. Every one is in the run's full reports (`<stamp>.md`, `<stamp>.json`).\n"
    )
