"""Every citation resolves: anchors cited from the repository exist in docs/vendor.md; no machine path is tracked."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from prober.replica import behaviours, scenarios

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "docs" / "vendor.md"
CATALOGUE = ROOT / "probes.yaml"

# docs/vendor.md's one anchor scheme: explicit `<a id="..."></a>` tags, never heading-derived ids.
_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
# A citation cut short by a report's cap ("docs/vendor.md#s…") is not a citation.
_CITATION = re.compile(r"docs/vendor\.md#([A-Za-z0-9_-]+)(?![A-Za-z0-9_-]*…)")
# On a line that cites docs/vendor.md, a further `#name` is shorthand for another anchor of the same page
# ("docs/vendor.md#shapes, #errors-console"). Issue numbers (#612) start with a digit and are not anchors.
_SHORTHAND = re.compile(r"(?<![\w/&#])#([a-z][a-z0-9-]*)")
_LINK = re.compile(r"\]\(#([^)]*)\)")

# Where citations live: the catalogue, the package, the tests, the docs and the committed reports.
_CITING = ("probes.yaml", "README.md", "prober/**/*.py", "tests/**/*.py", "docs/**/*.md", "reports/*.md")

# Citations of the research notes this project started from, which are not in the repository: section letters
# and numbers ("reference A1 row 3", "reference (b)", "C4 FAQ", "(f) item 6", "section 0 item 2").
_OUTSIDE = re.compile(
    r"\b[Rr]eference\s+(?:section\s+)?(?:[A-Ga-g]\d*\b|\([a-g]\)|0\.\d)"
    r"|\b(?:A[1-7]|C[1-5]|G(?:1[0-2]|[1-9]))(?:'|′)?\s+(?:row|rows|FAQ|note)\b"
    r"|\(f\)\s*item|\bf item \d|\bsection \(?[a-g]\)?[ ,]"
)
# Files that must cite only docs/vendor.md or public URLs.
_VENDOR_FACTS = (
    "probes.yaml",
    "prober/vendor.py",
    "prober/shapes.py",
    "prober/quota.py",
    "prober/replica/**/*.py",
    "prober/demo.py",
)


def anchors() -> list[str]:
    return _ANCHOR.findall(VENDOR.read_text(encoding="utf-8"))


def citing_files() -> Iterator[Path]:
    seen: set[Path] = set()
    for pattern in _CITING:
        for path in sorted(ROOT.glob(pattern)):
            # This file holds deliberately broken citations to prove the check works.
            if path.is_file() and path not in seen and ".venv" not in path.parts and path != Path(__file__).resolve():
                seen.add(path)
                yield path


def cited(text: str) -> Iterator[tuple[int, str]]:
    """(line number, anchor) for every docs/vendor.md anchor a text cites."""
    for number, line in enumerate(text.splitlines(), 1):
        found = _CITATION.findall(line)
        if not found:
            continue
        yield from ((number, name) for name in found)
        rest = _CITATION.sub("", line)
        yield from ((number, name) for name in _SHORTHAND.findall(rest))


def test_anchors_are_unique_and_well_formed() -> None:
    names = anchors()
    assert len(names) > 50
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, duplicates
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name) for name in names), names


def test_links_inside_docs_vendor_resolve() -> None:
    known = set(anchors())
    missing = sorted({name for name in _LINK.findall(VENDOR.read_text(encoding="utf-8")) if name not in known})
    assert not missing, f"docs/vendor.md links to anchors it does not define: {missing}"


def test_every_cited_anchor_exists() -> None:
    known = set(anchors())
    missing = [
        f"{path.relative_to(ROOT)}:{number}: docs/vendor.md#{name}"
        for path in citing_files()
        for number, name in cited(path.read_text(encoding="utf-8"))
        if name not in known
    ]
    assert not missing, "cited anchors missing from docs/vendor.md:\n" + "\n".join(missing)


def test_the_anchor_check_catches_a_missing_anchor() -> None:
    known = set(anchors())
    text = 'source: "docs/vendor.md#console-rpc and docs/vendor.md#no-such-anchor"\n# docs/vendor.md#shapes, #nope'
    assert [name for _, name in cited(text) if name not in known] == ["no-such-anchor", "nope"]
    assert [name for _, name in cited("CodexBar #612 and #2370, docs/vendor.md#shapes")] == ["shapes"]


def test_every_catalogue_source_points_to_docs_vendor_or_a_public_url() -> None:
    document = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    bad = [
        probe["id"]
        for probe in document["probes"]
        if "docs/vendor.md#" not in probe["source"] and "https://" not in probe["source"]
    ]
    assert not bad, f"sources citing neither docs/vendor.md#<anchor> nor a public URL: {bad}"


def test_every_replica_behaviour_cites_docs_vendor_or_a_public_url() -> None:
    every = {b.name: b for s in scenarios.SCENARIOS.values() for b in s.behaviours}
    assert set(every) >= {b.name for b in behaviours.BEHAVIOURS}
    bad = [name for name, b in every.items() if "docs/vendor.md#" not in b.source and "https://" not in b.source]
    assert not bad, f"replica behaviours citing neither docs/vendor.md#<anchor> nor a public URL: {bad}"


def test_no_citation_points_at_the_research_notes() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r}"
        for pattern in _VENDOR_FACTS
        for path in sorted(ROOT.glob(pattern))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in _OUTSIDE.finditer(line)
    ]
    assert not found, "citations of a document outside the repository:\n" + "\n".join(found)
    for sample in ("reference A1 row 3", "reference (b)", "Reference C5", "C4 FAQ", "(f) item 6", "A1' row"):
        assert _OUTSIDE.search(sample), sample


# Built from parts, so that this file does not contain what it looks for.
_MACHINE_PATHS = ("/" + "work/", ".." + "/shared")


def _repository_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_names_a_machine_path() -> None:
    """Paths of the machine a file was written on mean nothing to someone who clones the project."""
    offenders = []
    for name in _repository_files():
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if any(machine in line for machine in _MACHINE_PATHS):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not offenders, "machine paths in tracked files:\n" + "\n".join(offenders)
