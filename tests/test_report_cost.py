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

import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FrameType

import pytest

from prober import findings, store
from prober.report import Format, markdown, terminal, text
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
    caches = (text._code_cached, text._prose_cached, text._token_cached)
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
        assert len(asked) > 2 * len(set(asked)), "the sweep should repeat text for this test to mean anything"
        assert sorted(worked) == sorted(set(asked)), f"{helper}: each distinct text worked out exactly once"


def test_a_long_text_is_not_kept() -> None:
    long = "word " * 100 + "`tick` " * 100
    assert len(long) > text._CACHE_TEXT
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
