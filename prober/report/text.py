"""Markdown text helpers shared by the renderers: outside text only as code spans, fenced blocks or plain words.

Server text (and anything read back from a report file) never reaches Markdown raw: values go into a code span
(`code`) or a fenced block (`fence`) whose backtick fence is longer than any backtick run in the text, and
sentences that may embed such values (explanations, change labels) go through `prose`, which keeps plain words
and puts every other word in a code span. So no outside text can open a heading, a list, a link, an image, raw
HTML, an emoji, a GitHub @mention, an issue or commit reference, or leave its table cell or code span.
"""

from __future__ import annotations

import functools
import re
import sys

from prober import inert

_UNCAPPED = sys.maxsize  # callers cap; these helpers only make text inert

# A plain word: letters joined by - ' / (x-ratelimit-remaining, vendor's, gateway/bearer), or numbers of up to
# six digits joined by . or / (404, 12/6000, 3.11.2). Letters and digits mixed (GH-1, sha256, 5h) are code:
# GitHub links GH-123, commit ids and custom references.
_LETTERS = re.compile(r"[^\W\d_]+(?:['’/-][^\W\d_]+)*")
_NUMBER = re.compile(r"\d{1,6}(?:[./]\d{1,6})*")
_HEX_RUN = re.compile(r"[0-9a-f]{7,}", re.IGNORECASE)  # could be a commit id, which GitHub links
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")  # a UTC time as reports write it
_SYMBOLS = frozenset("→—–…·⚠")
_LEAD = "("
_TRAIL = "),.:;"


# `code` and `prose` are pure functions of their text, and a sweep repeats the same text thousands of times (an
# explanation, a reason phrase, tags, header lines): each is worked out once and remembered. The caches are bounded
# in entries and in the length of text they keep (3 x 1,024 entries of at most 256 characters in: under 2 MB of
# ASCII at worst, a few hundred kB in practice), so text seen once (a probe id, a URL) only passes through them, and
# long outside text is never kept.
CACHE_SIZE = 1024
CACHE_TEXT = 256  # characters: longer text is worked out each time


def code(text: str) -> str:
    """An inline code span that survives backticks in the text (CommonMark §6.1). Control characters, newlines
    included, are shown escaped, so the span stays on one line, even inside a table cell."""
    # `plain_code(text)`, written out: this is the most frequent call of a report.
    if text.isascii() and text.isprintable() and text != "" and "`" not in text and text[0] != " ":
        return f"`{text}`"  # what `_code` makes of it, without the work (tests/test_report_cost.py checks)
    return _code_cached(text) if len(text) <= CACHE_TEXT else _code(text)


def plain_code(text: str) -> bool:
    """True when `_code` would put `text` in single backticks as it is: printable ASCII (so nothing for
    `inert.line` to escape: it escapes no printable ASCII character), no backtick, and not beginning with a space
    (a space at both ends gets a pad). Each test is one C call, most of them O(1) or a single scan."""
    return text.isascii() and text.isprintable() and text != "" and "`" not in text and text[0] != " "


def _code(text: str) -> str:
    text = inert.line(text, _UNCAPPED)
    if not text:
        return "` `"  # a lone space: an empty span cannot be written
    fence = "`"
    while fence in text:
        fence += "`"
    # A leading or trailing backtick would merge with the fence; one space each side is stripped when both sides
    # have one (§6.1), so a text that starts and ends with a space gets one more.
    edge = text[0] + text[-1]
    pad = " " if "`" in edge or (edge == "  " and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_code_cached = functools.lru_cache(maxsize=CACHE_SIZE)(_code)


def fence(text: str, info: str = "text") -> list[str]:
    """A fenced code block (CommonMark §4.5) whose fence is longer than any backtick run in the text; newlines
    and tabs are kept, every other control character is shown escaped."""
    if not plain_block(text):
        text = inert.block(text, _UNCAPPED)
    marker = "```"
    while marker in text:
        marker += "`"
    return [f"{marker}{info}", text, marker]


def line(text: str, limit: int) -> str:
    """`inert.line(text, limit)`, without its search where there is nothing to find: printable ASCII holds no
    character it escapes, so such text (an id, most results) is only capped (tests/test_report_cost.py checks)."""
    if text.isascii() and text.isprintable():
        return inert.cap(text, limit)
    return inert.line(text, limit)


def plain_block(text: str) -> bool:
    """True when `inert.block` would leave `text` as it is: printable ASCII lines (it escapes no printable ASCII
    character; other text, even with a tab, which it keeps, takes the full way). Each test is one C call; a newline
    is tested as a space (printable, like the rest of a plain line): a replacement of the same length is a plain
    copy, where removing it would build the text anew."""
    return text.isascii() and text.replace("\n", " ").isprintable()


def _plain(word: str, first: bool) -> bool:
    if word in _SYMBOLS:
        return True
    # A time and a number begin with a digit (`\d` is a decimal digit, what `str.isdecimal` tells): a word that
    # does not, most words, needs neither search.
    if word[:1].isdecimal():
        if _STAMP.fullmatch(word):
            return True
        if _NUMBER.fullmatch(word):
            return not first  # `1.` or `1)` at the start of a line opens a list
    return _LETTERS.fullmatch(word) is not None and _HEX_RUN.search(word) is None


def prose(text: str, start: bool = False) -> str:
    """A sentence that may embed outside text: plain words stay as they are, every other word becomes a code
    span (brackets and trailing punctuation stay outside it). Whitespace runs become one space. `start`: the text
    begins a line, where a number could open a list."""
    if text.isascii() and text.isprintable() and " " not in text and text != "":
        # One word and nothing `inert.line` would escape (the only printable ASCII whitespace is the space): what
        # `_prose` makes of it is that word's, which the word cache keeps, so it is not kept twice.
        return _token_cached(text, start) if len(text) <= CACHE_TEXT else _token(text, start)
    return _prose_cached(text, start) if len(text) <= CACHE_TEXT else _prose(text, start)


def prose_once(text: str) -> str:
    """`prose(text)` for a text met once in a report (a probe id): the same work, without the caches, where it
    would only push out text that repeats."""
    if text.isascii() and text.isprintable() and " " not in text and text != "":
        return _token(text, False)
    return _prose(text, False)


def _prose(text: str, start: bool) -> str:
    if not (text.isascii() and text.isprintable()):  # printable ASCII holds nothing `inert.line` escapes
        text = inert.line(text, _UNCAPPED)
    tokens = text.split()
    return " ".join([_word(token, start and n == 0) for n, token in enumerate(tokens)])


def _token(token: str, first: bool) -> str:
    """One word of `prose`: as it is when plain, else in a code span, brackets and trailing punctuation outside."""
    if token[-1].isdecimal() and not token[0].isdecimal() and token[0] not in _LEAD:
        # Most probe ids (`bench-00042`): a word that ends in a digit is plain only as a number or a time, which
        # begin with one; nothing to keep outside (no bracket first, no punctuation last), so all of it is code
        # without the searches below (tests/test_report_text.py checks it is what they make of it).
        return code(token)
    core = token.lstrip(_LEAD)
    lead = token[: len(token) - len(core)]
    word = core.rstrip(_TRAIL)
    trail = core[len(word) :]
    if not word or _plain(word, first):
        return token
    return f"{lead}{code(word)}{trail}"


def _word(token: str, first: bool) -> str:
    return _token_cached(token, first) if len(token) <= CACHE_TEXT else _token(token, first)


_prose_cached = functools.lru_cache(maxsize=CACHE_SIZE)(_prose)
_token_cached = functools.lru_cache(maxsize=CACHE_SIZE)(_token)


def cell(markdown: str) -> str:
    """Markdown (plain words, code spans) made safe inside a GFM table cell: a pipe, even inside a code span,
    is escaped (GFM §4.10; GitHub shows `\\|` inside a code span in a cell as `|`), and no line break survives."""
    if "|" in markdown or "\r" in markdown or "\n" in markdown:
        return markdown.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return markdown  # nothing to replace: three searches cost less than three replacements that find nothing


# Our own counts: thousands with commas (1,234 probes), and a multiplication sign and a number after a value.
_COUNT = re.compile(r"×?\d{1,3}(?:,\d{3})+|×\d{1,6}")


def words(parts: tuple[tuple[str, bool], ...]) -> str:
    """A sentence in pieces (prober.words.Words) as Markdown: values as code spans, our words as `prose` (so
    even they cannot open anything), except the counts we write, which stay plain."""
    out = []
    for text, is_value in parts:
        if is_value:
            out.append(code(text))
            continue
        tokens = text.split(" ")
        out.append(" ".join(t if _COUNT.fullmatch(t.strip(_LEAD + _TRAIL)) else prose(t) for t in tokens))
    return "".join(out)
