"""Pure renderers for the terminal: the results table, findings, `prober cookies`, `prober diff` and the closing lines
that name the probes behind the exit code.

Plain text at most `width` columns wide (100 unless the terminal is narrower): long text is shortened with an
ellipsis here and kept whole in the reports. Every outside string is made inert first (`prober.inert`), so the
only escape sequences in the output are the colours added here, and only when `colour` is true (the CLI decides:
a TTY, no NO_COLOR, no --no-color).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from prober import findings as findings_mod
from prober import inert
from prober.errors import ExitCode
from prober.model import Comparison, Outcome, OutcomeClass, Sweep
from prober.report.markdown import result_text
from prober.report.text import line as _line
from prober.verdict import Verdict

if TYPE_CHECKING:
    from prober.cookies.diagnose import Diagnosis

WIDTH = 100
_ID_MAX = 44  # the widest the probe column gets; a longer id is shortened in the middle
_GAP = "  "
_ELLIPSIS = "…"

# SGR colours by class (ECMA-48 §8.3.117): green answered as hoped, yellow a credential or login refusal, magenta a
# quota or rate limit, red no usable answer, dim skipped; unexpected outcomes are flagged in bold red.
_GREEN, _YELLOW, _MAGENTA, _RED, _DIM, _BOLD_RED = "32", "33", "35", "31", "2", "1;31"
_COLOURS = {
    OutcomeClass.OK: _GREEN,
    OutcomeClass.KEY_REJECTED: _YELLOW,
    OutcomeClass.CONSOLE_LOGIN_REQUIRED: _YELLOW,
    OutcomeClass.REDIRECT_TO_LOGIN: _YELLOW,
    OutcomeClass.AGENT_ONLY: _YELLOW,
    OutcomeClass.METHOD_NOT_ALLOWED: _YELLOW,
    OutcomeClass.CLIENT_ERROR: _YELLOW,
    OutcomeClass.QUOTA_EXHAUSTED: _MAGENTA,
    OutcomeClass.RATE_LIMITED: _MAGENTA,
    OutcomeClass.SKIPPED: _DIM,
    OutcomeClass.UNMODELLED: _DIM,  # the replica had no answer: no evidence either way
}


def _paint(text: str, sgr: str | None, colour: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if colour and sgr and text else text


def colour_of(klass: OutcomeClass) -> str | None:
    if klass is OutcomeClass.NOT_FOUND:
        return None
    if klass in _COLOURS:
        return _COLOURS[klass]
    return _RED  # server errors, redirect loops, every transport failure


# --------------------------------------------------------------------------------------------------
# Width
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width_of(text: str) -> int:
    """Columns `text` takes on a terminal (wide East Asian characters take two)."""
    if text.isascii():  # one column each, none combining: the common case, without a look-up per character
        return len(text)
    return sum(map(_char_width, text))


def fit(text: str, width: int) -> str:
    """`text` shortened to at most `width` columns, the cut marked with an ellipsis."""
    if width_of(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + _ELLIPSIS


def _middle(text: str, width: int) -> str:
    """Shortened in the middle, so both ends of an id stay readable."""
    if width_of(text) <= width:
        return text
    head = fit(text, (width + 1) // 2)[:-1]
    tail_width, tail = width - width_of(head) - 1, ""
    for ch in reversed(text):
        if width_of(tail) + _char_width(ch) > tail_width:
            break
        tail = ch + tail
    return head + _ELLIPSIS + tail


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - width_of(text), 0)


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """Words filled into lines of at most `width` columns: the first line starts with `first`, the others with
    `indent`; a word longer than a line is shortened."""
    lines: list[str] = []
    current, empty = first, True  # `empty`: no word on the current line yet
    room = width - width_of(indent)
    for raw in text.split():
        word = fit(raw, room)
        sep = "" if empty else " "
        if empty and first and not first.endswith(" "):
            sep = " "
        if empty or width_of(current + sep + word) <= width:
            current, empty = current + sep + word, False
            continue
        lines.append(current)
        current = indent + word
    lines.append(current)
    return [fit(line.rstrip(), width) for line in lines]


# --------------------------------------------------------------------------------------------------
# The results table
# --------------------------------------------------------------------------------------------------


def id_width(ids: Iterable[str]) -> int:
    return _id_width([_line(i, 200) for i in ids])


def _id_width(shown: Iterable[str]) -> int:
    """`id_width` of ids already made inert."""
    return min(max(map(width_of, shown), default=5), _ID_MAX)


ROW_LINES = 2  # lines a result may take (a quota needs two); a longer one is shortened, whole in the reports


def row(probe_id: str, outcome: Outcome, id_col: int, width: int = WIDTH, colour: bool = False) -> str:
    """The probe id, then its result in what is left of `width`: on a second line under the first when it is
    longer, and shortened past that."""
    return _row(_line(probe_id, 200), outcome, id_col, width, colour)


def _row(inert_id: str, outcome: Outcome, id_col: int, width: int, colour: bool) -> str:
    """`row` of an id already made inert."""
    shown_id = _pad(_middle(inert_id, id_col), id_col)
    room = max(width - id_col - len(_GAP), 10)
    text = result_text(outcome)
    sgr = _BOLD_RED if outcome.expected is False else colour_of(outcome.klass)
    if width_of(text) <= room:  # one line, as most results are
        return f"{shown_id}{_GAP}{_paint(text, sgr, colour)}".rstrip()
    lines = wrap(text, room)
    if len(lines) > ROW_LINES:
        lines = [*lines[: ROW_LINES - 1], fit(" ".join(lines[ROW_LINES - 1 :]), room)]
    lead = [shown_id + _GAP] + [" " * (id_col + len(_GAP))] * (len(lines) - 1)
    return "\n".join(f"{first}{_paint(line, sgr, colour)}".rstrip() for first, line in zip(lead, lines, strict=True))


def header(id_col: int, width: int = WIDTH) -> list[str]:
    rule = "-" * id_col + _GAP + "-" * max(min(width - id_col - len(_GAP), 40), 6)
    return [f"{_pad('Probe', id_col)}{_GAP}Result", rule]


def table(sweep: Sweep, width: int = WIDTH, colour: bool = False) -> str:
    """Every probe, in catalogue order."""
    ids = [_line(p.id, 200) for p in sweep.probes]  # made inert once, for the column's width and the rows
    col = _id_width(ids)
    lines = header(col, width)
    lines += [_row(i, o, col, width, colour) for i, o in zip(ids, sweep.outcomes, strict=True)]
    return "\n".join(lines)


def findings(found: Sequence[findings_mod.Finding], width: int = WIDTH, colour: bool = False) -> str:
    """The findings, each as a bullet with its evidence and fix indented under it."""
    lines = [_paint("Findings", "1", colour)]
    if not found:
        lines.append("  nothing to note")
    for f in found:
        lines += wrap(inert.line(f.sentence, 4_000), width, "    ", "  - ")
        if f.evidence:
            shown = ", ".join(inert.line(i, 200) for i in f.evidence[:4])
            more = f" and {len(f.evidence) - 4:,} more" if len(f.evidence) > 4 else ""
            lines += wrap(f"{shown}{more}", width, "      ", "    evidence:")
        if f.fix:
            lines += [
                _paint(line, "36", colour) for line in wrap(inert.line(f.remedy, 4_000), width, "      ", "    fix:")
            ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# prober cookies
# --------------------------------------------------------------------------------------------------


def _names(names: Sequence[str]) -> str:
    return ", ".join(inert.line(n, inert.NAME_CAP) for n in names) or "none"


def diagnosis(d: Diagnosis, width: int = WIDTH) -> str:
    """The cookie diagnosis as terminal text (the same facts as `diagnose.markdown`, never a value)."""
    from prober.cookies.diagnose import stamp  # only `prober cookies` shows a diagnosis: a run need not load it

    relevant = sum(len(g.cookies) for g in d.domains)
    lines = ["Cookie diagnosis", "", fit(f"Source: {inert.line(d.kind, 200)}", width)]
    lines.append(
        fit(
            f"  kept {d.total:,} cookies for Alibaba's domains and any --cookie-domain ({d.expired:,} expired, "
            f"{relevant:,} Alibaba-relevant)",
            width,
        )
    )
    lines.append(f"  left out {d.left_out:,} for other sites; values are never shown")
    lines += ["", "Verdict"]
    for v in d.verdicts:
        lines += wrap(inert.line(v.reason, 4_000), width, "    ", f"  {v.scheme.label}:")
    for w in d.warnings:
        lines += wrap(inert.line(w, 4_000), width, "    ", "  Warning:")
    lines += ["", "Cookies by domain"]
    if not d.domains:
        lines.append("  no Alibaba-relevant cookies")
    for group in d.domains:
        lines.append(f"  {fit(inert.line(group.domain, 200), width - 2)}")
        name_col = min(max(width_of(inert.line(f.name, inert.NAME_CAP)) for f in group.cookies), 32)
        for f in group.cookies:
            expires = "session" if f.expires is None else stamp(f.expires)
            flags = ", ".join(
                word for word, on in (("expired", f.expired), ("HttpOnly", f.http_only), ("Secure", f.secure)) if on
            )
            text = f"    {_pad(_middle(inert.line(f.name, inert.NAME_CAP), name_col), name_col)}  path "
            text += f"{inert.line(f.path, 60)}  expires {expires}" + (f"  {flags}" if flags else "")
            lines.append(fit(text, width))
    lines += ["", "Console probes"]
    if not d.probes:
        lines.append("  the catalogue has no probe with auth: cookies")
    for p in d.probes:
        lines.append(f"  {fit(inert.line(p.probe_id, 200), width - 2)}")
        lines += wrap(_names(p.sends), width, "          ", "    sends:")
        for missing in p.missing:
            lines += wrap(inert.line(missing, 4_000), width, "          ", "    lacks:")
    lines += ["", "What each host receives (RFC 6265)"]
    if not d.hosts:
        lines.append("  no hosts in the catalogue")
    for h in d.hosts:
        lines += wrap(_names(h.sends), width, "      ", f"  {fit(inert.line(h.host, 200), width - 4)}:")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# prober diff
# --------------------------------------------------------------------------------------------------


def differences(c: Comparison, width: int = WIDTH) -> list[str]:
    """The warning that opens a comparison of sweeps run differently: each environment fact that differs."""
    if not c.environment:
        return []
    lines = wrap(
        "Warning: the sweeps ran in different environments; a change may come from that, not the vendor:", width
    )
    for d in c.environment:
        lines += wrap(inert.line(d.label, 4_000), width, "      ", f"  - {inert.line(d.name, 60)}:")
        lines += wrap(f"{inert.line(d.before, 4_000)} → {inert.line(d.after, 4_000)}", width, "      ", "      ")
    return [*lines, ""]


def comparison(c: Comparison, width: int = WIDTH) -> str:
    """What changed, probe by probe: the label, then the before and after values."""
    from prober.report.changes import count_line

    lines = [*differences(c, width), fit(f"Changes since {inert.line(c.old_started_at, 60)}", width), ""]
    if not c.changes:
        lines.append("  no changes")
    current = None
    for ch in c.changes:
        if ch.probe_id != current:
            current = ch.probe_id
            lines.append(f"  {fit(inert.line(ch.probe_id, 200), width - 2)}")
        lines += wrap(inert.line(ch.label, 4_000), width, "      ", "    -")
        if ch.before is not None or ch.after is not None:
            before = inert.line(ch.before, 4_000) if ch.before is not None else "—"
            after = inert.line(ch.after, 4_000) if ch.after is not None else "—"
            lines += wrap(f"{before} → {after}", width, "      ", "      ")
    if c.not_compared:
        lines += ["", fit("Not compared (skipped or unmodelled on a side: nothing to compare)", width)]
        for probe_id, why in c.not_compared:
            lines += wrap(inert.line(why, 4_000), width, "      ", f"  - {inert.line(probe_id, 200)}:")
    lines += ["", *wrap(inert.line(count_line(c), 4_000), width)]
    started = f"Old sweep started {inert.line(c.old_started_at, 60)}, new sweep {inert.line(c.new_started_at, 60)}."
    lines += wrap(started, width)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# The closing lines of `prober run` and `prober diff`: every probe behind the exit code
# --------------------------------------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def verdict(v: Verdict, width: int = WIDTH, changes: bool = True) -> str:
    """Name every unexpected, changed and unreachable probe, then say which exit code they make and why. `changes`:
    list the changed probes (`prober diff` has just printed them)."""
    lines: list[str] = []

    def named(heading: str, items: Sequence[tuple[str, str]]) -> None:
        lines.extend(wrap(heading, width))
        for probe_id, why in items:
            lines.extend(wrap(inert.line(why, 4_000), width, "      ", f"  - {inert.line(probe_id, 200)}:"))

    if v.unexpected:
        named(
            f"Unexpected: {_count(len(v.unexpected), 'probe')} answered outside the catalogue's expect:",
            [(o.probe_id, o.unexpected_reason or o.klass.value) for o in v.unexpected],
        )
    if v.changed and changes:
        failing = "" if v.changes_fail else " (not failing the run without --fail-on changed)"
        named(f"Changed since the baseline: {_count(len(v.changed), 'probe')}{failing}", v.changed)
    if v.unreachable:
        named(
            f"Unreachable: {_count(len(v.unreachable), 'probe')} got no HTTP answer (an outage or a proxy problem, "
            "not vendor drift)",
            [(o.probe_id, f"{o.klass.value}: {o.error or o.explanation}") for o in v.unreachable],
        )
    if v.code is ExitCode.FAILED:
        drift = [_count(len(v.unexpected), "unexpected outcome")]
        if v.changes_fail:
            drift.append(_count(len(v.changed), "changed probe"))
        also = f"; also {len(v.unreachable):,} unreachable" if v.unreachable else ""
        lines += wrap(f"Failed (--fail-on {v.fail_on}): exit 1, drift: {', '.join(drift)}{also}", width)
    elif v.code is ExitCode.UNREACHABLE:
        lines += wrap(
            f"Unreachable (--fail-on {v.fail_on}): exit 4, {len(v.unreachable):,} of {_count(v.total, 'probe')} got "
            "no HTTP answer and no answer drifted: check the network, proxy and DNS, then run again",
            width,
        )
    elif lines:
        lines += wrap(f"Passed (--fail-on {v.fail_on}): exit 0, none of the above fails the run", width)
    return "\n".join(lines)
