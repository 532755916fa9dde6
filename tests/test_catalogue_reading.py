"""Reading a catalogue probe by probe: each probe is checked as soon as the event reader has read it, and its located
values are dropped before the next is read (the time and memory of loading 10,000 probes). The result, every problem
and the order of the problems are the same as checking the whole tree; the guards count work and bytes, never time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tracemalloc
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import capture as capture_mod
from prober import catalogue
from prober.catalogue import checks, graph, probes, reader
from prober.catalogue.expect import expect
from prober.catalogue.probes import Checker, Document
from prober.catalogue.problems import Fields, Problems
from prober.errors import CatalogueError
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Capture,
    CaptureSource,
    Cost,
    Expect,
    KeyStyle,
    Probe,
    Region,
    Surface,
    Tags,
)
from tests.counting import calls
from tests.test_performance import _generated

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "catalogues"

Checked = tuple[Document, tuple[str, ...], list[reader.Duplicate]]


def _streamed(text: str, strict: bool) -> Checked | None:
    """The document checked probe by probe as it is read; None when only the whole tree can be checked."""
    problems = Problems("p.yaml")
    checker = Checker(problems, strict)
    try:
        read = reader.read_plain(text, checker)
    except reader.Reread:
        return None
    if read is None:
        return None
    return checker.finish(read[0], read[1]), problems.messages(), read[2]


def _whole(text: str, strict: bool) -> Checked:
    """The document checked from its whole tree, as the composer reads it."""
    problems = Problems("p.yaml")
    root, line, duplicates = reader.read_composed(text, "p.yaml")
    return probes.check(root, line, problems, strict), problems.messages(), duplicates


def _agree(text: str) -> bool:
    """Assert the two ways agree on `text` (strict or not); True when the probe-by-probe way could read it."""
    streamed = [_streamed(text, strict) for strict in (False, True)]
    if streamed[0] is None:
        return False
    for strict, found in zip((False, True), streamed, strict=True):
        assert found == _whole(text, strict)
    return True


def _catalogues() -> list[Path]:
    return [ROOT / "probes.yaml", *sorted(DATA.rglob("*.yaml"))]


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_checking_probe_by_probe_agrees_with_the_whole_tree(path: Path) -> None:
    _agree(path.read_text(encoding="utf-8"))


def test_most_catalogues_are_checked_probe_by_probe() -> None:
    read = [p for p in _catalogues() if _streamed(p.read_text(encoding="utf-8"), strict=False) is not None]
    assert len(read) > len(_catalogues()) * 3 // 4


# Problems of every part of the check on one line: the top level's keys and version, the defaults, the probes list
# and each probe. Probe by probe, the probes are checked before the top level is whole; the order must not show it.
ONE_LINE = [
    "{probes: [{id: a, url: 'ftp://x', methd: GET}], version: 2, extra: 1}",
    "{defaults: {method: FECTH, tags: {region: eu}}, probes: [{id: a, description: d, url: 'https://a.test/'}]}",
    "{defaults: {id: x, tags: {regoin: intl}}, probes: [{id: a}, {id: a}, 5], probe: []}",
    "{version: 1, defaults: {method: FECTH}, probes: [{description: d, url: 'https://a.test/', tags: {}}]}",
    "{version: 1, probes: [], defaults: {}}",
    "{probes: [{id: a, description: d, url: 'https://a.test/{{ t }}', needs: b}, {id: b, needs: a}]}",
]


@pytest.mark.parametrize("text", ONE_LINE)
def test_problems_on_one_line_keep_their_order(text: str) -> None:
    _agree(text)


_KEYS = st.sampled_from(
    ["version", "probes", "defaults", "id", "description", "method", "url", "hosts", "headers", "auth", "key"]
    + ["tags", "region", "surface", "cost", "team", "regoin", "expect", "status", "source", "needs", "query"]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 600)
    | st.text(max_size=8)
    | st.sampled_from(
        ["a", "b", "GET", "FECTH", "https://a.test/x", "https://{host}/y", "intl", "eu", "api", "free", "key", "none"]
    )
)
_VALUES: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)
_PROBE = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "c", "Bad"]), "description": st.just("d"), "url": st.just("https://a.test/")},
    optional={
        "tags": st.sampled_from([{"region": "intl", "surface": "api"}, {"region": "eu"}, {}, {"team": "x"}]),
        "source": st.just("s"),
        "needs": st.sampled_from(["a", "b", "zz"]),
    },
)
_DOCUMENT = st.dictionaries(
    st.sampled_from(["version", "defaults", "probes", "extra"]),
    st.lists(_PROBE | st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=4)
    | st.sampled_from([1, 2, {"method": "FECTH"}, {"tags": {"region": "intl"}}, {"id": "x"}])
    | _VALUES,
)


@settings(max_examples=200, deadline=None)
@given(_DOCUMENT, st.sampled_from([None, True, False]))
def test_any_document_is_checked_alike_either_way(document: dict[str, Any], flow: bool | None) -> None:
    _agree(yaml.safe_dump(document, default_flow_style=flow, sort_keys=False, allow_unicode=True))


# A probe's key list is checked for unknown and missing keys once (prober/catalogue/probes.py `_check_keys`): the
# problems and probes are those of checking every probe's keys afresh.
@settings(max_examples=200, deadline=None)
@given(st.lists(_PROBE | st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=6), st.booleans())
def test_a_key_list_checked_once_gives_what_checking_each_probe_gives(items: list[Any], strict: bool) -> None:
    text = yaml.safe_dump({"version": 1, "defaults": {"source": "s"}, "probes": items}, sort_keys=False)
    remembered = _whole(text, strict)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(probes, "_REMEMBERED_KEY_LISTS", 0)
        assert _whole(text, strict) == remembered


def test_a_plain_catalogue_is_checked_without_the_modules_only_some_need() -> None:
    """Captures and placeholders (prober.capture, with the redaction code), credentials (prober.scope), expected
    header values (prober.expectations), bodies (json) and suggestions (difflib) are imported when a catalogue has
    them: a catalogue without them is checked without."""
    code = (
        "import sys\n"
        "from prober import catalogue\n"
        f"catalogue.parse({_generated(3)!r}, rules=catalogue.Rules(strict=True))\n"
        "wanted = ('prober.capture', 'prober.scope', 'prober.expectations', 'json', 'difflib')\n"
        "print(*sorted(set(wanted) & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == []


def test_defaults_after_the_probes_are_read_again_as_a_whole_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "probes:\n  - {id: a, description: d, url: 'https://a.test/'}\n"
    ahead = catalogue.parse("version: 1\ndefaults: {method: POST}\n" + body)
    with pytest.raises(reader.Reread):
        reader.read_plain("version: 1\n" + body + "defaults: {method: POST}\n", Checker(Problems("p.yaml"), False))

    def composer(*_: object) -> None:
        raise AssertionError("a plain document needs no composer")

    monkeypatch.setattr(reader, "read_composed", composer)
    behind = catalogue.parse("version: 1\n" + body + "defaults: {method: POST}\n")
    assert behind.probes == ahead.probes
    assert behind.probes[0].method == "POST"
    with pytest.raises(CatalogueError) as caught:  # a second probes list: the last one counts, as YAML says
        catalogue.parse("version: 1\n" + body + "probes: [{id: b}]\n")
    assert caught.value.problems == (
        "probes.yaml:4: probe 'b': missing required key 'description' (what the probe checks, in words)",
        "probes.yaml:4: probe 'b': missing required key 'url' (the http:// or https:// URL to probe)",
        "probes.yaml:4: duplicate key 'probes' (first at line 2); write each key once",
    )


# --- guards: work and bytes per probe ------------------------------------------------------------------------------


def test_a_plain_catalogue_never_holds_its_probes_as_one_tree() -> None:
    class Count:
        top: list[str]
        items = 0
        largest = 0

        def begin(self, top: reader.Map) -> None:
            self.top = list(top)

        def item(self, value: Any, line: int) -> None:
            self.items += 1
            self.largest = max(self.largest, len(value))

    count = Count()
    read = reader.read_plain(_generated(300), count)
    assert read is not None
    # Each item is given whole (its seven keys), once; the document keeps an empty list in its place.
    assert (count.top, count.items, count.largest, read[0]["probes"]) == (["version", "probes"], 300, 7, [])


def test_loading_costs_a_bounded_number_of_calls_per_probe() -> None:
    text = _generated(800)
    catalogue.parse(text)  # warm caches
    # 98 calls a probe when written (reading, checks, needs and scopes); the whole-tree loader made 348.
    assert calls(lambda: catalogue.parse(text)) / 800 < 200


def test_loading_peaks_at_a_bounded_number_of_bytes_per_probe() -> None:
    text = _generated(2000)
    catalogue.parse(text)
    tracemalloc.start()
    try:
        loaded = catalogue.parse(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(loaded.probes) == 2000
    # ~900 bytes a probe when written (its text, its probe and what the checks keep); the whole tree took 3,500.
    assert peak / 2000 < 1600


# --- the URL check's fast path -------------------------------------------------------------------------------------


def _split(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "https:/", ""]),
    st.text(alphabet="aZ09.-_:@[]%/?#", max_size=12),
    st.sampled_from(["", "/", "/p?q=1", "?x", "#f", ":443/"]),
)
def test_the_url_fast_path_agrees_with_urlsplit(scheme: str, host: str, rest: str) -> None:
    url = scheme + host + rest
    assert checks.is_http_url(url) == _split(url)


# --- short paths, each pinned to the full check it skips --------------------------------------------------------------


def _outcome(text: str) -> tuple[str, ...]:
    """What loading `text` gives, with the credential rules on: every probe, or every problem."""
    try:
        return tuple(map(repr, catalogue.parse(text, rules=catalogue.Rules()).probes))
    except CatalogueError as exc:
        return exc.problems


def _full_path(text: str) -> tuple[str, ...]:
    """`_outcome` with every short path below turned off: the URL checked by both regexes, every probe scanned for
    placeholders."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "_TIDY_URL", re.compile(r"(?!)"))  # matches nothing
        patch.setattr(graph, "may_use_placeholders", lambda _probe: True)
        return _outcome(text)


def _agrees_with_the_full_path(document: Any) -> None:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    assert _outcome(text) == _full_path(text)


# Parser differentials and what must never pass: spaces and controls (Unicode ones too), userinfo, ports, brackets,
# backslashes, placeholders and {host} where they do not belong, and schemes that are almost http.
HOSTILE_URLS = [
    "https://a.test/",
    "https://a.test",
    "http://a.test/x?y#z",
    "HTTPS://a.test/",
    "https:/a.test/",
    "https:///a.test/",
    "ftp://a.test/",
    "//a.test/",
    "https://a.test/a b",
    "https://a.test/a\tb",
    "https://a.test/\x00",
    "https://a.test/\x1c",
    "https://a.test/\x7f",
    "https://a.test/\x85",
    "https://a.test/\xa0",
    "https://a.test/\u2028",
    "https://a.test/\u3000",
    "https://a.test/é",
    "https://a.test\n/",
    "https://user:pw@a.test/",
    "https://a.test@evil.test/",
    "https://a.test\\@evil.test/",
    "https://a.test/\\@evil.test",
    "https://a.test:99999/",
    "https://a.test:443/",
    "https://a.test:/",
    "https://[::1]/",
    "https://[::1/",
    "https://a_b.test/",
    "https://-/",
    "https://./",
    "https://a.test/{{ token }}",
    "https://a.test/{{token?}}",
    "https://{{ host }}/",
    "https://{host}/",
    "https://a.test/%7B%7Btoken%7D%7D",
    "https://a.test/?q={{ token }}#{{ token }}",
]


def _probes(url: str, auth: str, extra: dict[str, Any]) -> dict[str, Any]:
    capturing: dict[str, Any] = {"id": "login", "description": "d", "url": "https://a.test/", "auth": "cookies"}
    capturing["capture"] = {"token": [{"cookie": "sid"}]}
    probe = {"id": "user", "description": "d", "url": url, "auth": auth, **extra}
    return {"version": 1, "probes": [capturing, probe]}


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize("auth", ["none", "key", "cookies"])
def test_a_hostile_url_is_checked_as_the_full_path_checks_it(url: str, auth: str) -> None:
    _agrees_with_the_full_path(_probes(url, auth, {"needs": "login"}))


_URL_CHARACTERS = st.sampled_from(
    [*"aZ09.-_~:/?#[]@!$&'()*+,;=%{}\\ ", "\t", "\n", "\x00", "\x1c", "\x7f", "\x85", "\xa0", "\u2028", "é", "{{"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "https:/", "ftp://", ""]),
    st.lists(_URL_CHARACTERS, max_size=16).map("".join),
    st.sampled_from(["none", "key", "cookies"]),
)
def test_the_tidy_url_short_path_gives_what_both_url_checks_give(scheme: str, rest: str, auth: str) -> None:
    url = scheme + rest
    if checks._TIDY_URL.fullmatch(url):
        assert checks._SPACE.search(url) is None and checks.is_http_url(url)
    _agrees_with_the_full_path(_probes(url, auth, {}))


_CARRIERS = st.sampled_from(
    [{}, {"headers": {"X-A": "{{ token }}"}}, {"headers": {"X-A": "plain"}}, {"query": {"q": "{{ token }}"}}]
    + [{"method": "POST", "body": {"json": {"a": "{{token}}"}}}, {"method": "PUT", "body": {"form": {"a": "{{t?}}"}}}]
    + [{"method": "POST", "body": {"form": {"a": 1}}}, {"hosts": ["a.test", "evil.test"]}]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["https://a.test/", "http://a.test/", "https://evil.test/", "https://{host}/"]),
    st.lists(st.sampled_from([*"ab{} ?%7BD", "{{", "}}", "{{ token }}", "{{token?}}", "%7B%7B"]), max_size=6).map(
        "".join
    ),
    _CARRIERS,
    st.sampled_from([{}, {"needs": "login"}, {"needs": ["login", "nobody"]}]),
)
def test_a_probe_that_cannot_hold_a_placeholder_skips_only_an_empty_scan(
    url: str, path: str, carrier: dict[str, Any], needs: dict[str, Any]
) -> None:
    probe = Probe(id="p", description="d", method="GET", url=url + path)
    assert graph.may_use_placeholders(probe) or capture_mod.placeholders(probe) == []
    _agrees_with_the_full_path(_probes(url + path, "none", {**carrier, **needs}))


# The keys most probes leave out are not checked when absent (prober/catalogue/probes.py `_check_probe`): each
# check gives this value for a missing key, and adds no problem.
LEFT_OUT = [
    (checks.hosts, None),
    (checks.headers, ()),
    (lambda fields: checks.body(fields, "POST"), None),
    (expect, None),
    (checks.captures, ()),
    (checks.needs, ()),
    (checks.query, ""),
]


@pytest.mark.parametrize(("check", "value"), LEFT_OUT)
def test_a_key_left_out_gives_what_its_skipped_check_gives(check: Callable[[Fields], object], value: object) -> None:
    problems = Problems("p.yaml")
    assert check(Fields(reader.Map(1, 0, 0), "'p'", problems)) == value
    assert problems.found == []


# Every field of a probe from its own key (five of them are text: one given another's value shows here).
def test_each_field_of_a_probe_comes_from_its_own_key() -> None:
    text = yaml.safe_dump(
        {
            "version": 1,
            "probes": [
                {"id": "login", "description": "logs in", "url": "https://a.test/login", "auth": "cookies"}
                | {"capture": {"token": [{"cookie": "sid"}]}},
                {
                    "id": "user",
                    "description": "the user",
                    "method": "post",
                    "url": "https://a.test/user",
                    "query": {"q": "1"},
                    "headers": {"Accept": "application/json"},
                    "body": {"json": {"a": 1}},
                    "auth": {"key": "x-api-key"},
                    "tags": {"region": "intl", "surface": "console", "cost": "billable", "team": "payments"},
                    "expect": {"status": [200]},
                    "source": "the a.test docs, page user",
                    "capture": {"sid": [{"header": "X-Sid"}]},
                    "needs": "login",
                },
            ],
        },
        sort_keys=False,
    )
    probe = catalogue.parse(text).probes[1]
    assert probe == Probe(
        id="user",
        description="the user",
        method="POST",
        url="https://a.test/user?q=1",
        headers=(("Accept", "application/json"),),
        body=Body(BodyKind.JSON, '{"a":1}'),
        auth=Auth.KEY,
        key_style=KeyStyle.X_API_KEY,
        tags=Tags(Region.INTL, Surface.CONSOLE, Cost.BILLABLE, (("team", "payments"),)),
        expect=Expect(statuses=(200,)),
        source="the a.test docs, page user",
        captures=(Capture("sid", CaptureSource.HEADER, "X-Sid"),),
        needs=("login",),
    )


# --- what is made once and shared, pinned to what it stands for -------------------------------------------------


def test_each_auth_word_gives_what_it_names() -> None:
    assert tuple(checks._AUTH_WORDS) == checks.AUTHS
    assert checks._AUTH_WORDS == {
        "none": (Auth.NONE, None, None),
        "cookies": (Auth.COOKIES, None, None),
        "console-token": (Auth.CONSOLE_TOKEN, None, None),
        "key": (Auth.KEY, KeyStyle.BEARER, None),
    }


_TAG_VALUES = st.none() | st.booleans() | st.integers(0, 2) | st.sampled_from(["intl", "cn", "api", "free", "x", ""])
_TAG_MAPS = st.dictionaries(
    st.sampled_from(["region", "surface", "cost", "team", "regoin", "Team"]),
    _TAG_VALUES | st.lists(_TAG_VALUES, max_size=1) | st.dictionaries(st.just("a"), _TAG_VALUES, max_size=1),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TAG_MAPS, st.booleans()), min_size=1, max_size=6))
def test_tags_remembered_from_an_earlier_probe_are_what_checking_them_gives(
    written: list[tuple[dict[str, Any], bool]],
) -> None:
    seen: dict[tuple[object, ...], Tags] = {}
    for value, strict in written:
        results = []
        for remembered in (seen, None):
            problems = Problems("p.yaml")
            mapping, _, _ = reader.read_composed(yaml.safe_dump({"tags": value}), "p.yaml")
            results.append((checks.tags(Fields(mapping, "'p'", problems), strict, remembered), problems.found))
        assert results[0] == results[1]
    assert all(isinstance(text, str) for key in seen for _, text in key[1])  # type: ignore[attr-defined]
