"""Pure: a sentence in pieces, our words and the values among them, so each renderer shows a value safely (as code
in Markdown, as itself on a terminal): the language of prober/findings.py and the reports that quote it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

# A sentence in pieces: (text, True when the piece is a value a renderer shows as code: a name, a vendor code, a
# host, a command). Outside text is only ever a value, so every renderer can show it safely.
Words = tuple[tuple[str, bool], ...]

MAX_NAMED = 3  # hosts, paths or codes a sentence names before "and N more"


def plain(words: Words) -> str:
    return "".join(text for text, _ in words)


def say(template: str, *values: object) -> Words:
    """Our words with values in the `{}` places: `say("{} paths answer 404", 7)`. Numbers are our own words;
    strings are values (shown as code), since they may come from a server or a report file."""
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"{template!r} has {len(pieces) - 1} places for {len(values)} values")
    words: list[tuple[str, bool]] = []
    for piece, value in zip(pieces, (*values, None), strict=True):
        if piece:
            words.append((piece, False))
        if isinstance(value, int):
            words.append((f"{value:,}", False))
        elif value is not None:
            words.append((str(value), True))
    return tuple(words)


def join(*parts: Words, sep: str = "; ") -> Words:
    kept = [p for p in parts if p]
    out: list[tuple[str, bool]] = []
    for n, part in enumerate(kept):
        if n:
            out.append((sep, False))
        out += part
    return tuple(out)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 probe`, `2 probes`, `1,000 probes`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def by_count(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def listed(values: Sequence[str], conjunction: str = "and") -> Words:
    """Up to three values as code, then `and N more`."""
    shown = list(dict.fromkeys(values))
    rest = len(shown) - MAX_NAMED
    if rest > 0:
        shown = shown[:MAX_NAMED]
    words: list[tuple[str, bool]] = []
    for n, value in enumerate(shown):
        if n:
            last = n == len(shown) - 1 and rest <= 0
            words.append((f" {conjunction} " if last else ", ", False))
        words.append((value, True))
    if rest > 0:
        words.append((f" {conjunction} {rest:,} more", False))
    return tuple(words)


def counted(counts: Counter[str]) -> Words:
    """Each value (as code) with its count when above one, most frequent first."""
    single = len(counts) == 1
    parts = [((name, True), (f" ×{n:,}" if n > 1 and not single else "", False)) for name, n in counts.most_common()]
    shown, rest = parts[: MAX_NAMED + 1], len(parts) - MAX_NAMED - 1
    words: list[tuple[str, bool]] = []
    for n, (name, times) in enumerate(shown):
        if n:
            words.append((", ", False))
        words += [name, times] if times[0] else [name]
    if rest > 0:
        words.append((f" and {rest:,} more", False))
    return tuple(words)
