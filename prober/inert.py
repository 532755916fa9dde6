"""Pure: text from outside (servers, report files) made inert before it is kept, printed or written.

Control characters and escape sequences become visible escapes (`\\x1b`), undecodable bytes that aiohttp kept as
surrogates (`surrogateescape`) become `\\xNN`, and every string is capped. Applied where outside text enters the
model, so no renderer and no terminal ever sees a raw escape byte or a string it cannot encode.
"""

from __future__ import annotations

import re

# Caps, in characters, for the kinds of server text an outcome keeps.
LINE_CAP = 500  # reason phrases, header values, vendor codes and messages, error lines
URL_CAP = 2000  # URLs and Location values
NAME_CAP = 100  # cookie and header names

# C0 controls, DEL, C1 controls, lone surrogates, and the Unicode format characters that reorder or hide text
# (bidi overrides and isolates, zero-width joiners: "Trojan Source", CVE-2021-42574).
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_UNSAFE_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ELLIPSIS = "…"


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid in its charset, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def cap(text: str, limit: int) -> str:
    """At most `limit` characters; a cut is marked with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + _ELLIPSIS


def line(text: str, limit: int = LINE_CAP) -> str:
    """One line of outside text: every control character (newlines included) shown as an escape, then capped."""
    return cap(_UNSAFE_LINE.sub(_escape, text), limit)


def block(text: str, limit: int) -> str:
    """A block of outside text (a body excerpt): newlines and tabs kept, every other control shown escaped,
    then capped. CR is escaped too: a bare CR can overwrite a line on a terminal."""
    return cap(_UNSAFE_BLOCK.sub(_escape, text.replace("\r\n", "\n")), limit)


def is_inert(text: str, multiline: bool = False) -> bool:
    """True when `text` holds nothing `line` (or `block`) would escape."""
    return (_UNSAFE_BLOCK if multiline else _UNSAFE_LINE).search(text) is None
