"""Pure renderers of `prober compare`'s Lineup: terminal text, Markdown (for a GitHub job summary) and JSON.

A row whose answers differ is marked `≠`; a cell is the result as the report table shows it (`302 →
passport.alibabacloud.com`, `401 InvalidApiKey`), `—` where the sweep lacks the probe, `⚠` after an unexpected one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prober import inert
from prober.lineup import Lineup, Row, fact
from prober.model import Outcome
from prober.report import markdown as md
from prober.report import terminal
from prober.report.text import cell, code, prose

DIFFERS = "≠"
_ABSENT = "—"
_GAP = "  "


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def count_line(lineup: Lineup) -> str:
    """`79 probes in 2 sweeps: 5 differ, 60 the same, 14 not compared (answered in fewer than two sweeps).`"""
    rows = len(lineup.rows)
    same = rows - lineup.differing - lineup.uncompared
    return (
        f"{_plural(rows, 'probe')} in {len(lineup.columns)} sweeps: {lineup.differing:,} differ, {same:,} the same, "
        f"{lineup.uncompared:,} not compared (answered in fewer than two sweeps)."
    )


def _plain(outcome: Outcome) -> Outcome:
    # The reason an outcome was unexpected is long and is in each report; here a mark says it.
    return replace(outcome, expected=None, unexpected_reason=None)


def _mark(outcome: Outcome) -> str:
    return " ⚠" if outcome.expected is False else ""


# --------------------------------------------------------------------------------------------------
# Terminal
# --------------------------------------------------------------------------------------------------


def _text_cell(outcome: Outcome | None) -> str:
    return _ABSENT if outcome is None else md.result_text(_plain(outcome)) + _mark(outcome)


def text(lineup: Lineup, width: int = terminal.WIDTH) -> str:
    """The sweeps named with their environment, then one table: a column per sweep, each cell shortened to fit."""
    lines = ["Sweeps"]
    for column in lineup.columns:
        facts = "; ".join(f"{name} {value}" for name, value in column.facts)
        about = f"started {column.started_at}" + (f"; {facts}" if facts else "")
        lines += terminal.wrap(inert.line(about, 4_000), width, "      ", f"  {inert.line(column.label, 200)}:")
    n = len(lineup.columns)
    id_col = min(terminal.id_width(r.id for r in lineup.rows), 36)
    room = max((width - 2 - id_col - len(_GAP) * n) // n, 8)

    def line(mark: str, first: str, cells: list[str]) -> str:
        shown = [terminal.fit(c, room) for c in cells]
        padded = [c + " " * max(room - terminal.width_of(c), 0) for c in shown]
        head = terminal.fit(first, id_col)
        row = f"{mark:<2}{head}{' ' * max(id_col - terminal.width_of(head), 0)}"
        return (row + "".join(_GAP + c for c in padded)).rstrip()

    lines += ["", line("", "Probe", [inert.line(c.label, 200) for c in lineup.columns])]
    lines.append(line("", "-" * id_col, ["-" * room] * n))
    for r in lineup.rows:
        mark = DIFFERS if r.differs else ""
        lines.append(line(mark, inert.line(r.id, 200), [_text_cell(o) for o in r.outcomes]))
    lines += ["", *terminal.wrap(count_line(lineup), width)]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def _md_cell(outcome: Outcome | None) -> str:
    return _ABSENT if outcome is None else md.result(_plain(outcome)) + _mark(outcome)


def markdown(lineup: Lineup) -> str:
    names = list(dict.fromkeys(name for column in lineup.columns for name, _ in column.facts))
    lines = ["## Sweeps side by side", "", "| Sweep | Started | " + " | ".join(names) + " |"]
    lines.append("|---" * (len(names) + 2) + "|")
    for column in lineup.columns:
        facts = dict(column.facts)
        values = [cell(code(inert.cap(facts[name], 300))) if name in facts else _ABSENT for name in names]
        first = [cell(prose(inert.cap(column.label, 200))), cell(prose(column.started_at))]
        lines.append("| " + " | ".join(first + values) + " |")
    lines += ["", "| | Probe | " + " | ".join(cell(prose(inert.cap(c.label, 200))) for c in lineup.columns) + " |"]
    lines.append("|---" * (len(lineup.columns) + 2) + "|")
    for r in lineup.rows:
        cells = [_md_cell(o) for o in r.outcomes]
        lines.append(f"| {DIFFERS if r.differs else ''} | {cell(code(r.id))} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", f"{DIFFERS}: the answers differ. {count_line(lineup)}"]) + "\n"


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------


def _result(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    klass, status, vendor_code, redirect = fact(outcome)
    return {
        "class": klass,
        "status": status,
        "vendor_code": vendor_code,
        "redirect_host": redirect,
        "result": md.result_text(_plain(outcome)),
        "expected": outcome.expected,
    }


def _row(r: Row) -> dict[str, Any]:
    return {
        "probe_id": r.id,
        "differs": r.differs,
        "compared": r.compared,
        "results": [_result(o) for o in r.outcomes],
    }


def data(lineup: Lineup) -> dict[str, Any]:
    rows = len(lineup.rows)
    return {
        "sweeps": [
            {"label": c.label, "started_at": c.started_at, "environment": dict(c.facts)} for c in lineup.columns
        ],
        "summary": {
            "probes": rows,
            "differ": lineup.differing,
            "same": rows - lineup.differing - lineup.uncompared,
            "not_compared": lineup.uncompared,
        },
        "rows": [_row(r) for r in lineup.rows],
    }


def json(lineup: Lineup) -> str:
    from prober.report import json as json_report

    return json_report.encode(data(lineup), indent=2) + "\n"
