"""Server text as an outcome keeps it (prober.intake.Keep): a kept line is remembered, and never outlives what the
redactor knew when it was kept."""

from __future__ import annotations

from prober import inert
from prober.intake import Keep
from prober.redact import REDACTED, Redactor, Secret

CAPTURED = "captured-sec-token-0123456789abcdef"


def test_a_line_kept_before_a_secret_was_learned_is_scrubbed_after() -> None:
    redactor = Redactor()
    keep = Keep(redactor)
    line = f"token {CAPTURED}"
    assert keep.line(line) == line  # not yet a secret: kept as it is, and remembered
    redactor.add(trusted=[Secret(CAPTURED)])
    assert CAPTURED not in keep.line(line)
    assert REDACTED in keep.line(line)
    assert CAPTURED not in keep.pairs((("x-token", CAPTURED),))[0][1]


def test_each_limit_keeps_its_own_line() -> None:
    keep = Keep(Redactor())
    text = "n" * 300
    short = keep.line(text, inert.NAME_CAP)
    assert keep.line(text) == inert.line(text)  # the longer cap is not served the shorter line
    assert keep.line(text, inert.NAME_CAP) == short
    assert len(short) < len(keep.line(text))


def test_the_memo_is_bounded_and_long_lines_are_kept_afresh() -> None:
    keep = Keep(Redactor())
    for n in range(Keep._MEMO_SIZE + 10):
        assert keep.line(f"value-{n}") == f"value-{n}"
    assert keep._size <= Keep._MEMO_SIZE  # it started over when full
    long = "x" * (Keep._MEMO_TEXT + 1)
    before = keep._size
    assert keep.line(long) == inert.line(long)
    assert keep._size == before  # not remembered


def test_a_pair_is_kept_as_its_name_and_value_are_and_the_pair_memo_is_bounded() -> None:
    redactor = Redactor(trusted=[Secret(CAPTURED)])
    keep = Keep(redactor)
    pairs = (("X-Token", CAPTURED), ("Server", "s\x1b[2J"), ("n" * 300, "v"))
    expected = tuple((keep.line(k, inert.NAME_CAP), keep.line(v)) for k, v in pairs)
    assert keep.pairs(pairs) == expected
    assert keep.pairs(pairs) == expected  # again, from the memo
    for n in range(Keep._MEMO_SIZE + 10):
        assert keep.pairs(((f"x-{n}", "v"),)) == ((f"x-{n}", "v"),)
    assert keep._size <= Keep._MEMO_SIZE
