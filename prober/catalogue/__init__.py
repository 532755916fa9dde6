"""Read probes.yaml into a validated Catalogue; every problem is reported as `file:line: probe 'id': what`.

The package, one job per module: `reader` (YAML with line numbers), `problems` (the collector and how values are
shown), `checks` and `expect` (one field each), `probes` (the document: defaults, probes, ids, expansion), `graph`
(`needs`, placeholders and where credentials may go), `selection`, `listing` (what `prober list` shows) and `schema`.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path

from prober import inputs
from prober.catalogue import graph, probes, reader
from prober.catalogue.problems import Problems, report_duplicates
from prober.catalogue.reader import ALIAS_LIMIT
from prober.catalogue.selection import select
from prober.errors import CatalogueError
from prober.model import Catalogue

__all__ = ["ALIAS_LIMIT", "Rules", "load", "parse", "select"]


@dataclass(frozen=True, slots=True)
class Rules:
    """What `prober check` and `prober run` hold a catalogue to beyond its shape, in the same pass: the key and the
    console token only where they may go (`--allow-key-host` adds hosts), no credential over plain http (unless
    `--allow-insecure`), and with `strict` (`check --strict`, the shipped catalogue's standard) a `source:`, a
    `tags.region` and a `tags.surface` on every probe."""

    allow_key_hosts: tuple[str, ...] = ()
    allow_insecure: bool = False
    strict: bool = False


def load(path: Path | str, rules: Rules | None = None) -> Catalogue:
    """Read and validate the catalogue at `path`; raise CatalogueError naming every problem. Without `rules`, where
    the key and the console token go is left to the caller (prober/scope.py `problems`)."""
    name = str(path)
    data = inputs.read_bytes(
        Path(path),
        inputs.CATALOGUE_LIMIT,
        "catalogue",
        CatalogueError,
        "check the path and that the file is readable, or pass the catalogue you meant",
    )
    try:
        if not data.isascii():
            data.decode("utf-8")  # only to refuse what is not UTF-8: the reader reads the bytes themselves
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"{name}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})",
            hint="save the catalogue as UTF-8",
        ) from exc
    return _parse(data, name, hashlib.sha256(data).hexdigest(), rules)


def parse(text: str, name: str = "probes.yaml", rules: Rules | None = None) -> Catalogue:
    """Validate catalogue `text` as if read from a file called `name`."""
    data = text.encode("utf-8", "surrogatepass")
    return _parse(data, name, hashlib.sha256(data).hexdigest(), rules)


def _parse(data: bytes, name: str, sha256: str, rules: Rules | None) -> Catalogue:
    # The cyclic GC would rescan every value read so far again and again while a catalogue is read: with it on,
    # 5,000 probes took 10x as long as 1,000. Any cycles (YAML aliases) are collected once it is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _validate(data, name, sha256, rules)
    finally:
        if collecting:
            gc.enable()


def _validate(data: bytes, name: str, sha256: str, rules: Rules | None) -> Catalogue:
    """`data`: UTF-8, or (`parse`) text with lone surrogates encoded as if they were characters."""
    strict = rules is not None and rules.strict
    problems = Problems(name)
    # Each probe is checked as soon as it is read, and its located values dropped: 10,000 probes never exist as a
    # whole tree of values. What only the composer reads is checked from its whole tree instead.
    checker: probes.Checker | None = probes.Checker(problems, strict)
    try:
        plain = reader.read_plain(data, checker)
    except reader.Reread:  # a `defaults:` after the probes: they are checked again, from the whole tree
        plain, checker = reader.read_plain(data), None
    if plain is None:
        plain, checker = reader.read_composed(data.decode("utf-8", "surrogatepass"), name), None
    root, root_line, duplicates = plain
    if checker is not None:
        document = checker.finish(root, root_line)
    else:
        problems = Problems(name)
        document = probes.check(root, root_line, problems, strict)
    del plain, root, checker
    resolved = graph.check(document, problems)
    if rules is not None:
        graph.check_scope(document, resolved, problems, rules.allow_key_hosts, rules.allow_insecure)
    report_duplicates(duplicates, document.spans, problems)
    if problems.found:
        messages = problems.messages()
        raise CatalogueError(messages[0], hint=_hint(name, len(messages)), problems=messages)
    return Catalogue(path=name, sha256=sha256, probes=tuple(resolved))


def _hint(name: str, count: int) -> str:
    if count == 1:
        return f"fix it, then run `prober check {name}` to validate the catalogue again"
    return f"{count} problems in all; run `prober check {name}` to see every problem"
