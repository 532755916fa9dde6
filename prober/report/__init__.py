"""Pure renderers over a finished Sweep: one module per format, `render(sweep) -> str`, no I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from prober.model import Sweep


class Format(StrEnum):
    MD = "md"
    JSON = "json"
    JUNIT = "junit"

    @property
    def suffix(self) -> str:
        return ".junit.xml" if self is Format.JUNIT else f".{self.value}"


def renderer(fmt: Format) -> Callable[[Sweep], str]:
    from prober.report import json, junit, markdown

    table: dict[Format, Callable[[Sweep], str]] = {
        Format.MD: markdown.render,
        Format.JSON: json.render,
        Format.JUNIT: junit.render,
    }
    return table[fmt]
