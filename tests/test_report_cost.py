"""What keeps writing the reports of a big sweep cheap, checked without a clock (as tests/test_performance.py).

- Identical text is escaped once: a sweep repeats the same explanation, reason phrase, tags and header lines in
  every section, and `prose` and `code` (prober/report/text.py) work each distinct text out once. Counted as calls
  of the functions that do the work, against the distinct texts they were asked for.
- The findings are worked out once for all the reports of a run, not once by each (prober.report.found).
- The Markdown and JSON reports are written a probe at a time (prober/store.py): the memory allocated while they
  are written (tracemalloc's peak, a count of bytes, not a time) stays a fraction of their size, where rendering
  each into one string first took more than twice it.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tracemalloc
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FrameType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import capture, findings, inert, serial, store
from prober.model import Body, BodyKind, Probe
from prober.report import Format, curl, markdown, terminal, text
from prober.report import json as report_json
from prober.report.found import findings_of
from tests.test_performance import _report_sweep


def _calls_and_texts(work: Callable[[], object], counted: dict[str, CodeType]) -> dict[str, list[str]]:
    """The first argument of every call made by `work()` to each of the `counted` functions."""
    by_code = {code: name for name, code in counted.items()}
    seen: dict[str, list[str]] = {name: [] for name in counted}

    def tick(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code in by_code:
            seen[by_code[frame.f_code]].append(frame.f_locals[frame.f_code.co_varnames[0]])

    sys.setprofile(tick)
    try:
        work()
    finally:
        sys.setprofile(None)
    return seen


@pytest.fixture
def cold_caches() -> Iterator[None]:
    caches = (
        text._code_cached,
        text._prose_cached,
        text._token_cached,
        markdown._status,
        markdown._auth_and_tags,
        markdown._class_line,
    )
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


@pytest.mark.usefixtures("cold_caches")
def test_markdown_escapes_each_distinct_text_once() -> None:
    sweep = _report_sweep(200)  # fewer distinct texts than the caches hold: none is evicted and done again
    seen = _calls_and_texts(
        lambda: markdown.render(sweep),
        {
            "prose": text.prose.__code__,
            "prose work": text._prose.__code__,
            "code": text.code.__code__,
            "code work": text._code.__code__,
        },
    )
    for helper in ("prose", "code"):
        asked, worked = seen[helper], seen[f"{helper} work"]
        assert len(asked) > len(set(asked)), "the sweep should repeat text for this test to mean anything"
        # Plain text (printable ASCII: one word for `prose`, one without a backtick for `code`) takes a short way
        # that does no escaping work at all (the property tests below show it gives the same text).
        hard = {t for t in asked if not (text.plain_code(t) if helper == "code" else _one_word(t))}
        assert sorted(worked) == sorted(hard), f"{helper}: each distinct text worked out exactly once"
    assert seen["prose work"], "the sweep should hold sentences that need the work"


@pytest.mark.usefixtures("cold_caches")
def test_text_that_needs_escaping_is_escaped_once() -> None:
    texts = ["a`b", " both ends ", "tab\there", "naïve", "x" * 10] * 50
    seen = _calls_and_texts(lambda: [text.code(t) for t in texts], {"work": text._code.__code__})
    assert sorted(seen["work"]) == sorted({t for t in texts if not text.plain_code(t)}) != []


def _one_word(t: str) -> bool:
    return t.isascii() and t.isprintable() and " " not in t and t != ""


@pytest.mark.usefixtures("cold_caches")
def test_plain_text_and_plain_urls_take_the_short_way() -> None:
    """No escaping work for a URL, a probe id or a header line that is printable ASCII, and no urlsplit for the
    Endpoint cell of a plain https URL: the work a 5,000-probe report did per probe."""
    sweep = _report_sweep(50)
    seen = _calls_and_texts(
        lambda: markdown.render(sweep),
        {"code work": text._code.__code__, "urlsplit": urllib.parse.urlsplit.__wrapped__.__code__},
    )
    urls = {p.url for p in sweep.probes}
    assert not urls & set(seen["code work"]), "a plain URL went through the escaping"
    assert not {f"GET {u}" for u in urls} & set(seen["code work"])
    assert seen["urlsplit"] == [], "the Endpoint cell of a plain URL should not need urlsplit"


def test_a_probe_id_is_worked_out_once_per_report() -> None:
    """An id is shown in the results table (where endpoints read the same) and heads its section: one `prose`."""
    sweep = _report_sweep(50)  # one endpoint for every probe: the table shows each id
    rendered: list[str] = []
    seen = _calls_and_texts(lambda: rendered.append(markdown.render(sweep)), {"token": text._token.__code__})
    ids = [p.id for p in sweep.probes]
    wanted = frozenset(ids)
    assert [t for t in seen["token"] if t in wanted] == ids
    for i in ids:
        assert rendered[0].count(f"`{i}`") == 2  # in the table and in the heading


def test_json_results_build_no_dicts() -> None:
    """The results are written as text straight from the model (report_json.encode_result), not as serial's dicts
    walked by the encoder; tests/test_report_json.py shows the text is the same."""
    sweep = _report_sweep(50)
    counted = {"dump_probe": serial.dump_probe.__code__, "dump_outcome": serial.dump_outcome.__code__}
    seen = _calls_and_texts(lambda: report_json.render(sweep), counted)
    assert seen == {"dump_probe": [], "dump_outcome": []}


def test_json_results_reuse_one_encoder() -> None:
    """`JSONEncoder.iterencode` builds a C encoder per call; the report's results are encoded by one built once."""
    sweep = _report_sweep(50)
    seen = _calls_and_texts(lambda: report_json.render(sweep), {"iterencode": json.JSONEncoder.iterencode.__code__})
    assert seen["iterencode"] == []


def test_the_start_of_a_command_is_worked_out_once_per_run() -> None:
    sweep = _report_sweep(50)
    how = curl.Reach(connect_to=("::127.0.0.1:8443",), cacert=True)
    curl._start.cache_clear()
    seen = _calls_and_texts(
        lambda: [curl.reproducer(p, o, how) for p, o in zip(sweep.probes, sweep.outcomes, strict=True)],
        {"start": curl._start.__wrapped__.__code__},
    )
    assert len(seen["start"]) == 1


def test_a_long_text_is_not_kept() -> None:
    long = "word " * 100 + "`tick` " * 100
    assert len(long) > text.CACHE_TEXT
    kept = text._prose_cached.cache_info().currsize
    assert text.prose(long) == text._prose(long, False)  # its words may be kept, not the text
    assert text._prose_cached.cache_info().currsize == kept
    kept = text._code_cached.cache_info().currsize
    assert text.code(long) == text._code(long)
    assert text._code_cached.cache_info().currsize == kept


def test_the_findings_are_worked_out_once_for_every_report(tmp_path: Path) -> None:
    sweep = _report_sweep(20)

    def report() -> None:
        store.write_reports(sweep, tmp_path, "r", list(Format))
        markdown.summary(sweep)
        terminal.findings(findings_of(sweep))

    seen = _calls_and_texts(report, {"find": findings.find.__code__})
    assert len(seen["find"]) == 1
    assert findings_of(sweep) == findings.find(sweep)
    other = _report_sweep(20)  # equal, but another object: its findings are its own
    assert len(_calls_and_texts(lambda: findings_of(other), {"find": findings.find.__code__})["find"]) == 1


def test_reports_are_written_without_holding_them_whole(tmp_path: Path) -> None:
    sweep = _report_sweep(1_000)
    formats = [Format.MD, Format.JSON]
    store.write_reports(sweep, tmp_path, "warm", formats)  # imports, compiled patterns, caches
    tracemalloc.start()
    try:
        paths = store.write_reports(sweep, tmp_path, "report", formats)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = sum(path.stat().st_size for path in paths)
    # Measured: about a quarter of the size (the Markdown head, which holds the results table); rendering each
    # report into one string first peaked at 2.4 times the size.
    assert peak < size / 2, f"writing {size:,} bytes of reports allocated {peak:,} bytes at the peak"


# --- the short ways give exactly what the full work gives ---------------------------------------------------------

# Hostile and ordinary characters alike: Markdown's, a table's, controls, format characters, non-ASCII, URL parts.
_ALPHABET = (
    st.sampled_from(
        list("`|<>@#[]!_*\\ \t\r\n\x00\x1b\x7f\x85\u200b\u202e\u2028\ufeffé→日(),.:;'’/-%{}?=&+~$\"")
        + [
            "%7B",
            "%7b",
            "{{",
            "}}",
            "{{ name }}",
            "%7B%7Bname%7D%7D",
            "\udc80",
            "GH-1",
            "deadbeef1",
            "2026-01-01T00:00:00Z",
        ]
    )
    | st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    | st.characters()
)
_TEXT = st.lists(_ALPHABET, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_the_short_way_of_code_is_the_full_work(value: str) -> None:
    assert text.code(value) == text._code(value)
    if text.plain_code(value):
        assert text._code(value) == f"`{value}`"


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.booleans())
def test_the_short_way_of_prose_is_the_full_work(value: str, start: bool) -> None:
    tokens = inert.line(value, sys.maxsize).split()  # the full work, as before the short ways
    full = " ".join(text._token(token, start and n == 0) for n, token in enumerate(tokens))
    assert text.prose(value, start) == full
    assert text._prose(value, start) == full
    if not start:
        assert text.prose_once(value) == full


def _fence_full(value: str, info: str) -> list[str]:
    block = inert.block(value, sys.maxsize)
    marker = "```"
    while marker in block:
        marker += "`"
    return [f"{marker}{info}", block, marker]


_LINES = st.lists(_TEXT | st.sampled_from(["\n", "\r\n", "\n\n", "```", "\t"]), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_the_short_way_of_a_fence_is_the_full_work(value: str) -> None:
    assert text.fence(value, "sh") == _fence_full(value, "sh")
    if text.plain_block(value):
        assert inert.block(value, sys.maxsize) == value


_URL = st.tuples(
    st.sampled_from(["https://", "http://", "HTTPS://", "https:/", "ftp://", "", " https://", "\thttps://"]),
    st.lists(st.sampled_from(list("abcXYZ019.-:@[]%/?# \t\n\x00é") + ["::1", "[::1]", "example.com"]), max_size=12),
    _TEXT,
).map(lambda parts: parts[0] + "".join(parts[1]) + parts[2])


# URLs with the characters urlsplit removes (tab, CR, LF) or keeps (other controls) in each of their parts.
_CONTROLS = st.sampled_from(["", "\t", "\r", "\n", "\r\n", "\x00", "\x1b", "\x7f", "\x85", "\u200b", " ", "é"])
_PARTED_URL = st.tuples(
    st.sampled_from(["https://", "http://"]),
    st.sampled_from(["example.com", "a-b.c0", "EXAMPLE.com", "h", "1.2.3.4", ""]),
    _CONTROLS,
    st.sampled_from(["", "/", "/api/v1/models", "/a b", "/%7B%7Bx%7D%7D"]),
    _CONTROLS,
    st.sampled_from(["", "?", "?n=0", "#", "#f?g", "?q#f"]),
    _CONTROLS,
).map("".join)


def _host_path_full(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname}{parts.path or '/'}"


@settings(max_examples=500, deadline=None)
@given(_PARTED_URL | _URL)
def test_the_short_way_of_the_endpoint_cell_is_urlsplit(url: str) -> None:
    try:
        expected = _host_path_full(url)
    except ValueError:
        with pytest.raises(ValueError):
            markdown.host_path(url)
        return
    assert markdown.host_path(url) == expected


def _arg_full(value: str) -> str:
    if not (capture.PLACEHOLDER.search(value) or capture.ENCODED.search(value)):
        return shlex.quote(value)
    escaped = re.sub(r'(["\\$`])', r"\\\1", value)
    for pattern in (capture.PLACEHOLDER, capture.ENCODED):
        escaped = pattern.sub(lambda m: "${" + m.group(1).upper() + "}", escaped)
    return '"' + escaped + '"'


@settings(max_examples=300, deadline=None)
@given(_TEXT | _URL)
def test_the_short_way_of_a_curl_argument_is_the_full_work(value: str) -> None:
    assert curl._arg(value) == _arg_full(value)


_PLACEHOLDER_TEXT = _TEXT | _URL | st.sampled_from(["{{ a }}", "x{{b?}}y", "%7B%7Bc%7D%7D", "%7b%7b+d+%7d%7d", "{"])


@settings(max_examples=300, deadline=None)
@given(
    _PLACEHOLDER_TEXT,
    st.lists(st.tuples(_PLACEHOLDER_TEXT, _PLACEHOLDER_TEXT), max_size=3),
    st.none() | st.builds(Body, st.sampled_from(list(BodyKind)), _PLACEHOLDER_TEXT),
)
def test_the_short_way_of_a_probes_placeholders_is_the_full_search(
    url: str, headers: list[tuple[str, str]], body: Body | None
) -> None:
    probe = Probe("p", "d", "POST", url, headers=tuple(headers), body=body)
    assert curl._placeholders(probe) == capture.placeholders(probe)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_one_encoder_encodes_as_a_new_one(value: object) -> None:
    assert report_json._encode_compact(value) == report_json._ENCODER.encode(value)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(min_value=0, max_value=50))
def test_the_short_way_of_an_inert_line_is_the_full_work(value: str, limit: int) -> None:
    """The ids of the terminal table and most results are printable ASCII: only capped, never searched."""
    assert text.line(value, limit) == inert.line(value, limit)


def _plain_full(word: str, first: bool) -> bool:
    if word in text._SYMBOLS or text._STAMP.fullmatch(word):
        return True
    if text._NUMBER.fullmatch(word):
        return not first
    return text._LETTERS.fullmatch(word) is not None and text._HEX_RUN.search(word) is None


_DIGITS = st.sampled_from(["0", "9", "²", "٣", "Ⅻ", "½", "𝟘", "١٢", "2026-01-01T00:00:00Z", "3.11", "12/60"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_DIGITS | _ALPHABET, min_size=1, max_size=12).map("".join), st.booleans())
def test_the_short_way_of_a_plain_word_is_the_full_search(word: str, first: bool) -> None:
    """A word that does not begin with a decimal digit is neither a time nor a number: those searches are skipped."""
    assert text._plain(word, first) == _plain_full(word, first)


def test_the_table_makes_each_id_inert_once() -> None:
    """The terminal table makes each id inert once, for the column and the row; each row reads as `row` makes it."""
    sweep = _report_sweep(50)
    seen = _calls_and_texts(lambda: terminal.table(sweep, colour=True), {"line": inert.line.__code__})
    assert not {p.id for p in sweep.probes} & set(seen["line"]), "a printable ASCII id needs no escaping"
    col = terminal.id_width(p.id for p in sweep.probes)
    rows = [terminal.row(p.id, o, col, colour=True) for p, o in zip(sweep.probes, sweep.outcomes, strict=True)]
    assert terminal.table(sweep, colour=True) == "\n".join([*terminal.header(col), *rows])
