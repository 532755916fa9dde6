"""Pure renderers over a finished Sweep: one module per format, `render(sweep) -> str`, no I/O, no clock.

The two large formats also render in pieces (`chunks(sweep)`, joined they are `render(sweep)`), so that writing a
report of thousands of probes never holds it as one string (see `chunks` below and `prober.store`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from enum import StrEnum

from prober.expectations import FailOn
from prober.model import Sweep


class Format(StrEnum):
    MD = "md"
    JSON = "json"
    JUNIT = "junit"
    TICKET = "ticket"  # the short Markdown form for a GitHub comment (issue 13)

    @property
    def suffix(self) -> str:
        return {Format.JUNIT: ".junit.xml", Format.TICKET: ".ticket.md"}.get(self, f".{self.value}")


def renderer(fmt: Format, fail_on: FailOn = FailOn.UNEXPECTED) -> Callable[[Sweep], str]:
    """The renderer of `fmt`; `fail_on` is the run's, for the JUnit report, which fails what the exit code fails."""
    from prober.report import json, junit, markdown, ticket

    table: dict[Format, Callable[[Sweep], str]] = {
        Format.MD: markdown.render,
        Format.JSON: json.render,
        Format.JUNIT: functools.partial(junit.render, fail_on=fail_on),
        Format.TICKET: ticket.render,
    }
    return table[fmt]


def chunks(fmt: Format, fail_on: FailOn = FailOn.UNEXPECTED) -> Callable[[Sweep], Iterable[str]]:
    """The renderer of `fmt` as pieces of text to write one after another (joined: what `renderer` returns). The
    Markdown and JSON reports grow with the sweep and come a probe at a time; the others are one piece."""
    from prober.report import json, markdown

    streamed: dict[Format, Callable[[Sweep], Iterable[str]]] = {Format.MD: markdown.chunks, Format.JSON: json.chunks}
    if fmt in streamed:
        return streamed[fmt]
    whole = renderer(fmt, fail_on)
    return lambda sweep: (whole(sweep),)
