"""Read probes.yaml into a validated Catalogue; every problem is reported as `file:line: probe 'id': what`."""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import fnmatch
import gc
import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from prober import capture as capture_mod
from prober import inputs
from prober.capture import is_credential
from prober.errors import CatalogueError, ProberError
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Capture,
    CaptureSource,
    Catalogue,
    Expect,
    KeyStyle,
    OutcomeClass,
    Pairs,
    Probe,
    Tags,
)
from prober.scope import registrable, within

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_NO_BODY = frozenset({"GET", "HEAD"})
_REGIONS = ("intl", "cn", "global")
_SURFACES = ("api", "console", "inference", "login")
_COSTS = ("free", "billable")
_STYLES = tuple(style.value for style in KeyStyle)
_CLASSES = tuple(klass.value for klass in OutcomeClass)
_TOP_KEYS = ("version", "probes")
_PROBE_KEYS = (
    "id",
    "description",
    "method",
    "url",
    "hosts",
    "headers",
    "body",
    "auth",
    "tags",
    "expect",
    "source",
    "capture",
    "needs",
)
_CAPTURE_SOURCES = tuple(source.value for source in CaptureSource)
_NAME = re.compile(capture_mod.NAME)
_REQUIRED = {  # key -> what it holds, for the "missing" message
    "id": "a unique name like 'dashscope-intl-policies'",
    "description": "what the probe checks, in words",
    "url": "the http:// or https:// URL to probe",
    "tags": "like {region: intl, surface: api, cost: free}",
    "source": "where this endpoint is documented",
}
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-dashscope-api-key"})
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 section 5.6.2 tchar
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_MERGE = "tag:yaml.org,2002:merge"
# libyaml composes ~10x faster; pure PyYAML is the fallback and gives the clearer syntax messages.
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_Located = tuple[Probe, int]  # an expanded probe and the line that made its id


def load(path: Path | str) -> Catalogue:
    """Read and validate the catalogue at `path`; raise CatalogueError naming every problem."""
    name = str(path)
    data = inputs.read_bytes(
        Path(path),
        inputs.CATALOGUE_LIMIT,
        "catalogue",
        CatalogueError,
        "check the path and that the file is readable, or pass the catalogue you meant",
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"{name}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})",
            hint="save the catalogue as UTF-8",
        ) from exc
    return _parse(text, name, hashlib.sha256(data).hexdigest())


def parse(text: str, name: str = "probes.yaml") -> Catalogue:
    """Validate catalogue `text` as if read from a file called `name`."""
    return _parse(text, name, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def _parse(text: str, name: str, sha256: str) -> Catalogue:
    # The cyclic GC rescans the growing node tree again and again while it is built: with it on, 5,000
    # probes took 10x as long as 1,000. Any cycles (YAML aliases) are collected once it is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _validate(text, name, sha256)
    finally:
        if collecting:
            gc.enable()


def _validate(text: str, name: str, sha256: str) -> Catalogue:
    root, root_line, duplicates = _read_yaml(text, name)
    problems = _Problems(name)
    probes, spans = _check_catalogue(root, root_line, problems)
    _report_duplicates(duplicates, spans, problems)
    if problems.found:
        problems.found.sort(key=lambda found: found[0])
        messages = tuple(message for _, message in problems.found)
        raise CatalogueError(messages[0], hint=_hint(name, len(messages)), problems=messages)
    return Catalogue(path=name, sha256=sha256, probes=tuple(probes))


def _hint(name: str, count: int) -> str:
    if count == 1:
        return f"fix it, then run `prober check {name}` to validate the catalogue again"
    return f"{count} problems in all; run `prober check {name}` to see every problem"


# --- YAML with line numbers ---------------------------------------------------------------------------


class _Map(dict[str, Any]):
    """A YAML mapping that remembers where it was written and the line of each key."""

    __slots__ = ("end", "line", "lines", "start")

    def __init__(self, line: int, start: int, end: int) -> None:
        super().__init__()
        self.line = line
        self.start = start  # the text span, to find the probe that holds a duplicate key
        self.end = end
        self.lines: dict[str, int] = {}


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


class _Builder(SafeConstructor):
    """Build values from composed nodes, keeping line numbers; note duplicate keys, which PyYAML drops."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicates: list[tuple[int, int, str, int]] = []  # (index, line, key, first line)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as exc:  # e.g. 2024-13-01 read as a date, or an int beyond Python's digit limit
            raise ConstructorError(
                None, None, f"cannot read {_q(str(node.value))}: {exc}; quote it to keep it as text", node.start_mark
            ) from exc

    def construct_located_map(self, node: MappingNode) -> Iterator[_Map]:
        data = _Map(node.start_mark.line + 1, node.start_mark.index, node.end_mark.index)
        yield data
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
        self.flatten_mapping(node)
        merged = len(node.value) - explicit  # merged pairs come first, and explicit keys may override them
        first: dict[str, int] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = _key_text(self.construct_object(key_node, deep=True))
            line = key_node.start_mark.line + 1
            if index >= merged:
                if key in first:
                    self.duplicates.append((key_node.start_mark.index, line, key, first[key]))
                else:
                    first[key] = line
            data[key] = self.construct_object(value_node)
            data.lines[key] = line

    def construct_located_seq(self, node: SequenceNode) -> Iterator[_Seq]:
        data = _Seq()
        yield data
        for item in node.value:
            data.append(self.construct_object(item))
            data.lines.append(item.start_mark.line + 1)

    yaml_constructors = {  # noqa: RUF012  (PyYAML's own class-level registry)
        **SafeConstructor.yaml_constructors,
        "tag:yaml.org,2002:map": construct_located_map,
        "tag:yaml.org,2002:seq": construct_located_seq,
    }


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _read_yaml(text: str, name: str) -> tuple[Any, int, list[_Duplicate]]:
    """The document's value, the line it starts on, and its duplicate keys."""
    try:
        plain = _read_plain(text)
        if plain is not None:
            return plain
        _check_aliases(text, name)  # the event reader leaves every alias to the composer: counted here, once
        node = _compose(text)
        if node is None:
            return None, 1, []
        builder = _Builder()
        return builder.construct_document(node), node.start_mark.line + 1, builder.duplicates
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(name, exc) from exc
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise CatalogueError(
            f"{name}:{line}:{column}: unacceptable character #x{code:04x}: {exc.reason}",
            hint="remove the control character, or write it as an escape inside a double-quoted string",
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}:1:1: {exc}", hint="fix the YAML syntax") from exc
    except RecursionError as exc:
        raise CatalogueError(f"{name}:1:1: the YAML is nested too deeply to read", hint="flatten the nesting") from exc


class _Unusual(Exception):
    """The document needs the full composer: an anchor, alias, merge key, odd tag, non-text key or second document."""


_Duplicate = tuple[int, int, str, int]  # (index, line, key, first line)
_STR = "tag:yaml.org,2002:str"
_SCALARS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "binary", "timestamp"))


def _read_plain(text: str) -> tuple[Any, int, list[_Duplicate]] | None:
    """The document read straight from parser events, or None when only the full composer reads it right."""
    # Composing keeps every node, with two marks each, until the document ends: ~100 MB for 10,000 probes.
    # Events are dropped as soon as they are used, so a plain document costs only the values it holds.
    try:
        loader = _FAST(text)  # refuses lone surrogates
    except UnicodeError:
        return None
    try:
        return _EventReader(loader).read()
    except Exception:  # anything unusual, errors included: the full composer reads it and reports it exactly
        return None
    finally:
        loader.dispose()


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = ("depth", "first", "key", "key_line", "value")

    def __init__(self, value: _Map | _Seq, depth: int) -> None:
        self.value = value
        self.depth = depth  # nesting level, the order in which SafeConstructor finds duplicate keys
        self.key: str | None = None  # a mapping's key waiting for its value
        self.key_line = 0
        self.first: dict[str, int] = {}  # a mapping's keys and the line each was first written on


class _EventReader:
    """Build the same located values as `_Builder`, one parser event at a time."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.open: list[_Open] = []
        self.root: Any = None
        self.root_line = 1
        self.duplicates: list[tuple[int, _Duplicate]] = []  # (depth, duplicate)

    def read(self) -> tuple[Any, int, list[_Duplicate]]:
        """The document's value, the line it starts on, and its duplicate keys in SafeConstructor's order."""
        get = self.loader.get_event
        get()  # StreamStartEvent
        if isinstance(get(), StreamEndEvent):
            return None, 1, []
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                self._add(self._scalar(event), event.start_mark.line + 1, event.start_mark.index)
            elif kind is MappingStartEvent:
                self._start(_Map(event.start_mark.line + 1, event.start_mark.index, 0), event, MappingNode)
            elif kind is SequenceStartEvent:
                self._start(_Seq(), event, SequenceNode)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                closed = self.open.pop().value
                if isinstance(closed, _Map):
                    closed.end = event.end_mark.index
            elif kind is DocumentEndEvent:
                break
            else:
                raise _Unusual  # an alias
        if not isinstance(get(), StreamEndEvent):
            raise _Unusual  # a second document
        # SafeConstructor fills mappings level by level, so it notes shallower duplicates first.
        self.duplicates.sort(key=lambda found: found[0])
        return self.root, self.root_line, [duplicate for _, duplicate in self.duplicates]

    def _scalar(self, event: ScalarEvent) -> Any:
        """The scalar's value, resolved and constructed as SafeConstructor would."""
        if event.anchor is not None:
            raise _Unusual
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _STR:
            return event.value
        if tag not in _SCALARS:
            raise _Unusual  # merge and value keys, and tags SafeConstructor refuses
        node = ScalarNode(tag, event.value, None, None, event.style)  # no marks: errors go the full composer's way
        return SafeConstructor.yaml_constructors[tag](self.loader, node)

    def _start(self, value: _Map | _Seq, event: Any, kind: type[Node]) -> None:
        """Open a mapping or sequence inside the innermost open one."""
        tag = event.tag
        if event.anchor is not None or (tag not in (None, "!") and tag != self.loader.resolve(kind, None, True)):
            raise _Unusual
        self._add(value, event.start_mark.line + 1, event.start_mark.index)
        self.open.append(_Open(value, len(self.open)))

    def _add(self, value: Any, line: int, index: int) -> None:
        """Put a value, or a mapping's key, into the innermost open mapping or sequence."""
        if not self.open:
            self.root, self.root_line = value, line
            return
        top = self.open[-1]
        into = top.value
        if isinstance(into, _Seq):
            into.append(value)
            into.lines.append(line)
        elif top.key is None:
            self._key(top, value, line, index)
        else:
            into[top.key] = value
            into.lines[top.key] = top.key_line
            top.key = None

    def _key(self, top: _Open, value: Any, line: int, index: int) -> None:
        """Note a mapping's key, and whether it repeats an earlier one."""
        if isinstance(value, _Map | _Seq):
            raise _Unusual
        key = _key_text(value)
        if key in top.first:
            self.duplicates.append((top.depth, (index, line, key, top.first[key])))
        else:
            top.first[key] = line
        top.key, top.key_line = key, line


# A "billion laughs" repeats one value 10^9 times in a few hundred bytes. The composer shares an aliased
# node, but merge keys, JSON bodies and the checks walk every repeat: refuse more repeats than any
# catalogue needs (a merged 16-value base in each of 10,000 probes repeats 160,000 values).
ALIAS_LIMIT = 1_000_000


def _check_aliases(text: str, name: str) -> None:
    """Refuse a document whose aliases stand for more than ALIAS_LIMIT values in all, at the alias that
    passes the limit; the events are read as `_compose` reads them, and syntax errors are left to it."""
    for reader in (_FAST, yaml.SafeLoader):
        try:
            loader = reader(text)
        except UnicodeError:
            continue
        try:
            _count_aliases(loader, name)
            return
        except (yaml.YAMLError, UnicodeError):
            continue
        finally:
            loader.dispose()


def _count_aliases(loader: Any, name: str) -> None:
    sizes: dict[str, int] = {}  # anchor -> the values its node stands for, aliases in it included
    starts: list[tuple[str | None, int]] = []  # each open collection's anchor and the count before it
    values = repeated = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, AliasEvent):
            count = sizes.get(event.anchor or "", 1)  # an alias inside its own anchor counts once
            values += count
            repeated += count
            if repeated > ALIAS_LIMIT:
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                raise CatalogueError(
                    f"{name}:{line}:{column}: alias *{event.anchor} makes the aliases repeat more than "
                    f"{ALIAS_LIMIT:,} values in all (aliases of aliases multiply: a 'billion laughs')",
                    hint="write the repeated values out, or alias fewer, smaller nodes",
                )
        elif isinstance(event, ScalarEvent):
            values += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            starts.append((event.anchor, values))
            values += 1
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            anchor, start = starts.pop()
            if anchor is not None:
                sizes[anchor] = values - start


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_FAST)
    except (yaml.YAMLError, UnicodeError) as fast_error:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except RecursionError:  # pure PyYAML recurses per nesting level; libyaml's error is the better one
            if isinstance(fast_error, yaml.YAMLError):
                raise fast_error from None
            raise


def _syntax_error(name: str, exc: yaml.MarkedYAMLError) -> CatalogueError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        context_mark = exc.context_mark
        at = f" at line {context_mark.line + 1}" if context_mark and context_mark.line + 1 != line else ""
        what += f" ({exc.context}{at})"
    if "'\\t'" in what:
        hint = "indent with spaces: YAML does not allow tabs for indentation"
    else:
        hint = "fix the YAML at that line and column; quote values that contain ': ' or ' #'"
    return CatalogueError(f"{name}:{line}:{column}: {what}", hint=hint)


# --- problems -------------------------------------------------------------------------------------------


class _Problems:
    """Every problem found so far, each with its line for sorting."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, what: str, probe: str = "") -> None:
        where = f" probe {probe}:" if probe else ""
        self.found.append((line, f"{self.name}:{line}:{where} {what}"))


class _Fields:
    """One probe (or the top level) being checked: where its keys are, and how to name it in a message."""

    def __init__(self, mapping: _Map, probe: str, problems: _Problems) -> None:
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


def _q(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return f"'{shown}'" if shown.isprintable() and "'" not in shown else repr(shown)


def _show(value: Any) -> str:
    """A value as a message shows it: strings quoted, containers and other types by kind."""
    if isinstance(value, str):
        return _q(value)
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


def _one_of(options: Sequence[str]) -> str:
    return ", ".join(options)


def _not_one_of(what: str, value: Any, options: Sequence[str]) -> str:
    if isinstance(value, list | dict):
        return f"{what} must be one of {_one_of(options)}, not {_show(value)}"
    return f"{what} {_show(value)} is not one of {_one_of(options)}"


def _check_keys(fields: _Fields, mapping: _Map, known: Sequence[str], where: str = "") -> set[str]:
    """Report unknown keys; return the known keys suggested for them, which need no "missing" report."""
    inside = f" in {where}" if where else ""
    suggested: set[str] = set()
    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        fix = f", did you mean '{close[0]}'?" if close else f"; known keys are {_one_of(known)}"
        fields.add_at(mapping.lines[key], f"unknown key {_q(key)}{inside}{fix}")
        suggested.update(close)
    return suggested


def _report_duplicates(
    duplicates: list[tuple[int, int, str, int]], spans: list[tuple[int, int, str]], problems: _Problems
) -> None:
    """Report duplicate YAML keys, naming the probe whose text holds them."""
    spans.sort()
    starts = [start for start, _, _ in spans]
    for index, line, key, first in duplicates:
        at = bisect.bisect_right(starts, index) - 1
        probe = spans[at][2] if at >= 0 and index <= spans[at][1] else ""
        problems.add(line, f"duplicate key {_q(key)} (first at line {first}); write each key once", probe)


# --- the catalogue --------------------------------------------------------------------------------------


def _check_catalogue(root: Any, root_line: int, problems: _Problems) -> tuple[list[Probe], list[tuple[int, int, str]]]:
    """The expanded probes, and each probe mapping's text span with its label."""
    if root is None:
        problems.add(root_line, "the catalogue is empty; write 'version: 1' and a 'probes:' list")
        return [], []
    if not isinstance(root, _Map):
        problems.add(root_line, f"the catalogue must be a mapping with 'version: 1' and 'probes:', not {_show(root)}")
        return [], []
    top = _Fields(root, "", problems)
    suggested = _check_keys(top, root, _TOP_KEYS)
    _check_version(top, suggested)
    items = _probe_list(top, suggested)
    probes: list[Probe] = []
    located: list[tuple[Probe, int, str, str]] = []  # probe, line, label, base id
    spans: list[tuple[int, int, str]] = []
    ids: dict[str, int] = {}
    for index, (item, line) in enumerate(zip(items, items.lines, strict=True), start=1):
        label, base, base_line, expanded = _check_probe(item, line, index, problems)
        if isinstance(item, _Map):
            spans.append((item.start, item.end, label))
        if base is not None:
            _remember_id(base, base_line, label, ids, problems)
        repeated: set[str] = set()  # report an id that a probe's expansion repeats only once
        for probe, probe_line in expanded:
            if (
                probe.id != base
                and probe.id not in repeated
                and not _remember_id(probe.id, probe_line, label, ids, problems)
            ):
                repeated.add(probe.id)
            located.append((probe, probe_line, label, base or ""))
    if not problems.found:
        probes = _check_graph(located, problems)
    return probes, spans


def _check_graph(located: list[tuple[Probe, int, str, str]], problems: _Problems) -> list[Probe]:
    """Resolve `needs` (a base id stands for every probe it expands into), then reject unknown needs,
    cycles and `{{ name }}` placeholders that no needed probe captures."""
    by_base: dict[str, list[str]] = {}
    for probe, _, _, base in located:
        by_base.setdefault(base, []).append(probe.id)
    known = {probe.id for probe, *_ in located}
    resolved: list[Probe] = []
    for probe, line, label, _ in located:
        needs: list[str] = []
        for need in probe.needs:
            if need in known:
                needs.append(need)
            elif need in by_base:
                needs.extend(by_base[need])
            else:
                close = difflib.get_close_matches(need, sorted(known | set(by_base)), n=1)
                fix = f", did you mean '{close[0]}'?" if close else "; list ids of probes in this catalogue"
                problems.add(line, f"needs {_q(need)}, which is not a probe id{fix}", label)
        resolved.append(dataclasses.replace(probe, needs=tuple(dict.fromkeys(needs))))
    graph = {p.id: p for p in resolved}
    lines = {probe.id: (line, label) for probe, line, label, _ in located}
    for probe in resolved:
        cycle = _cycle(probe.id, graph)
        if cycle:
            line, label = lines[probe.id]
            problems.add(line, f"needs form a cycle: {' → '.join(cycle)}; a probe cannot wait for itself", label)
            continue
        reachable = _ancestors(probe.id, graph)
        captured = {c.name for need in reachable for c in graph[need].captures}
        line, label = lines[probe.id]
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
                for problem in _scope_problems(probe, name, source):
                    problems.add(line, problem, label)
    return resolved


def _scope_problems(probe: Probe, name: str, source: Probe) -> list[str]:
    """A placeholder filled with a captured credential (from a cookie or a credentialed answer) may only go over
    https to the site it came from (issue 9: a catalogue must not be able to carry a session elsewhere)."""
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


def _remember_id(ident: str, line: int, label: str, ids: dict[str, int], problems: _Problems) -> bool:
    """Note the first line of `ident`; report it and return False if it was seen before."""
    if ident not in ids:
        ids[ident] = line
        return True
    problems.add(line, f"duplicate id {_q(ident)} (first at line {ids[ident]}); every probe id must be unique", label)
    return False


def _check_version(top: _Fields, suggested: set[str]) -> None:
    if "version" not in top.mapping:
        if "version" not in suggested:
            top.add_at(top.mapping.line, "missing required key 'version'; add 'version: 1' at the top")
        return
    version = top.mapping["version"]
    if type(version) is not int or version != 1:
        top.add("version", f"version must be 1, not {_show(version)}")


def _probe_list(top: _Fields, suggested: set[str]) -> _Seq:
    if "probes" not in top.mapping:
        if "probes" not in suggested:
            top.add_at(top.mapping.line, "missing required key 'probes'; add a list of probes")
        return _Seq()
    items = top.mapping["probes"]
    if not isinstance(items, _Seq):
        top.add(
            "probes",
            f"'probes' must be a list of probes (each item starting with '- id:'), not {_show(items)}",
        )
        return _Seq()
    if not items:
        top.add("probes", "'probes' is empty; add at least one probe")
    return items


def _check_probe(item: Any, line: int, index: int, problems: _Problems) -> tuple[str, str | None, int, list[_Located]]:
    """The probe's label, its valid id or None, the id's line, and its expansion (empty on any problem)."""
    if not isinstance(item, _Map):
        problems.add(
            line,
            f"must be a mapping with id, description, url, tags and source, not {_show(item)}",
            f"#{index}",
        )
        return f"#{index}", None, line, []
    ident = item.get("id")
    base = ident if isinstance(ident, str) and _ID.fullmatch(ident) else None
    fields = _Fields(item, f"'{base}'" if base else f"#{index}", problems)
    suggested = _check_keys(fields, item, _PROBE_KEYS)
    for key, holds in _REQUIRED.items():
        if key not in item and key not in suggested:
            fields.add_at(item.line, f"missing required key '{key}' ({holds})")
    if "id" in item and base is None:
        fields.add("id", _bad_id(ident))
    description = _text(fields, "description", "what the probe checks")
    source = _text(fields, "source", "where this endpoint is documented")
    method = _method(fields)
    hosts = _hosts(fields)
    url = _url(fields, hosts)
    headers = _headers(fields)
    body = _body(fields, method)
    auth, key_style, styles = _auth(fields)
    tags = _tags(fields)
    expect = _expect(fields)
    captures = _captures(fields)
    needs = _needs(fields)
    if fields.failed or base is None:
        return fields.probe, base, fields.line("id"), []
    template = Probe(
        id=base,
        description=description,
        method=method,
        url=url,
        headers=headers,
        body=body,
        auth=auth,
        key_style=key_style,
        tags=tags,
        expect=expect,
        source=source,
        captures=captures,
        needs=needs,
    )
    return fields.probe, base, fields.line("id"), _expand(template, fields.line("id"), hosts, styles)


def _expand(
    template: Probe,
    line: int,
    hosts: list[tuple[str, int]] | None,
    styles: list[tuple[KeyStyle, int]] | None,
) -> list[_Located]:
    """One probe per host and key style (hosts outer), each with the line that makes its id."""
    if hosts is None and styles is None:
        return [(template, line)]
    probes: list[_Located] = []
    seen_hosts: set[str] = set()
    for host, host_line in hosts if hosts is not None else [("", 0)]:
        repeated_host = host in seen_hosts
        seen_hosts.add(host)
        seen_styles: set[KeyStyle | None] = set()
        for style, style_line in styles if styles is not None else [(template.key_style, 0)]:
            repeated_style = style in seen_styles
            seen_styles.add(style)
            parts = [template.id]
            if hosts is not None:
                parts.append(host)
            if styles is not None and style is not None:
                parts.append(style.value)
            # A repeated id is reported at the host or style entry that repeats.
            if repeated_host:
                at = host_line
            elif repeated_style:
                at = style_line
            else:
                at = host_line or style_line or line
            probe = dataclasses.replace(
                template,
                id="/".join(parts),
                url=template.url.replace("{host}", host) if hosts is not None else template.url,
                key_style=style,
            )
            probes.append((probe, at))
    return probes


# --- one field each -------------------------------------------------------------------------------------


def _captures(fields: _Fields) -> tuple[Capture, ...]:
    """`capture: {name: [{body: REGEX} | {json: KEY} | {header: NAME} | {set-cookie: NAME} | {cookie: NAME}]}`."""
    value = fields.mapping.get("capture")
    if value is None:
        return ()
    shape = "a mapping of names to ways to capture them, like {sec_token: [{body: 'SEC_TOKEN: \"([^\"]+)'}]}"
    if not isinstance(value, _Map):
        fields.add("capture", f"'capture' must be {shape}, not {_show(value)}")
        return ()
    found: list[Capture] = []
    for name, ways in value.items():
        line = value.lines[name]
        if not _NAME.fullmatch(name):
            fields.add_at(line, f"capture name {_q(name)} must be lowercase letters, digits and '_', like sec_token")
            continue
        items = ways if isinstance(ways, list) else [ways]
        for way in items:
            if not isinstance(way, dict) or len(way) != 1:
                fields.add_at(line, f"capture {_q(name)}: each way must be one of {_one_of(_CAPTURE_SOURCES)}: ARG")
                continue
            ((source, arg),) = way.items()
            if source not in _CAPTURE_SOURCES:
                fields.add_at(line, _not_one_of(f"capture {_q(name)}: source", source, _CAPTURE_SOURCES))
                continue
            if not isinstance(arg, str) or not arg:
                fields.add_at(line, f"capture {_q(name)}: {source} needs a non-empty string, not {_show(arg)}")
                continue
            if source == CaptureSource.BODY.value:
                try:
                    re.compile(arg)
                except re.error as exc:
                    fields.add_at(line, f"capture {_q(name)}: body regex {_q(arg)} is invalid: {exc}")
                    continue
            found.append(Capture(name=name, source=CaptureSource(source), arg=arg))
    return tuple(found)


def _needs(fields: _Fields) -> tuple[str, ...]:
    value = fields.mapping.get("needs")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, str) and i for i in items):
        fields.add("needs", f"'needs' must be a probe id or a list of probe ids, not {_show(value)}")
        return ()
    return tuple(items)


def _bad_id(ident: Any) -> str:
    if not isinstance(ident, str):
        return f"id must be a string like 'dashscope-intl-policies', not {_show(ident)}"
    return (
        f"id {_q(ident)} must be lowercase letters, digits, '.', '_' or '-', "
        "starting with a letter or digit, like 'dashscope-intl-policies'"
    )


def _text(fields: _Fields, key: str, holds: str) -> str:
    if key not in fields.mapping:
        return ""  # reported as missing
    value = fields.mapping[key]
    if isinstance(value, str) and value.strip():
        return value
    fields.add(key, f"'{key}' must be a non-empty string ({holds}), not {_show(value)}")
    return ""


def _method(fields: _Fields) -> str:
    value = fields.mapping.get("method")
    if value is None:
        return "GET"
    if isinstance(value, str) and value.upper() in _METHODS:
        return value.upper()
    fields.add("method", _not_one_of("method", value, _METHODS))
    return "GET"


def _hosts(fields: _Fields) -> list[tuple[str, int]] | None:
    """None when no hosts are given; an empty list when they are given but unusable."""
    value = fields.mapping.get("hosts")
    if value is None:
        return None
    if not isinstance(value, _Seq) or not value:
        fields.add(
            "hosts",
            f"'hosts' must be a non-empty list of host names, like [dashscope.aliyuncs.com], not {_show(value)}",
        )
        return []
    hosts: list[tuple[str, int]] = []
    for host, line in zip(value, value.lines, strict=True):
        if isinstance(host, str) and _HOST.fullmatch(host):
            hosts.append((host, line))
        else:
            fields.add_at(
                line,
                f"host {_show(host)} in hosts is not a host name; "
                "write one like dashscope.aliyuncs.com, optionally with :port",
            )
    return hosts


def _url(fields: _Fields, hosts: list[tuple[str, int]] | None) -> str:
    if "url" not in fields.mapping:
        return ""  # reported as missing
    url = fields.mapping["url"]
    if not isinstance(url, str):
        fields.add("url", f"url must be a string like 'https://dashscope.aliyuncs.com/api/v1/...', not {_show(url)}")
        return ""
    if hosts is None and "{host}" in url:
        fields.add("url", f"url {_q(url)} contains {{host}} but there is no 'hosts' list; add hosts: [...]")
    elif hosts is not None and "{host}" not in url:
        fields.add("url", f"url {_q(url)} must contain {{host}} when 'hosts' is given, like https://{{host}}/path")
    elif _SPACE.search(capture_mod.PLACEHOLDER.sub("x", url)):
        fields.add("url", f"url {_q(url)} must not contain spaces or control characters; percent-encode them")
    elif not _is_http_url(capture_mod.PLACEHOLDER.sub("x", url.replace("{host}", "example.com"))):
        fields.add("url", f"url {_q(url)} must be http:// or https:// with a host")
    return url


def _is_http_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _scalar_text(value: Any) -> str | None:
    """A YAML scalar as text; None for anything else. Booleans are written as YAML and JSON write them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _headers(fields: _Fields) -> Pairs:
    value = fields.mapping.get("headers")
    if value is None:
        return ()
    if not isinstance(value, _Map):
        fields.add(
            "headers",
            "'headers' must be a mapping of header names to values, like {Accept: application/json}",
        )
        return ()
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        line = value.lines[name]
        text = _scalar_text(raw)
        if not _TOKEN.fullmatch(name):
            fields.add_at(line, f"header name {_q(name)} is not valid; use letters, digits and !#$%&'*+-.^_`|~ only")
        elif name.lower() in _CREDENTIAL_HEADERS:
            fields.add_at(
                line,
                f"header {_q(name)} is not allowed in headers: credentials come from auth:, never the catalogue",
            )
        elif text is None:
            fields.add_at(line, f"header {_q(name)} must have a text value (write '' for none), not {_show(raw)}")
        elif "\r" in text or "\n" in text:
            fields.add_at(line, f"header {_q(name)} must have a one-line value; remove the line breaks")
        else:
            pairs.append((name, text))
    return tuple(pairs)


def _body(fields: _Fields, method: str) -> Body | None:
    value = fields.mapping.get("body")
    if value is None:
        return None
    if not isinstance(value, _Map):
        fields.add("body", f"'body' must be a mapping with exactly one of 'json' or 'form', not {_show(value)}")
        return None
    _check_keys(fields, value, ("json", "form"), "body")
    kinds = [kind for kind in ("json", "form") if kind in value]
    if len(kinds) != 1:
        what = "has both 'json' and 'form'" if kinds else "has neither 'json' nor 'form'"
        fields.add("body", f"body {what}; give exactly one, like body: {{json: {{...}}}}")
        return None
    if method in _NO_BODY:
        fields.add("body", f"a body is not allowed on {method}; use method: POST (or PUT, PATCH), or remove the body")
        return None
    if kinds[0] == "json":
        text, error = _json_text(value["json"])
        if error:
            fields.add_at(value.lines["json"], f"body json cannot be sent as JSON ({error}); quote dates and binary")
            return None
        return Body(BodyKind.JSON, text)
    return _form(fields, value["form"], value.lines["form"])


def _json_text(value: Any) -> tuple[str, str]:
    """Compact JSON for `value`, or an empty text and the reason it cannot be encoded."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False), ""
    except (TypeError, ValueError, RecursionError) as exc:
        return "", str(exc)


def _form(fields: _Fields, value: Any, line: int) -> Body | None:
    if not isinstance(value, _Map):
        fields.add_at(line, f"body form must be a mapping of field names to values, not {_show(value)}")
        return None
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        if isinstance(raw, dict | list):
            text, error = _json_text(raw)
            if error:
                fields.add_at(value.lines[name], f"form field {_q(name)} cannot be encoded as JSON ({error})")
                continue
        else:
            text = "" if raw is None else _scalar_text(raw) or str(raw)
        pairs.append((name, text))
    return Body(BodyKind.FORM, urllib.parse.urlencode(pairs))


def _auth(fields: _Fields) -> tuple[Auth, KeyStyle | None, list[tuple[KeyStyle, int]] | None]:
    """The auth kind, the key style for a single probe, and the listed styles to expand into."""
    value = fields.mapping.get("auth")
    if value is None or value == "none":
        return Auth.NONE, None, None
    if value == "cookies":
        return Auth.COOKIES, None, None
    if value == "console-token":
        return Auth.CONSOLE_TOKEN, None, None
    if value == "key":
        return Auth.KEY, KeyStyle.BEARER, None
    if isinstance(value, _Map) and value:
        _check_keys(fields, value, ("key",), "auth")  # a mapping without 'key' has an unknown key to report
        if "key" in value:
            return _key_styles(fields, value["key"], value.lines["key"])
        return Auth.NONE, None, None
    options = ("none", "cookies", "console-token", "key", "{key: STYLE}", "{key: [STYLE, ...]}")
    fields.add("auth", f"{_not_one_of('auth', value, options)}, with STYLE one of {_one_of(_STYLES)}")
    return Auth.NONE, None, None


def _key_styles(
    fields: _Fields, value: Any, line: int
) -> tuple[Auth, KeyStyle | None, list[tuple[KeyStyle, int]] | None]:
    if not isinstance(value, _Seq):
        style = _key_style(fields, value, line)
        return Auth.KEY, style, None
    if not value:
        fields.add_at(line, f"auth key styles are an empty list; list at least one of {_one_of(_STYLES)}")
    styles: list[tuple[KeyStyle, int]] = []
    for item, item_line in zip(value, value.lines, strict=True):
        style = _key_style(fields, item, item_line)
        if style is not None:
            styles.append((style, item_line))
    return Auth.KEY, KeyStyle.BEARER, styles


def _key_style(fields: _Fields, value: Any, line: int) -> KeyStyle | None:
    if isinstance(value, str) and value in _STYLES:
        return KeyStyle(value)
    fields.add_at(line, _not_one_of("key style", value, _STYLES))
    return None


def _choice(fields: _Fields, mapping: _Map, key: str, options: Sequence[str], where: str) -> str | None:
    """The value of `key` if it is one of `options`; None (and no problem) when it is absent or null."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value in options:
        return value
    fields.add_at(mapping.lines[key], _not_one_of(f"{where}.{key}", value, options))
    return None


def _tags(fields: _Fields) -> Tags:
    value = fields.mapping.get("tags")
    if "tags" not in fields.mapping:
        return Tags(region="", surface="")  # reported as missing
    if not isinstance(value, _Map):
        fields.add(
            "tags",
            f"'tags' must be a mapping like {{region: intl, surface: api, cost: free}}, not {_show(value)}",
        )
        return Tags(region="", surface="")
    _check_keys(fields, value, ("region", "surface", "cost"), "tags")
    found: dict[str, str] = {}
    for key, options in (("region", _REGIONS), ("surface", _SURFACES)):
        choice = _choice(fields, value, key, options, "tags")
        if choice is None and value.get(key) is None:
            fields.add("tags", f"tags needs '{key}': one of {_one_of(options)}")
        found[key] = choice or ""
    cost = _choice(fields, value, "cost", _COSTS, "tags") or "free"
    return Tags(region=found["region"], surface=found["surface"], cost=cost)


def _expect(fields: _Fields) -> Expect | None:
    value = fields.mapping.get("expect")
    if value is None:
        return None
    if not isinstance(value, _Map) or not value:
        fields.add(
            "expect",
            "'expect' must be a mapping with 'status', 'class' or both, "
            f"like {{status: [404], class: not_found}}, not {_show(value)}",
        )
        return None
    _check_keys(fields, value, ("status", "class"), "expect")
    klass = _choice(fields, value, "class", _CLASSES, "expect")
    return Expect(statuses=_statuses(fields, value), klass=OutcomeClass(klass) if klass else None)


def _statuses(fields: _Fields, expect: _Map) -> tuple[int, ...]:
    value = expect.get("status")
    if value is None:
        return ()
    line = expect.lines["status"]
    items = zip(value, value.lines, strict=True) if isinstance(value, _Seq) else [(value, line)]
    if isinstance(value, _Seq) and not value:
        fields.add_at(line, "expect.status is an empty list; list the statuses you expect, like [200, 404]")
    statuses: list[int] = []
    for status, status_line in items:
        if type(status) is int and 100 <= status <= 599:
            statuses.append(status)
        else:
            fields.add_at(status_line, f"expect.status {_show(status)} is not an HTTP status; use integers 100-599")
    return tuple(statuses)


def select(probes: Sequence[Probe], patterns: Sequence[str]) -> tuple[Probe, ...]:
    """The probes whose id matches a glob pattern, plus every probe they need, in catalogue order."""
    if not patterns:
        return tuple(probes)
    by_id = {p.id: p for p in probes}
    wanted = [p.id for p in probes if any(fnmatch.fnmatchcase(p.id, pat) for pat in patterns)]
    if not wanted:
        raise ProberError(f"--select {' '.join(patterns)} matches no probe", "run `prober list` to see the probe ids")
    chosen: set[str] = set()
    while wanted:
        current = wanted.pop()
        if current not in chosen:
            chosen.add(current)
            wanted.extend(by_id[current].needs)
    return tuple(p for p in probes if p.id in chosen)
