"""The problem collector: every problem in a catalogue as `file:line: probe 'id': what`, and how values are shown."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from prober.catalogue.reader import Duplicate, Map, quote


class Problems:
    """Every problem found so far, each with its line for sorting. A problem inside the `defaults:` block is
    reported once, as the defaults' own, however many probes inherit the bad value."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[tuple[int, int, str]] = []  # (line, part, message)
        self.shared = range(0)  # the lines of the defaults block
        # Which part of the catalogue is being checked (prober/catalogue/probes.py: top keys, version, defaults,
        # the probes list, each probe, then the rest): problems on one line are listed in this order, whichever
        # part was checked first. The probes are checked as they are read, before the top level is complete.
        self.part = 0
        self.added = 0  # every problem added, those in the defaults reported once included
        self._seen: set[str] = set()

    def add(self, line: int, what: str, probe: str = "") -> None:
        self.added += 1
        if line in self.shared:
            message = f"{self.name}:{line}: defaults: {what}"
            if message in self._seen:
                return
            self._seen.add(message)
        else:
            where = f" probe {probe}:" if probe else ""
            message = f"{self.name}:{line}:{where} {what}"
        self.found.append((line, self.part, message))

    def messages(self) -> tuple[str, ...]:
        """Every problem, in line order; problems on one line in the order of the parts, then as they were found."""
        return tuple(message for _, _, message in sorted(self.found, key=lambda found: found[:2]))


class Fields:
    """One probe (or the top level) being checked: where its keys are, and how to name it in a message."""

    __slots__ = ("mapping", "probe", "problems", "start")

    def __init__(self, mapping: Map, probe: str, problems: Problems) -> None:
        self.mapping = mapping
        self.probe = probe
        self.problems = problems
        self.start = len(problems.found)

    def line(self, key: str) -> int:
        return self.mapping.lines.get(key, self.mapping.line)

    def add(self, key: str, what: str) -> None:
        self.problems.add(self.line(key), what, self.probe)

    def add_at(self, line: int, what: str) -> None:
        self.problems.add(line, what, self.probe)

    @property
    def failed(self) -> bool:
        return len(self.problems.found) > self.start


q = quote


def show(value: Any) -> str:
    """A value as a message shows it: strings quoted, containers and other types by kind."""
    if isinstance(value, str):
        return q(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    return f"a {type(value).__name__}"


def one_of(options: Sequence[str]) -> str:
    return ", ".join(options)


def close(value: str, options: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The option `value` was probably meant to be (a typo, or another case or separator), if there is one."""
    folded = {option.lower().replace("-", "_"): option for option in options}
    exact = folded.get(value.lower().replace("-", "_"))
    if exact is not None:
        return exact
    import difflib  # for messages only: most catalogues need none

    found = difflib.get_close_matches(value, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def not_one_of(what: str, value: Any, options: Sequence[str], suggest: Sequence[str] | None = None) -> str:
    """`what VALUE is not one of ...`, with "did you mean" when the value is close to an option (`suggest`: the
    options to suggest from, when the listed ones are not all plain words)."""
    if isinstance(value, list | dict):
        return f"{what} must be one of {one_of(options)}, not {show(value)}"
    message = f"{what} {show(value)} is not one of {one_of(options)}"
    meant = close(value, suggest if suggest is not None else options) if isinstance(value, str) else None
    return f"{message}; did you mean '{meant}'?" if meant else message


def check_keys(fields: Fields, mapping: Map, known: Sequence[str], where: str = "") -> set[str]:
    """Report unknown keys; return the known keys suggested for them, which need no "missing" report."""
    inside = f" in {where}" if where else ""
    suggested: set[str] = set()
    for key in mapping:
        if key in known:
            continue
        import difflib  # for messages only: most catalogues need none

        meant = difflib.get_close_matches(key, known, n=1)
        fix = f", did you mean '{meant[0]}'?" if meant else f"; known keys are {one_of(known)}"
        fields.add_at(mapping.lines[key], f"unknown key {q(key)}{inside}{fix}")
        suggested.update(meant)
    return suggested


def report_duplicates(duplicates: list[Duplicate], spans: list[tuple[int, int, str]], problems: Problems) -> None:
    """Report duplicate YAML keys, naming the probe whose text holds them."""
    if not duplicates:
        return
    spans.sort()
    starts = [start for start, _, _ in spans]
    for index, line, key, first in duplicates:
        at = bisect.bisect_right(starts, index) - 1
        probe = spans[at][2] if at >= 0 and index <= spans[at][1] else ""
        problems.add(line, f"duplicate key {q(key)} (first at line {first}); write each key once", probe)
