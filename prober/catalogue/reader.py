"""The located YAML reader: a catalogue's text -> plain values that remember the line of every key and item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

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

    def __init__(self, line: int, start: int, end: int) -> None:  # an empty dict: no dict.__init__ to call
        self.line = line
        self.start = start  # the text span, to find the probe that holds a duplicate key
        self.end = end
        self.lines: dict[str, int] = {}


class Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
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


def read_composed(text: str, name: str) -> Document:
    """The document's value, the line it starts on, and its duplicate keys, through PyYAML's composer; a located
    CatalogueError for bad YAML. Slower and larger than `read_plain`, but it reads anything YAML allows and words
    errors; tests/test_catalogue_features.py holds the two to the same result over every catalogue in the repo."""
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
_PLAIN = (True, False)  # a plain scalar's `implicit`, for the resolver
_MISSING = object()
# Distinct plain scalars remembered per read: keys and repeated values (GET, intl, ...) are resolved once and shared
# by every probe that writes them; ids past the first few thousand are not kept.
_REMEMBERED = 4096


class Reread(Exception):
    """Raised by `read_plain` with a sink when the document writes a `defaults:` after its probes, or a second
    `probes:`: the probes the sink was given were checked without what they need. Read the whole tree instead."""


class Sink(Protocol):
    """Takes the items of the top-level `probes:` list one at a time, as the reader finishes each, so that each
    probe's located values are checked and dropped before the next is read (prober/catalogue/probes.py `Checker`)."""

    def begin(self, top: Map) -> None:
        """The `probes:` list starts; `top` holds the top-level keys written before it."""

    def item(self, value: Any, line: int) -> None:
        """One whole item of the list, and the line it starts on."""


def read_plain(text: str | bytes, sink: Sink | None = None) -> Document | None:
    """The document read straight from parser events, or None when only the full composer reads it right.
    `text` may be given as its UTF-8 bytes: libyaml reads those without a copy.

    With a `sink`, the items of the top-level `probes:` list go to it as each is read, and the document's `probes`
    is left an empty list; it raises Reread when the probes turn out to need their whole tree."""
    # Composing keeps every node, with two marks each, until the document ends: ~100 MB for 10,000 probes.
    # Events are dropped as soon as they are used, so a plain document costs only the values it holds, and with a
    # sink only the probe being read.
    try:
        loader = _FAST(text)  # refuses lone surrogates
    except UnicodeError:
        return None
    try:
        return _EventReader(loader).read(sink)
    except Reread:
        raise
    except Exception:  # anything unusual, errors included: the full composer reads it and reports it exactly
        return None
    finally:
        loader.dispose()


class _EventReader:
    """Build the same located values as `_Builder`, one parser event at a time."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.resolvers: dict[Any, Any] = loader.yaml_implicit_resolvers

    def read(self, sink: Sink | None) -> Document:
        """The document's value, the line it starts on, and its duplicate keys in SafeConstructor's order."""
        get = self.loader.get_event
        get()  # StreamStartEvent
        if type(get()) is StreamEndEvent:
            return None, 1, []
        map_tag, seq_tag = self.loader.DEFAULT_MAPPING_TAG, self.loader.DEFAULT_SEQUENCE_TAG
        plain: dict[str, Any] = {}  # a plain scalar's text -> its value
        # The first characters a resolver claims (a number, true, null...): any other plain scalar is text.
        claimed = self.resolvers
        if None in claimed:
            raise _Unusual  # a resolver for any first character: the composer resolves every scalar
        duplicates: list[tuple[int, Duplicate]] = []  # (depth, duplicate)
        root: Any = None
        root_line = 1
        streaming = False  # the sink has been given the `probes:` list
        # The innermost open mapping or sequence, kept in locals; `stack` holds the ones around it.
        stack: list[tuple[Any, Any, bool, bool, int, dict[str, int] | None]] = []
        into: Any = None
        lines: Any = None  # `into.lines`
        is_map = False
        streamed = False  # `into` is the top-level `probes:` list, whose items go to the sink
        start_line = 0  # the line `into` starts on
        key: str | None = None  # a mapping's key waiting for its value
        key_line = 0
        firsts: dict[str, int] | None = None  # the line each repeated key was first written on
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None:
                    raise _Unusual
                text: str = event.value
                tag = event.tag
                if tag is not None and tag != "!":
                    value = self._construct(tag, text)
                elif event.implicit[0]:
                    value = plain.get(text, _MISSING)
                    if value is _MISSING:
                        value = text if text[:1] not in claimed else self._resolve(text)
                        if len(plain) < _REMEMBERED:
                            plain[text] = value
                else:  # quoted: text whatever it says, and not remembered (most are one of a kind: URLs, sentences)
                    value = text
                if key is not None:  # a mapping's value (a key waits only in a mapping): its key's line is kept
                    into[key] = value
                    lines[key] = key_line
                    key = None
                    continue
                mark = event.start_mark
                line = mark.line + 1
                if is_map:  # a key (most scalars read here)
                    key = value if type(value) is str else _key_text(value)
                    key_line = line
                    if not stack and streaming and key in ("probes", "defaults"):
                        raise Reread  # the probes already checked would need what comes after them
                    if key in lines:  # the keys of `into` (a dict's `in`: a Map's goes through its class)
                        if firsts is None:
                            firsts = {}
                        first = firsts.setdefault(key, lines[key])
                        duplicates.append((len(stack), (mark.index, line, key, first)))
                elif into is None:
                    root, root_line = value, line
                elif streamed:
                    sink.item(value, line)  # type: ignore[union-attr]  # streamed only with a sink
                else:
                    into.append(value)
                    lines.append(line)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                tag = event.tag
                mapping = kind is MappingStartEvent
                if event.anchor is not None or tag not in (None, "!", map_tag if mapping else seq_tag):
                    raise _Unusual
                mark = event.start_mark
                line = mark.line + 1
                value = Map(line, mark.index, 0) if mapping else Seq()
                opens_stream = False
                if into is None:
                    root, root_line = value, line
                else:
                    if not is_map:
                        if not streamed:  # an item of the streamed list goes to the sink once it ends
                            into.append(value)
                            lines.append(line)
                    elif key is None:
                        raise _Unusual  # a mapping or list as a key
                    else:
                        opens_stream = sink is not None and not mapping and not stack and key == "probes"
                        into[key] = value
                        lines[key] = key_line
                        key = None
                    stack.append((into, lines, is_map, streamed, start_line, firsts))
                into, lines, is_map, streamed, start_line, firsts = (
                    value,
                    value.lines,
                    mapping,
                    opens_stream,
                    line,
                    None,
                )
                if opens_stream:
                    streaming = True
                    sink.begin(root)  # type: ignore[union-attr]
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                if kind is MappingEndEvent:
                    into.end = event.end_mark.index
                if stack:
                    closed, closed_line = into, start_line
                    into, lines, is_map, streamed, start_line, firsts = stack.pop()
                    key = None
                    if streamed:
                        sink.item(closed, closed_line)  # type: ignore[union-attr]
            elif kind is DocumentEndEvent:
                break
            else:
                raise _Unusual  # an alias
        if not isinstance(get(), StreamEndEvent):
            raise _Unusual  # a second document
        # SafeConstructor fills mappings level by level, so it notes shallower duplicates first.
        duplicates.sort(key=lambda found: found[0])
        return root, root_line, [duplicate for _, duplicate in duplicates]

    def _resolve(self, text: str) -> Any:
        """A plain scalar's value, as its resolved tag makes it."""
        return self._construct(self.loader.resolve(ScalarNode, text, _PLAIN), text)

    def _construct(self, tag: str, text: str) -> Any:
        """The scalar's value for its resolved or explicit tag, as SafeConstructor builds it."""
        if tag == _STR:
            return text
        if tag not in _SCALARS:
            raise _Unusual  # merge and value keys, and tags SafeConstructor refuses
        node = ScalarNode(tag, text, None, None)  # no marks: errors go the full composer's way
        return SafeConstructor.yaml_constructors[tag](self.loader, node)


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
