"""The located YAML reader: a catalogue's text -> plain values that remember the line of every key and item."""

from __future__ import annotations

from collections.abc import Iterator
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

from prober.errors import CatalogueError

_MERGE = "tag:yaml.org,2002:merge"
# libyaml composes ~10x faster; pure PyYAML is the fallback and gives the clearer syntax messages.
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Duplicate = tuple[int, int, str, int]  # (index, line, key, first line)
Document = tuple[Any, int, list[Duplicate]]  # the value, the line it starts on, its duplicate keys


def quote(text: str) -> str:
    """Text as a message quotes it: in single quotes, cut at 80 characters, repr() when it would not print."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    return f"'{shown}'" if shown.isprintable() and "'" not in shown else repr(shown)


class Map(dict[str, Any]):
    """A YAML mapping that remembers where it was written and the line of each key."""

    __slots__ = ("end", "line", "lines", "start")

    def __init__(self, line: int, start: int, end: int) -> None:
        super().__init__()
        self.line = line
        self.start = start  # the text span, to find the probe that holds a duplicate key
        self.end = end
        self.lines: dict[str, int] = {}


class Seq(list[Any]):
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
                None, None, f"cannot read {quote(str(node.value))}: {exc}; quote it to keep it as text", node.start_mark
            ) from exc

    def construct_located_map(self, node: MappingNode) -> Iterator[Map]:
        data = Map(node.start_mark.line + 1, node.start_mark.index, node.end_mark.index)
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

    def construct_located_seq(self, node: SequenceNode) -> Iterator[Seq]:
        data = Seq()
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


def read(text: str, name: str) -> Document:
    """The document's value, the line it starts on, and its duplicate keys; a located CatalogueError for bad YAML.

    A plain document is read straight from parser events (`read_plain`); anything unusual goes to the composer
    (`read_composed`). tests/test_catalogue.py holds the two to the same result over every catalogue in the repo."""
    plain = read_plain(text)
    return plain if plain is not None else read_composed(text, name)


def read_composed(text: str, name: str) -> Document:
    """`read` through PyYAML's composer: slower and larger, but it reads anything YAML allows and words errors."""
    try:
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


_STR = "tag:yaml.org,2002:str"
_SCALARS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "binary", "timestamp"))


def read_plain(text: str) -> Document | None:
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

    def __init__(self, value: Map | Seq, depth: int) -> None:
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
        self.duplicates: list[tuple[int, Duplicate]] = []  # (depth, duplicate)

    def read(self) -> Document:
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
                self._start(Map(event.start_mark.line + 1, event.start_mark.index, 0), event, MappingNode)
            elif kind is SequenceStartEvent:
                self._start(Seq(), event, SequenceNode)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                closed = self.open.pop().value
                if isinstance(closed, Map):
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

    def _start(self, value: Map | Seq, event: Any, kind: type[Node]) -> None:
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
        if isinstance(into, Seq):
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
        if isinstance(value, Map | Seq):
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
