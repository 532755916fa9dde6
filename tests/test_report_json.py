"""The JSON report writes each result as text straight from the model (prober.report.json `encode_result`): the
text is exactly what the encoder makes of serial's dicts, `encode(serial.dump_result(probe, outcome))`, for any
values the model holds (hostile text, lone surrogates, every optional part) and, where a record holds a value of
another type or shape, the same text or the same error."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from prober import serial
from prober.model import Outcome, Probe
from prober.report import json as report_json

# Text a server or a forged report could put anywhere: JSON's own quotes and backslash, controls, DEL and C1,
# lone surrogates, line separators, bidi and zero-width characters, non-ASCII and astral characters.
_ALPHABET = (
    st.sampled_from(
        list('"\\/ \t\r\n\x00\x1f\x7f\x85\x9b\u200b\u202e\u2028\u2029\ufeffé→日\U0001f600{}[],:')
        + ["\ud800", "\udc80", "\udfff", "null", "true", "1e9", "\\u0000"]
    )
    | st.characters()
)
_TEXT = st.lists(_ALPHABET, max_size=8).map("".join)
_FLOATS = st.floats() | st.sampled_from([0.0, -0.0, 1e-7, 1e16, 1e300, 33.0, float("nan"), float("inf")])


def _of(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a model annotation, read from the model so that a field added to it is drawn too."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return st.one_of([_of(option) for option in typing.get_args(hint)])
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_of(args[0]), max_size=2).map(tuple)
        return st.tuples(*[_of(arg) for arg in args])
    if hint is type(None):
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers()
    if hint is float:
        return _FLOATS | st.integers()  # a report read back holds an int where the model says float
    if hint is str:
        return _TEXT
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _model(hint)
    raise NotImplementedError(hint)


def _model(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: _of(hints[f.name]) for f in dataclasses.fields(cls)})


_PROBES = _model(Probe)
_OUTCOMES = _model(Outcome)


def _written(probe: Probe, outcome: Outcome) -> tuple[tuple[str, str], tuple[str, str]]:
    """What each way writes: ("text", the text) or ("error", the exception's type and message)."""
    results = []
    for way in (report_json.encode_result, lambda p, o: report_json.encode(serial.dump_result(p, o))):
        try:
            results.append(("text", way(probe, outcome)))
        except Exception as exc:
            results.append(("error", f"{type(exc).__name__}: {exc}"))
    return results[0], results[1]


@settings(max_examples=100, deadline=None)
@given(_PROBES, _OUTCOMES)
def test_a_result_is_the_encoders_text(probe: Probe, outcome: Outcome) -> None:
    direct, encoded = _written(probe, outcome)
    assert direct == encoded
    assert direct[0] == "text"
    # And `json.dumps` with the report's settings, but for the characters the report escapes: one line each.
    plain = json.dumps(serial.dump_result(probe, outcome), ensure_ascii=False, separators=(", ", ": "))
    assert report_json._escaped(plain) == direct[1]
    assert "\n" not in direct[1]


# Values of other types than the model's, put in one field of one record: serial's dicts and the encoder accept
# many of them, and the report must stay what they made of them (or fail as they failed).
class _Number(enum.IntEnum):
    SEVEN = 7


class _Text(str):
    pass


_ODD = (
    st.sampled_from(
        [None, True, False, 0, 1, -0.0, 1.5, float("nan"), 10**30, "x", _Text("t\u2028"), _Number.SEVEN, (), ("a", 1)]
    )
    | st.builds(lambda: [1])
    | st.builds(lambda: {"k": None})
)


def _records(probe: Probe, outcome: Outcome) -> list[Any]:
    nested = [probe.tags, probe.body, probe.expect, outcome.timings, outcome.vendor_error, outcome.quota]
    return [probe, outcome, *outcome.hops, *probe.captures, *(r for r in nested if r is not None)]


@settings(max_examples=100, deadline=None)
@given(_PROBES, _OUTCOMES, st.data())
def test_a_value_of_another_type_is_written_as_the_encoder_writes_it(
    probe: Probe, outcome: Outcome, data: st.DataObject
) -> None:
    record = data.draw(st.sampled_from(_records(probe, outcome)))
    name = data.draw(st.sampled_from([f.name for f in dataclasses.fields(record)]))
    object.__setattr__(record, name, data.draw(_ODD))  # past the model's own checks, as a careless caller could
    direct, encoded = _written(probe, outcome)
    assert direct == encoded
