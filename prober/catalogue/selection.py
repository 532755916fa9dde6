"""Selection: `--select` and `--exclude` patterns (id globs and KEY=VALUE tag filters) -> the probes to run."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from prober.catalogue.problems import close
from prober.errors import ProberError
from prober.model import Probe


def matches(probe: Probe, pattern: str) -> bool:
    """A pattern is conditions joined by ',' that must all hold: an id glob (`console-*`) or a tag filter
    `KEY=VALUE` whose value may be a glob too (`region=intl`, `team=pay*`)."""
    for condition in pattern.split(","):
        key, is_tag, value = condition.strip().partition("=")
        if is_tag:
            tag = probe.tags.get(key.strip())
            if tag is None or not fnmatch.fnmatchcase(tag, value.strip()):
                return False
        elif not fnmatch.fnmatchcase(probe.id, key):
            return False
    return True


def select(probes: Sequence[Probe], patterns: Sequence[str], exclude: Sequence[str] = ()) -> tuple[Probe, ...]:
    """The probes that match any `patterns` (all when there are none) and no `exclude` pattern, plus every probe
    they need (excluded or not: a dependant cannot run without them), in catalogue order."""
    if not patterns and not exclude:
        return tuple(probes)
    by_id = {p.id: p for p in probes}
    chosen_ids = [
        p.id
        for p in probes
        if (not patterns or any(matches(p, pat) for pat in patterns)) and not any(matches(p, pat) for pat in exclude)
    ]
    if not chosen_ids:
        flags = " ".join([*(f"--select {p}" for p in patterns), *(f"--exclude {p}" for p in exclude)])
        raise ProberError(f"{flags} matches no probe{_unknown_tags(probes, (*patterns, *exclude))}", _HINT)
    chosen: set[str] = set()
    wanted = chosen_ids
    while wanted:
        current = wanted.pop()
        if current not in chosen:
            chosen.add(current)
            wanted.extend(by_id[current].needs)
    return tuple(p for p in probes if p.id in chosen)


_HINT = "run `prober list` to see the probe ids and tags"


def _unknown_tags(probes: Sequence[Probe], patterns: Sequence[str]) -> str:
    """`; no probe has a tag 'regoin', did you mean 'region'?` for the first tag filter no probe can match."""
    names = sorted({key for p in probes for key, _ in p.tags.items()})
    for pattern in patterns:
        for condition in pattern.split(","):
            key, is_tag, _ = condition.strip().partition("=")
            key = key.strip()
            if is_tag and key not in names:
                meant = close(key, names)
                return f"; no probe has a tag '{key}'" + (f", did you mean '{meant}'?" if meant else "")
    return ""
