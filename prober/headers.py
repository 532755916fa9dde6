"""Pure: a family of response headers (the rate-limit ones, the vendor's diagnostic ones) picked out of an answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prober.model import Pairs


@dataclass(frozen=True, slots=True)
class Family:
    """Header names matched exactly or by prefix, lower-case."""

    names: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def pick(self, headers: Iterable[tuple[str, str]]) -> Pairs:
        """Every header of the family, in received order, names lower-cased; repeats are kept."""
        picked: list[tuple[str, str]] = []
        for name, value in headers:
            lowered = name.strip().lower()
            if lowered in self.names or lowered.startswith(self.prefixes):
                picked.append((lowered, value))
        return tuple(picked)
