"""Pure: a family of response headers (the rate-limit ones, the vendor's diagnostic ones) picked out of an answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prober.model import Pairs

_MEMO_SIZE = 1024  # header names remembered (per family, and lower-cased); a memo starts over when it is full

# A header name as received -> stripped and lower-cased: answers repeat their names.
_LOWERED: dict[str, str] = {}


def lowered(name: str) -> str:
    """`name.strip().lower()`, worked out once per name (bounded: a hostile server's endless names only refill it)."""
    known = _LOWERED.get(name)
    if known is None:
        if len(_LOWERED) >= _MEMO_SIZE:
            _LOWERED.clear()
        known = _LOWERED[name] = name.strip().lower()
    return known


@dataclass(frozen=True, slots=True)
class Family:
    """Header names matched exactly or by prefix, lower-case."""

    names: frozenset[str]
    prefixes: tuple[str, ...] = ()
    # Answers repeat their header names: each name as received -> its lower-case form when it is of the family,
    # else "". Worked out once per name (`_member`); a hostile server's endless new names only refill it.
    _seen: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def pick(self, headers: Iterable[tuple[str, str]]) -> Pairs:
        """Every header of the family, in received order, names lower-cased; repeats are kept."""
        seen = self._seen
        picked: list[tuple[str, str]] = []
        for name, value in headers:
            lowered = seen.get(name)
            if lowered is None:
                lowered = self._member(name)
            if lowered:
                picked.append((lowered, value))
        return tuple(picked)

    def _member(self, name: str) -> str:
        low = lowered(name)
        member = low if low in self.names or low.startswith(self.prefixes) else ""
        if len(self._seen) >= _MEMO_SIZE:
            self._seen.clear()
        self._seen[name] = member
        return member
