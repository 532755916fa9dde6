"""prober/words.py: a sentence in pieces. Values (which may come from a server) stay marked as values, so every
renderer shows them as code; numbers and our own text are our words."""

from __future__ import annotations

from collections import Counter

import pytest

from prober import words


def test_plural_forms() -> None:
    assert words.plural(1, "probe") == "1 probe"
    assert words.plural(0, "probe") == "0 probes"
    assert words.plural(2_000, "change") == "2,000 changes"
    assert words.plural(2, "body", "bodies") == "2 bodies"


def test_say_marks_strings_as_values_and_numbers_as_ours() -> None:
    said = words.say("{} paths answer 404 on {}", 7_000, "`api`.example")
    assert said == (("7,000", False), (" paths answer 404 on ", False), ("`api`.example", True))
    assert words.plain(said) == "7,000 paths answer 404 on `api`.example"
    with pytest.raises(ValueError, match="2 places for 1 values"):
        words.say("{} and {}", "one")


def test_join_drops_empty_parts() -> None:
    joined = words.join(words.say("a"), (), words.say("{}", "b"))
    assert joined == (("a", False), ("; ", False), ("b", True))


def test_listed_names_three_then_counts_the_rest() -> None:
    assert words.plain(words.listed(["a", "b"])) == "a and b"
    assert words.plain(words.listed(["a", "a", "b", "c"], "or")) == "a, b or c"  # repeats named once
    listed = words.listed(["a", "b", "c", "d", "e"])
    assert words.plain(listed) == "a, b, c and 2 more"
    assert [text for text, value in listed if value] == ["a", "b", "c"]


def test_counted_gives_counts_most_frequent_first() -> None:
    assert words.plain(words.counted(Counter({"404": 1}))) == "404"
    assert words.plain(words.counted(Counter({"404": 2, "401": 5}))) == "401 ×5, 404 ×2"
    many = Counter({f"c{n}": 10 - n for n in range(6)})
    assert words.plain(words.counted(many)) == "c0 ×10, c1 ×9, c2 ×8, c3 ×7 and 2 more"


def test_by_count_agrees_with_the_number() -> None:
    assert words.by_count(1, "was", "were") == "was"
    assert words.by_count(3, "was", "were") == "were"
