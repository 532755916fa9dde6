"""The one place that knows every secret and scrubs every string that leaves the process."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REDACTED = "[REDACTED]"

# Anything shaped like a DashScope / OpenAI-style key, even if we were never told it (reference (b): sk-,
# sk-sp-, sk-ws- prefixes). Twenty characters after the prefix keeps ordinary words like "sk-learn" intact.
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9][A-Za-z0-9._\-]{19,}")

# Values shorter than this carry no entropy (cookie values such as "INTL", "en", "1"); searching for them
# in server text would shred reports without protecting anything. They are still never printed by us.
MIN_SECRET_LENGTH = 6


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


def _hex(byte: int) -> str:
    """A %XX escape for one byte, hex digits in either case."""
    return "%" + "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{byte:02X}")


def _char(ch: str) -> str:
    """Every way one character of a secret can appear when a server echoes it: literally, percent-encoded
    (in any mix with literal characters, as URL normalisers produce), `+` for a space, or JSON-escaped."""
    forms = [re.escape(ch), "".join(_hex(b) for b in ch.encode())]
    if ch == " ":
        forms.append(r"\+")
    if ch == "+":
        forms.append(" ")  # a form-decoded echo turns "+" into a space
    if not ch.isalnum():
        forms.append(re.escape(json.dumps(ch)[1:-1]))
        forms.append(re.escape(f"\\u{ord(ch):04x}"))
    return "(?:" + "|".join(dict.fromkeys(forms)) + ")"


def _pattern(value: str) -> str:
    return "".join(_char(ch) for ch in value)


class Redactor:
    """Scrubs known secrets (in every encoding we know) and key-shaped strings from text.

    Built once per sweep; the pattern is compiled once, so scrubbing costs one regex pass per string.
    """

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern = _KEY_SHAPE
        self.add(secrets)

    def add(self, secrets: Iterable[Secret | str]) -> None:
        """Learn more secrets (values captured during the sweep); the pattern is rebuilt only if one is new."""
        new = {raw for s in secrets if len(raw := s.reveal() if isinstance(s, Secret) else s) >= MIN_SECRET_LENGTH}
        if not new - self._values:
            return
        self._values |= new
        # Longest first so a secret that contains another is replaced whole.
        ordered = sorted(self._values, key=lambda v: (-len(v), v))
        parts = [_pattern(v) for v in ordered] + [_KEY_SHAPE.pattern]
        self._pattern = re.compile("|".join(parts))

    @property
    def margin(self) -> int:
        """Longer than any known secret in its longest encoding (`\\uXXXX`, six characters per character)."""
        return 6 * max((len(v) for v in self._values), default=0) + 64

    def text(self, value: str) -> str:
        return self._pattern.sub(REDACTED, value)

    def data(self, value: Any) -> Any:
        """Scrub every string (keys included) in a JSON-like structure.

        One regex pass over the structure's JSON text (the pattern knows the JSON-escaped forms of every
        secret); if a replacement ever broke the JSON (a match starting inside an escape), walk it string by string.
        """
        return self.json_text(json.dumps(value, ensure_ascii=False))

    def json_text(self, text: str) -> Any:
        """The JSON document `text`, parsed, with every string scrubbed (see `data`). Holding only text while
        it works, it lets a caller drop the objects the text was made from before scrubbing a large report."""
        scrubbed = self._pattern.sub(REDACTED, text)
        try:
            return json.loads(scrubbed)
        except ValueError:
            del scrubbed
            return self._walk(json.loads(text))

    def _walk(self, value: Any) -> Any:
        seen: dict[str, str] = {}  # reports repeat strings (methods, classes, hosts): scrub each once

        def text(item: str) -> str:
            if len(item) < MIN_SECRET_LENGTH:  # too short to hold a secret or a key shape
                return item
            done = seen.get(item)
            if done is None:
                done = seen[item] = self._pattern.sub(REDACTED, item)
            return done

        def walk(item: Any) -> Any:
            if isinstance(item, str):
                return text(item)
            if isinstance(item, dict):
                return {text(k) if isinstance(k, str) else k: walk(v) for k, v in item.items()}
            if isinstance(item, list | tuple):
                return [walk(v) for v in item]
            return item

        return walk(value)
