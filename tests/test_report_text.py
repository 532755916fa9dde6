"""The short ways of the report renderers give exactly what the full work gives, for any text.

Each test below pins one short way (prober/report/text.py, markdown.py, json.py) to the work it stands for, written
out here as it was before the short way existed, on hostile text as well as the ordinary text of a sweep.
"""

from __future__ import annotations

import enum
import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import inert, serial
from prober.model import Auth, CaptureSource, KeyStyle, Outcome, OutcomeClass, Timings
from prober.report import json as report_json
from prober.report import markdown, text
from tests.builders import make_probe
from tests.test_report_cost import _TEXT
from tests.test_report_json import _written

# --- Markdown -------------------------------------------------------------------------------------------------------


def _token_full(token: str, first: bool) -> str:
    """`text._token` as it was: brackets and trailing punctuation outside, the word plain or a code span."""
    core = token.lstrip(text._LEAD)
    lead = token[: len(token) - len(core)]
    word = core.rstrip(text._TRAIL)
    trail = core[len(word) :]
    if not word or text._plain(word, first):
        return token
    return f"{lead}{text.code(word)}{trail}"


# Words that end in a digit, as probe ids do, with what could make them plain or keep a part outside the span.
_ID_LIKE = st.tuples(
    st.sampled_from(["", "(", "((", "`", " ", "\x1b", "é", "GH-", "2026-01-01T00:00:00Z", "1", "٣", "²"]),
    _TEXT,
    st.sampled_from(["0", "9", "٣", "१", "²", "Ⅻ", "00042", ".1", "1)", "1.", "`1"]),
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_ID_LIKE | _TEXT.filter(bool), st.booleans())
def test_a_word_that_ends_in_a_digit_is_made_as_by_the_full_search(token: str, first: bool) -> None:
    assert text._token(token, first) == _token_full(token, first)


@pytest.mark.parametrize(
    "token", ["bench-00042", "probe1", "x-9", "v1", "(v1", "v1)", "1", "42", "2026-01-01T00:00:00Z"]
)
def test_ids_and_numbers(token: str) -> None:
    for first in (False, True):
        assert text._token(token, first) == _token_full(token, first)
    assert text.prose_once(token) == _token_full(token, False)


_LINES = st.lists(_TEXT | st.sampled_from(["\n", "\r\n", "\n\n", "```", "\t", " "]), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(_LINES)
def test_a_plain_block_is_what_the_removal_of_newlines_said(value: str) -> None:
    assert text.plain_block(value) == (value.isascii() and value.replace("\n", "").isprintable())
    if text.plain_block(value):
        assert inert.block(value, sys.maxsize) == value


@settings(max_examples=400, deadline=None)
@given(_LINES)
def test_a_cell_is_the_three_replacements(value: str) -> None:
    assert text.cell(value) == value.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _time_full(t: Timings) -> str:
    time = f"- Time: total {t.total_ms:.1f} ms"
    if t.dns_ms is not None:
        time += f", dns {t.dns_ms:.1f} ms"
    if t.connect_ms is not None:
        time += f", connect+tls {t.connect_ms:.1f} ms"
    if t.first_byte_ms is not None:
        time += f", first byte {t.first_byte_ms:.1f} ms"
    return time


_MS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**6), max_value=10**6)


@settings(max_examples=300, deadline=None)
@given(_MS, st.none() | _MS, st.none() | _MS, st.none() | _MS)
def test_the_time_line_is_built_as_in_pieces(
    total: float, dns: float | None, connect: float | None, first: float | None
) -> None:
    t = Timings(total_ms=total, dns_ms=dns, connect_ms=connect, first_byte_ms=first)
    assert markdown._time(t) == _time_full(t)


# --- JSON -----------------------------------------------------------------------------------------------------------


class _Number(enum.IntEnum):
    SEVEN = 7


class _Text(str):
    pass


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from([0.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e16, 10**30, _Number.SEVEN])
    | st.sampled_from(["x", _Text("t"), [1], {"k": None}, ()])
)


@settings(max_examples=400, deadline=None)
@given(_SCALARS)
def test_a_scalar_is_written_as_the_encoder_writes_it(value: Any) -> None:
    assert report_json._scalar(value) == report_json._ENCODER.encode(value)


@pytest.mark.parametrize("member", [*Auth, *KeyStyle, *OutcomeClass, *CaptureSource, _Number.SEVEN])
def test_a_member_is_written_as_its_value(member: enum.Enum) -> None:
    try:
        expected = report_json._string(member.value)
    except TypeError:
        with pytest.raises(TypeError):
            report_json._member(member)
        return
    assert report_json._member(member) == expected


def test_what_is_not_a_member_fails_as_its_value_does() -> None:
    for value in ("key", _Text("key"), 7, None):
        with pytest.raises(AttributeError):
            report_json._member(value)  # type: ignore[arg-type]


_PAIRS = st.lists(
    st.tuples(_TEXT | st.text(min_size=200, max_size=300), _TEXT | st.sampled_from([_Text("v\u2028"), "v\u2028"])),
    max_size=4,
).map(tuple)


@settings(max_examples=300, deadline=None)
@given(_PAIRS)
def test_pairs_are_written_as_the_encoder_writes_them(pairs: tuple[tuple[str, str], ...]) -> None:
    """Through the pair cache (long pairs past it), equal strings of another type included."""
    expected = json.dumps(serial._pairs(pairs), ensure_ascii=False, separators=(", ", ": "))
    assert report_json._pairs(pairs) == expected
    assert report_json._pairs(pairs) == expected  # again, from the cache


def test_a_long_pair_is_not_kept() -> None:
    kept = report_json._pair.cache_info().currsize
    long = ("x-long", "v" * (text.CACHE_TEXT + 1))
    assert report_json._pairs((long,)) == f'[["x-long", "{long[1]}"]]'
    assert report_json._pair.cache_info().currsize == kept


@pytest.mark.parametrize("odd", [None, 0, False, "", [], {}])
@pytest.mark.parametrize("field", ["captures", "needs", "headers"])
def test_an_empty_looking_list_of_a_probe_is_written_as_the_encoder_writes_it(field: str, odd: object) -> None:
    """A falsy value that is not the empty tuple takes the way that fails where serial's dicts fail."""
    probe = make_probe("p-1", "https://example.com/v1")
    outcome = Outcome(probe_id=probe.id, klass=OutcomeClass.NOT_FOUND, explanation="404")
    object.__setattr__(probe, field, odd)
    direct, encoded = _written(probe, outcome)
    assert direct == encoded
