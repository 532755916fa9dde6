"""The one place that knows every secret and scrubs server text of them, in every form a server re-encodes them.

How matching works (so its cost does not depend on how many secrets there are):

1. The text is *normalised*: percent escapes (`%2F`, `%2f`), JSON escapes (`\\/`, `\\"`, `\\u002F` in any case) and
   HTML character references (`&#47;`, `&#x2F;`, `&sol;`, `&amp;`) are decoded, keeping a map from every decoded
   position back to the span of the original text it came from.
2. Every secret is turned into a few literal *variants*: the value itself, its normalised form (a percent-encoded
   cookie value is also found decoded), `+` and space swapped (form encoding), and its base64 and base64url forms at
   each of the three byte alignments.
3. One Aho-Corasick automaton holding every variant scans the normalised text once; each match is mapped back
   and its original span replaced by `[REDACTED]`. Key-shaped strings (`sk-…`) are replaced even if never given.

Which values count as secrets (`secret_like`): ordinary words are never secrets, or a cookie such as
`region=cn-beijing` would erase host names from every excerpt. A value is a secret when it is at least
`MIN_SECRET_LENGTH` characters long and holds at least two of: two lower-case letters, two upper-case letters,
two digits, a symbol other than the joiners of ordinary names (`-`, `_`, `.`, space). So `cn-beijing`,
`aliyuncs`, `ap-southeast-1` and `1700000000` are words; `a3f9c2d1e5b7`, `Ab+cd/ef=` and tickets are secrets.
Credentials the user gives directly (the API key, a console token, a proxy password) are secrets whatever their
shape, and values captured during a sweep are secrets only when they came from a cookie or a credentialed answer.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import html.entities
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

REDACTED = "[REDACTED]"

# Anything shaped like a DashScope / OpenAI-style key, even if we were never told it (sk-, sk-sp-, sk-ws- prefixes:
# docs/vendor.md#key-prefixes). Twenty characters after the prefix keeps ordinary words like "sk-learn" intact.
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9][A-Za-z0-9._\-]{19,}")

MIN_SECRET_LENGTH = 8
# The user-info part of a URL in our own messages (`http://user:pass@proxy`), whatever the password holds.
_USERINFO = re.compile(r"(?<=://)[^\s@/]*(?:[:][^\s@]*)?@")
# Punctuation that joins the parts of ordinary names (`cn-beijing`, `en_US`, `console.aliyun.com`): not a sign of a
# credential. Any other symbol (`+`, `/`, `=`, `%`...) is.
_WORD_JOINERS = frozenset("-_. ")
# Layers of escapes decoded one inside the other (`%5C/` is a percent escape of the JSON escape `\/`).
_LAYERS = 3
# A base64 form shorter than this says too little to be worth matching (and would match by chance).
_MIN_VARIANT = 8


class Secret:
    """A credential value. Its repr and str never show the value; `.reveal()` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class KeyShape:
    """What may be said about an API key: its prefix class, length and a short hash fingerprint."""

    prefix: str
    length: int
    fingerprint: str

    def describe(self) -> str:
        return f"{self.prefix}… ({self.length} chars, fingerprint {self.fingerprint})"


_PREFIXES = ("sk-sp-", "sk-ws-", "sk-")


def shape(key: str) -> KeyShape:
    prefix = next((p for p in _PREFIXES if key.startswith(p)), "other")
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return KeyShape(prefix=prefix, length=len(key), fingerprint=f"sha256:{digest}")


def secret_like(value: str) -> bool:
    """True when `value` could be a credential rather than an ordinary word (see the module docstring)."""
    if len(value) < MIN_SECRET_LENGTH:
        return False
    lower = upper = digit = symbol = 0
    for ch in value:
        if ch.isdigit():
            digit += 1
        elif ch.islower():
            lower += 1
        elif ch.isupper():
            upper += 1
        elif ch not in _WORD_JOINERS:
            symbol += 1
    return (lower >= 2) + (upper >= 2) + (digit >= 2) + (symbol >= 1) >= 2


# --- normalisation --------------------------------------------------------------------------------------------

_ESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]{2})+"  # a run of percent escapes: decoded together, so UTF-8 sequences come out whole
    r"|\\u[0-9A-Fa-f]{4}"
    r"|\\[\\/\"'bfnrt]"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?"
)
_JSON_SIMPLE = {"\\": "\\", "/": "/", '"': '"', "'": "'", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_NEEDS_DECODING = re.compile(r"[%\\&]")


def _decode_token(token: str) -> str | None:
    """The text one escape stands for, or None to keep it as it is (an unknown entity, say)."""
    first = token[0]
    if first == "%":
        return bytes.fromhex(token.replace("%", "")).decode("utf-8", errors="replace")
    if first == "\\":
        if token[1] == "u":
            return chr(int(token[2:], 16))
        return _JSON_SIMPLE[token[1]]
    body = token[1:].rstrip(";")
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        named = html.entities.html5.get(body + ";") or (html.entities.html5.get(body) if token.endswith(";") else None)
        return named
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None


@dataclass(frozen=True, slots=True)
class _Normalised:
    """Decoded text and, for each decoded escape, where it sits in both texts: `starts[i]` and `spans[i]` =
    (decoded end, original start, original end). Between escapes the two texts run in step."""

    text: str
    starts: tuple[int, ...] = ()
    spans: tuple[tuple[int, int, int], ...] = ()

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that decoded [start, end) came from; a partly covered escape is
        included whole."""
        if not self.starts:
            return start, end
        index = bisect.bisect_right(self.starts, start) - 1  # the last escape starting at or before `start`
        if index >= 0:
            d_end, o_start, o_end = self.spans[index]
            start = o_start if start < d_end else o_end + (start - d_end)
        index = bisect.bisect_left(self.starts, end) - 1  # the last escape starting before `end`
        if index >= 0:
            d_end, _, o_end = self.spans[index]
            end = o_end if end <= d_end else o_end + (end - d_end)
        return start, end


def _normalise(text: str) -> _Normalised:
    if _NEEDS_DECODING.search(text) is None:
        return _Normalised(text, ())
    parts: list[str] = []
    starts: list[int] = []
    spans: list[tuple[int, int, int]] = []
    decoded_length = 0
    last = 0
    for match in _ESCAPE.finditer(text):
        decoded = _decode_token(match.group(0))
        if decoded is None:
            continue
        plain = text[last : match.start()]
        parts.append(plain)
        decoded_length += len(plain)
        starts.append(decoded_length)
        spans.append((decoded_length + len(decoded), match.start(), match.end()))
        parts.append(decoded)
        decoded_length += len(decoded)
        last = match.end()
    parts.append(text[last:])
    return _Normalised("".join(parts), tuple(starts), tuple(spans))


def normalise(text: str) -> str:
    """`text` with percent, JSON and HTML escapes decoded (what the redactor matches secrets against)."""
    return _normalise(text).text


# --- variants -------------------------------------------------------------------------------------------------


def _base64_forms(value: str) -> set[str]:
    """The characters of base64(…value…) that depend on `value` alone, at each of the three byte alignments."""
    data = value.encode("utf-8", errors="surrogatepass")
    forms = set()
    for skip in range(3):
        encoded = base64.b64encode(b"\0" * skip + data).decode().rstrip("=")
        start = (skip * 8 + 5) // 6  # the first character with no bits of the padding bytes
        end = ((skip + len(data)) * 8) // 6  # the last character with no bits of what follows
        inner = encoded[start:end]
        if len(inner) >= _MIN_VARIANT:
            # Standard and URL-safe alphabets, and the standard one as a form decoder shows it (`+` as a space).
            forms |= {inner, inner.translate(str.maketrans("+/", "-_")), inner.replace("+", " ")}
    return forms


def variants(value: str) -> set[str]:
    """Every literal form of `value` to look for in normalised text: the value and its decoded form, `+` and space
    swapped (form encoding), and the base64 forms of both."""
    stored = {value, normalise(value)}  # a percent-encoded cookie value is echoed decoded too, base64 included
    forms = stored | {f.replace("+", " ") for f in stored} | {normalise(value.replace(" ", "+"))}
    for form in stored:
        forms |= _base64_forms(form)
    return {f for f in forms if len(f) >= _MIN_VARIANT}


# --- the redactor ---------------------------------------------------------------------------------------------


class _Automaton:
    """An Aho-Corasick automaton over a set of literal strings, rebuilt only when a new one is added."""

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._built: ahocorasick.Automaton | None = None

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self._words)

    def add(self, words: Iterable[str]) -> None:
        new = set(words) - self._words
        if new:
            self._words |= new
            self._built = None

    def spans(self, text: str) -> list[tuple[int, int]]:
        if not self._words:
            return []
        if self._built is None:
            automaton = ahocorasick.Automaton()
            for word in self._words:
                automaton.add_word(word, len(word))
            automaton.make_automaton()
            self._built = automaton
        return [(end + 1 - length, end + 1) for end, length in self._built.iter(text)]


def _spans(text: str, automatons: tuple[_Automaton, ...], key_shapes: bool) -> list[tuple[int, int]]:
    """Where `text` holds a known secret, or a key-shaped string when `key_shapes`."""
    spans = [span for automaton in automatons for span in automaton.spans(text)]
    if key_shapes and "sk-" in text:  # the shape starts so: no need to try it at every position
        spans += [m.span() for m in _KEY_SHAPE.finditer(text)]
    return spans


def _replaced(value: str, found: list[tuple[int, int]]) -> str:
    """`value` with each span of `found` (overlapping or not) replaced by one REDACTED."""
    if not found:
        return value
    out: list[str] = []
    position = 0
    for start, end in sorted(found):
        if end <= position:
            continue
        out.append(value[position : max(start, position)])
        if start >= position:
            out.append(REDACTED)
        position = end
    out.append(value[position:])
    return "".join(out)


class Redactor:
    """Scrubs known secrets (in every form listed in the module docstring) and key-shaped strings from text.

    The secrets the user gives are matched by one automaton built once; values captured during the sweep go to a
    second, small one, so learning a captured value never rebuilds the big one.
    """

    def __init__(self, secrets: Iterable[Secret | str] = (), *, trusted: Iterable[Secret | str] = ()) -> None:
        self._given = _Automaton()
        self._learned = _Automaton()
        self._known: set[str] = set()
        self._exact: set[str] = set()
        self._longest = 0
        self.version = 0  # counts the calls to `add`: what `text` returns for a string can change only with it
        self._given.add(self._variants(secrets, require_shape=True))
        self._given.add(self._variants(trusted, require_shape=False))

    def _variants(self, secrets: Iterable[Secret | str], require_shape: bool) -> set[str]:
        found: set[str] = set()
        for secret in secrets:
            raw = secret.reveal() if isinstance(secret, Secret) else secret
            if not raw:
                continue
            if not require_shape and len(raw) >= 4:
                self._exact.add(raw)
            if raw in self._known:
                continue
            if len(raw) < MIN_SECRET_LENGTH or (require_shape and not secret_like(raw)):
                continue
            self._known.add(raw)
            self._longest = max(self._longest, len(raw))
            found |= variants(raw)
        return found

    @property
    def reach(self) -> int:
        """How far past a cut scrubbing must look: longer than any known secret in its longest form (`&#x10FFFF;`,
        ten characters per character) and than any key shape."""
        return 10 * self._longest + 64

    def add(self, secrets: Iterable[Secret | str] = (), *, trusted: Iterable[Secret | str] = ()) -> None:
        """Learn more secrets: values captured during the sweep (matched only if they look like credentials) and
        credentials the user gave directly (`trusted`, matched whatever their shape)."""
        self._learned.add(self._variants(secrets, require_shape=True) | self._variants(trusted, require_shape=False))
        self.version += 1

    def text(self, value: str) -> str:
        """`value` with every known secret, in any of its forms, and every key-shaped string replaced."""
        return self._scrub(value, (self._given, self._learned), key_shapes=True)

    def again(self, value: str) -> str:
        """`value` (already scrubbed once) with the secrets learned since replaced: for server text kept before a
        later probe captured a credential that it holds."""
        return self._scrub(value, (self._learned,), key_shapes=False)

    @property
    def learned(self) -> bool:
        """True once a captured credential has been learned."""
        return bool(self._learned.words)

    def _scrub(self, value: str, automatons: tuple[_Automaton, ...], key_shapes: bool) -> str:
        # The text as sent, then each layer of escapes decoded (a JSON escape inside a percent escape, as a URL
        # parser re-encodes one): a secret is looked for at every layer and each match mapped back to the original.
        if _NEEDS_DECODING.search(value) is None:  # no escape to decode (most text): the text is its only layer
            return _replaced(value, _spans(value, automatons, key_shapes))
        layers = [_Normalised(value)]
        for _ in range(_LAYERS):
            decoded = _normalise(layers[-1].text)
            if not decoded.starts:
                break
            layers.append(decoded)
        found: list[tuple[int, int]] = []
        for depth, layer in enumerate(layers):
            for start, end in _spans(layer.text, automatons, key_shapes):
                mapped = (start, end)
                for inner in reversed(layers[1 : depth + 1]):
                    mapped = inner.original(*mapped)
                found.append(mapped)
        return _replaced(value, found)

    def message(self, value: str) -> str:
        """Our own error and status text: `text`, and every credential the user gave directly (key, token, proxy
        password) replaced literally whatever its shape, down to four characters (a short proxy password in a 407
        line). Never used on server text, where a short value would shred ordinary words."""
        for raw in sorted(self._exact, key=len, reverse=True):
            if raw in value:
                value = value.replace(raw, REDACTED)
        return self.text(_USERINFO.sub(REDACTED + "@", value))


# --- personal data --------------------------------------------------------------------------------------------

# Fields of a logged-in console answer that name the person or the account (user info: docs/vendor.md#sec-token):
# their values are masked in every excerpt, as are e-mail addresses anywhere.
PERSONAL_FIELDS = (
    "loginId",
    "loginName",
    "nickName",
    "nick",
    "userNickName",
    "userPrincipalName",
    "realName",
    "userName",
    "mobile",
    "phone",
    "email",
    "accountId",
    "account_id",
    "aliyunPK",
    "aliyunId",
    "aliyunPk",
    "parentPk",
    "userId",
    "uid",
    "pk",
)
MASKED = "[PERSONAL]"
_FIELD = re.compile(
    r"""(?<![A-Za-z0-9_])(["']?(?:""" + "|".join(PERSONAL_FIELDS) + r""")["']?\s*[:=]\s*)"""
    r"""("(?:[^"\\\n]|\\.){1,256}"|'(?:[^'\\\n]|\\.){1,256}'|[0-9]{1,32}(?![0-9]))""",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+")


def _mask(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[0] in "'\"" else '"'  # a bare number becomes a string: JSON stays JSON
    return f"{match.group(1)}{quote}{MASKED}{quote}"


# What each pattern cannot match without: ASCII text holding none of these is returned without running the patterns
# (they try every position, and most server text has no personal field). Other text always runs them: IGNORECASE
# also folds some non-ASCII letters (the Kelvin sign matches `k`).
_FIELD_NAMES = ahocorasick.Automaton()  # the field names, lower-case: one pass over lower-cased ASCII text
for _name in PERSONAL_FIELDS:
    _FIELD_NAMES.add_word(_name.lower(), _name)
_FIELD_NAMES.make_automaton()


def personal(text: str) -> str:
    """`text` with the values of personal fields and every e-mail address masked."""
    if text.isascii():
        if next(_FIELD_NAMES.iter(text.lower()), None) is not None:
            text = _FIELD.sub(_mask, text)
        return _EMAIL.sub(MASKED, text) if "@" in text else text
    return _EMAIL.sub(MASKED, _FIELD.sub(_mask, text))
