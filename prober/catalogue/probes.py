"""The catalogue document: its top level, `defaults:` merged under each probe, each probe's fields, ids, expansion."""

from __future__ import annotations

import dataclasses
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

from prober.catalogue import checks
from prober.catalogue.expect import expect
from prober.catalogue.problems import Fields, Problems, check_keys, q, show
from prober.catalogue.reader import Map, Seq
from prober.model import KeyStyle, Probe, Tags

TOP_KEYS = ("version", "defaults", "probes")
PROBE_KEYS = (
    "id",
    "description",
    "method",
    "url",
    "query",
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
DEFAULT_KEYS = tuple(key for key in PROBE_KEYS if key != "id")
# Mappings merged one level deep: a probe's entries go over the defaults' (a probe adds a header, a tag or a query
# parameter without repeating the rest). Every other key a probe gives replaces the default whole.
MERGED = ("headers", "query", "tags")
_PROBE_KEY_SET = frozenset(PROBE_KEYS)
_REQUIRED = (  # key, what it holds: for the "missing" message
    ("id", "a unique name like 'dashscope-intl-policies'"),
    ("description", "what the probe checks, in words"),
    ("url", "the http:// or https:// URL to probe"),
)
_REQUIRED_STRICT = (*_REQUIRED, ("source", "where this endpoint is documented"))
_NONE: frozenset[str] = frozenset()
_REMEMBERED_KEY_LISTS = 256


# An expanded probe, the line that made its id, its label in messages and the id it was written with. A plain tuple,
# not a NamedTuple: one is made for each probe, and a NamedTuple's __new__ (Python code) costs 3 k instructions more.
Located = tuple[Probe, int, str, str]


class Document(NamedTuple):
    """What the checks found: the probes that parsed, the ids of every probe written (parsed or not, so that a
    `needs` of a broken probe is not reported as unknown too), and each probe mapping's text span with its label."""

    located: list[Located]
    written: set[str]
    spans: list[tuple[int, int, str]]


# The parts of the check, in the order in which problems on one line are listed (`Problems.part`): the top level's
# keys, its version, the defaults, the probes list, each probe, then the needs and scopes (prober/catalogue/graph.py).
_TOP, _VERSION, _DEFAULTS, _LIST, _PROBES, _AFTER = range(6)


def check(root: Any, root_line: int, problems: Problems, strict: bool) -> Document:
    """Check every probe of the document, whatever the others hold: every problem is found in one pass."""
    checker = Checker(problems, strict)
    if isinstance(root, Map) and isinstance(root.get("probes"), Seq):
        items = root["probes"]
        checker.begin(root)
        for item, line in zip(items, items.lines, strict=True):
            checker.item(item, line)
    return checker.finish(root, root_line)


class Checker:
    """Check a document's probes one at a time as the reader finishes each (`begin`, then `item` for each: a
    prober/catalogue/reader.py `Sink`), then its top level once it is whole (`finish`). `check` gives the same
    items from a whole tree: the probes and the problems, in their order, are the same either way."""

    def __init__(self, problems: Problems, strict: bool) -> None:
        self.problems = problems
        self.strict = strict
        self.document = Document([], set(), [])
        self.defaults: Map | None = None
        self.begun = False
        self.count = 0  # the probes list's items so far
        self.ids: dict[str, int] = {}  # every id so far and the line that made it
        self.tags: dict[tuple[object, ...], Tags] = {}  # checks.tags `seen`
        # The key lists of probes written without an unknown or missing key (`_check_keys`).
        self.key_lists: set[tuple[str, ...]] = set()

    def begin(self, top: Map) -> None:
        """The probes list starts: check the `defaults:` that each probe is merged over."""
        self.begun = True
        self.problems.part = _DEFAULTS
        self.defaults = _defaults(Fields(top, "", self.problems))
        self.problems.part = _PROBES

    def item(self, item: Any, line: int) -> None:
        """Check the next probe of the list; keep what it expands into unless it or its ids have a problem."""
        self.count += 1
        document, problems = self.document, self.problems
        label, base, base_line, expanded = _check_probe(item, line, self.count, self, problems)
        if isinstance(item, Map):
            document.spans.append((item.start, item.end, label))
        if base is not None:
            document.written.add(base)
            if not _remember_id(base, base_line, label, self.ids, problems):
                return
        if len(expanded) == 1 and expanded[0][0].id == base:  # most probes: one, with the id just remembered
            probe, probe_line = expanded[0]
            document.located.append((probe, probe_line, label, base))
            return
        repeated: set[str] = set()  # report an id that a probe's expansion repeats only once
        for probe, probe_line in expanded:
            if probe.id in repeated:
                continue
            if probe.id != base and not _remember_id(probe.id, probe_line, label, self.ids, problems):
                repeated.add(probe.id)
                continue
            document.located.append((probe, probe_line, label, base or ""))

    def finish(self, root: Any, root_line: int) -> Document:
        """Check the top level, now that it is whole, and give what the checks found."""
        problems = self.problems
        problems.part = _TOP
        if root is None:
            problems.add(root_line, "the catalogue is empty; write 'version: 1' and a 'probes:' list")
        elif not isinstance(root, Map):
            problems.add(
                root_line, f"the catalogue must be a mapping with 'version: 1' and 'probes:', not {show(root)}"
            )
        else:
            if not self.begun:
                self.begin(root)
            # Checked before the defaults in the whole-tree order: a problem of the top level's keys or version is
            # never reported as the defaults' own, whatever its line.
            shared, problems.shared = problems.shared, range(0)
            problems.part = _TOP
            top = Fields(root, "", problems)
            suggested = check_keys(top, root, TOP_KEYS)
            problems.part = _VERSION
            _check_version(top, suggested)
            problems.shared = shared
            problems.part = _LIST
            _check_list(top, suggested, self.count)
        problems.part = _AFTER
        return self.document


def _remember_id(ident: str, line: int, label: str, ids: dict[str, int], problems: Problems) -> bool:
    """Note the first line of `ident`; report it and return False if it was seen before (once per id and line)."""
    if ident not in ids:
        ids[ident] = line
        return True
    problems.add(line, f"duplicate id {q(ident)} (first at line {ids[ident]}); every probe id must be unique", label)
    return False


def _check_version(top: Fields, suggested: set[str]) -> None:
    if "version" not in top.mapping:
        if "version" not in suggested:
            top.add_at(top.mapping.line, "missing required key 'version'; add 'version: 1' at the top")
        return
    version = top.mapping["version"]
    if type(version) is not int or version != 1:
        top.add("version", f"version must be 1, not {show(version)}")


def _defaults(top: Fields) -> Map | None:
    """The `defaults:` mapping, its keys checked; problems in its values are then reported once, at its lines."""
    value = top.mapping.get("defaults")
    if value is None:
        return None
    if not isinstance(value, Map):
        top.add(
            "defaults",
            "'defaults' must be a mapping of probe keys (any but id), like {auth: key, tags: {region: intl}}, "
            f"not {show(value)}",
        )
        return None
    if "id" in value:
        top.add_at(value.lines["id"], "defaults cannot hold 'id': every probe names its own")
    check_keys(top, value, (*DEFAULT_KEYS, "id"), "defaults")
    top.problems.shared = range(value.line, _last_line(value) + 1)
    return value


def _last_line(value: Any) -> int:
    if isinstance(value, Map):
        return max((max(line, _last_line(value[key])) for key, line in value.lines.items()), default=value.line)
    if isinstance(value, Seq):
        return max((max(line, _last_line(item)) for item, line in zip(value, value.lines, strict=True)), default=0)
    return 0


def _check_list(top: Fields, suggested: set[str], count: int) -> None:
    """The `probes:` key: given, a list, and (`count` items) not empty."""
    if "probes" not in top.mapping:
        if "probes" not in suggested:
            top.add_at(top.mapping.line, "missing required key 'probes'; add a list of probes")
        return
    items = top.mapping["probes"]
    if not isinstance(items, Seq):
        top.add(
            "probes",
            f"'probes' must be a list of probes (each item starting with '- id:'), not {show(items)}",
        )
    elif not count:
        top.add("probes", "'probes' is empty; add at least one probe")


def merged(item: Map, defaults: Map | None) -> Map:
    """The probe's mapping over the defaults, each key remembering the line it came from."""
    if not defaults:
        return item
    out = Map(item.line, item.start, item.end)
    for source in (defaults, item):
        for key, value in source.items():
            if key == "id" and source is defaults:
                continue
            below = out.get(key)
            if key in MERGED and isinstance(below, Map) and isinstance(value, Map):
                inner = Map(value.line, value.start, value.end)
                for part in (below, value):
                    for name, entry in part.items():
                        inner[name] = entry
                        inner.lines[name] = part.lines[name]
                out[key] = inner
            else:
                out[key] = value
            out.lines[key] = source.lines[key]
    return out


def _check_probe(
    item: Any, line: int, index: int, checker: Checker, problems: Problems
) -> tuple[str, str | None, int, list[tuple[Probe, int]]]:
    """The probe's label, its valid id or None, the id's line, and its expansion (empty on any problem)."""
    defaults, strict = checker.defaults, checker.strict
    if not isinstance(item, Map):
        problems.add(line, f"must be a mapping with id, description and url, not {show(item)}", f"#{index}")
        return f"#{index}", None, line, []
    ident = item.get("id")
    base = ident if isinstance(ident, str) and checks.ID.fullmatch(ident) else None
    fields = Fields(merged(item, defaults), f"'{base}'" if base else f"#{index}", problems)
    suggested = _check_keys(fields, item, checker)
    mapping = fields.mapping
    if "id" in item and base is None:
        fields.add("id", checks.bad_id(ident))
    description = checks.text(fields, "description", "what the probe checks")
    source = checks.text(fields, "source", "where this endpoint is documented")
    method = checks.method(fields)
    # The keys most probes leave out are checked only when written: each check gives these values for a missing key.
    hosts = checks.hosts(fields) if "hosts" in mapping else None
    url = checks.url(fields, hosts)
    headers = checks.headers(fields) if "headers" in mapping else ()
    body = checks.body(fields, method) if "body" in mapping else None
    auth, key_style, styles = checks.auth(fields)
    tags = checks.tags(fields, strict and "tags" not in suggested, checker.tags)
    expected = expect(fields) if "expect" in mapping else None
    captures = checks.captures(fields) if "capture" in mapping else ()
    needs = checks.needs(fields) if "needs" in mapping else ()
    id_line = fields.line("id")
    if fields.failed or base is None:
        return fields.probe, base, id_line, []
    # In Probe's field order (id, description, ..., needs): a frozen dataclass takes 13 keywords for a quarter more
    # than 13 positions. tests/test_catalogue_reading.py gives each field its own value to pin the order.
    template = Probe(
        base, description, method, url, headers, body, auth, key_style, tags, expected, source, captures, needs
    )
    return fields.probe, base, id_line, _expand(template, id_line, hosts, styles)


def _check_keys(fields: Fields, item: Map, checker: Checker) -> AbstractSet[str]:
    """Report the probe's unknown keys and missing ones; give the known keys suggested for unknown ones, which are
    not reported missing. Both depend only on the keys the probe writes (the defaults are the same for every probe):
    most probes write one of a few key lists, each checked once (tests/test_catalogue_reading.py pins it)."""
    keys = tuple(item)
    if keys in checker.key_lists:
        return _NONE
    before = fields.problems.added
    suggested = set() if _PROBE_KEY_SET.issuperset(item) else check_keys(fields, item, PROBE_KEYS)
    mapping = fields.mapping
    for key, holds in _REQUIRED_STRICT if checker.strict else _REQUIRED:
        if key not in mapping and key not in suggested:
            fields.add_at(item.line, f"missing required key '{key}' ({holds})")
    if fields.problems.added == before and len(checker.key_lists) < _REMEMBERED_KEY_LISTS:
        checker.key_lists.add(keys)
    return suggested


def _expand(
    template: Probe,
    line: int,
    hosts: list[tuple[str, int]] | None,
    styles: list[tuple[KeyStyle, int]] | None,
) -> list[tuple[Probe, int]]:
    """One probe per host and key style (hosts outer), each with the line that makes its id."""
    if hosts is None and styles is None:
        return [(template, line)]
    probes: list[tuple[Probe, int]] = []
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
