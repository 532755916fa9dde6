"""The `needs` graph and where credentials may go: unknown needs, cycles, placeholders no needed probe captures,
captured credentials leaving their site, and (with rules) the key, the console token and http."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Sequence

from prober.catalogue.probes import Document, Located
from prober.catalogue.problems import Problems, q
from prober.model import Auth, Probe


def check(document: Document, problems: Problems) -> list[Probe]:
    """Resolve `needs` (a base id stands for every probe it expands into), then reject unknown needs, cycles and
    `{{ name }}` placeholders that no needed probe captures. A probe waiting (directly or not) for a probe that had
    problems of its own is not checked for placeholders: what that probe captures is unknown."""
    located = document.located
    resolved = [probe for probe, _, _, _ in located]
    # Most probes need none and cannot hold a placeholder: nothing to resolve or check. The others, in order:
    waiting = [index for index, probe in enumerate(resolved) if probe.needs or may_use_placeholders(probe)]
    if not waiting:
        return resolved
    # Imported only now: `prober check` of a catalogue without needs or placeholders never uses prober.capture.
    from prober import capture as capture_mod

    waits_for_broken = _resolve_needs(document, resolved, waiting, problems)
    graph = {p.id: p for p in resolved}
    for index in waiting:
        probe = resolved[index]
        _, line, label, _ = located[index]
        reachable: list[str] = []
        if probe.needs:
            cycle = _cycle(probe.id, graph)
            if cycle:
                problems.add(line, f"needs form a cycle: {' → '.join(cycle)}; a probe cannot wait for itself", label)
                continue
            reachable = _ancestors(probe.id, graph)
        if waits_for_broken and waits_for_broken.intersection([probe.id, *reachable]):
            continue
        captured = {c.name for need in reachable for c in graph[need].captures}
        for name in capture_mod.placeholders(probe):
            if name not in captured:
                problems.add(
                    line,
                    f"uses {{{{ {name} }}}} but no probe it needs captures '{name}'; "
                    f"add the capturing probe to 'needs' or a 'capture:' for '{name}'",
                    label,
                )
                continue
            for source in (graph[need] for need in reachable):
                for problem in _captured_scope(probe, name, source):
                    problems.add(line, problem, label)
    return resolved


def _resolve_needs(document: Document, resolved: list[Probe], waiting: list[int], problems: Problems) -> set[str]:
    """Put each waiting probe's needs as probe ids in `resolved`, reporting unknown ones; give the ids of the probes
    that need a probe that had problems of its own."""
    located = document.located
    known = {probe.id for probe in resolved}
    by_base: dict[str, list[str]] | None = None  # each base id's probes, once a need is not a probe id
    waits_for_broken: set[str] = set()
    for index in waiting:
        probe, line, label, _ = located[index]
        if not probe.needs:
            continue
        needs: list[str] = []
        for need in probe.needs:
            if need in known:
                needs.append(need)
                continue
            if by_base is None:
                by_base = _by_base(located)
            if need in by_base:
                needs.extend(by_base[need])
            elif need in document.written:
                waits_for_broken.add(probe.id)
            else:
                import difflib  # for messages only

                close = difflib.get_close_matches(need, sorted(known | document.written), n=1)
                fix = f", did you mean '{close[0]}'?" if close else "; list ids of probes in this catalogue"
                problems.add(line, f"needs {q(need)}, which is not a probe id{fix}", label)
        unique = tuple(dict.fromkeys(needs))
        if unique != probe.needs:
            resolved[index] = dataclasses.replace(probe, needs=unique)
    return waits_for_broken


def _by_base(located: Sequence[Located]) -> dict[str, list[str]]:
    by_base: dict[str, list[str]] = {}
    for probe, _, _, base in located:
        by_base.setdefault(base, []).append(probe.id)
    return by_base


def may_use_placeholders(probe: Probe) -> bool:
    """False only when `capture_mod.placeholders(probe)` is sure to be empty (every `{{ name }}` starts with `{{`):
    the scan it saves is most of the needs check for a probe without headers or a body."""
    return bool(probe.headers) or probe.body is not None or "{{" in probe.url


def check_scope(
    document: Document, probes: Sequence[Probe], problems: Problems, allowed: Sequence[str], allow_insecure: bool
) -> None:
    """The key only inside Alibaba's domains (or `--allow-key-host`), the console token only to console gateways,
    no credential over plain http unless `--allow-insecure`: prober/scope.py's rules, each at its probe's line."""
    none = Auth.NONE  # read once: an Enum member read off its class costs more than the rest of a probe's scan
    credentialed = [probe for probe in probes if probe.auth is not none]  # the rules are about credentials only
    if not credentialed:
        return
    from prober import scope  # imported only now: the public suffix list is not needed without credentials

    found = scope.findings(credentialed, allowed, allow_insecure)
    if not found:
        return
    lines = {probe.id: (line, label) for probe, line, label, _ in document.located}
    for ident, what in found:
        line, label = lines[ident]
        problems.add(line, what, label)


def _captured_scope(probe: Probe, name: str, source: Probe) -> list[str]:
    """A placeholder filled with a captured credential (from a cookie or a credentialed answer) may only go over
    https to the site it came from (issue 9: a catalogue must not be able to carry a session elsewhere)."""
    from prober.capture import is_credential
    from prober.scope import registrable, within

    kinds = sorted({c.source.value for c in source.captures if c.name == name and is_credential(source, c.source)})
    if not kinds:
        return []
    origin = urllib.parse.urlsplit(source.url).hostname or ""
    site = registrable(origin)
    target = urllib.parse.urlsplit(probe.url)
    host = target.hostname or ""
    what = f"{{{{ {name} }}}} (a credential: captured by '{source.id}' from its {' or '.join(kinds)} on {origin})"
    found = []
    if target.scheme != "https":
        found.append(f"sends {what} over {target.scheme or 'no scheme'}; captured credentials go over https only")
    if not within(host, (site,)):
        found.append(
            f"sends {what} to {host}, outside {site}; a captured credential may only go to the site it came from"
        )
    return found


def _ancestors(start: str, graph: dict[str, Probe]) -> list[str]:
    """Every probe `start` waits for, directly or not, nearest first."""
    seen: dict[str, None] = {}
    queue = list(graph[start].needs)
    while queue:
        current = queue.pop(0)
        if current in seen or current not in graph:
            continue
        seen[current] = None
        queue.extend(graph[current].needs)
    return list(seen)


def _cycle(start: str, graph: dict[str, Probe]) -> list[str] | None:
    """A path start → … → start through `needs`, if there is one."""
    stack: list[tuple[str, list[str]]] = [(n, [start, n]) for n in graph[start].needs]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == start:
            return path
        if current in seen or current not in graph:
            continue
        seen.add(current)
        stack.extend((n, [*path, n]) for n in graph[current].needs)
    return None
