"""Server text coming in: how an answer's strings become part of a Hop or an Outcome (secrets scrubbed, personal
fields masked, controls escaped, capped), and scrubbed again for the credentials learned after it was kept."""

from __future__ import annotations

from dataclasses import replace

from prober import inert, redact
from prober.model import Outcome, Pairs, Quota, Shape, VendorError
from prober.redact import Redactor

_TEXT_MESSAGE_CAP = 200


class Keep:
    """Server text as an outcome keeps it: secrets scrubbed, personal fields masked, controls escaped, capped.
    Everything that came from a server, or was built from a captured value, passes through here before it becomes
    part of a Hop or an Outcome; nothing downstream rewrites a finished report."""

    # Answers repeat most of their short strings (header names and values, reasons, content types): a line kept
    # once is remembered, for as long as the redactor knows the same secrets (`Redactor.version`).
    _MEMO_TEXT = 512  # longer lines are kept afresh each time
    _MEMO_SIZE = 4096  # entries; the memo starts over when it is full

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._memo: dict[int, dict[str, str]] = {}  # limit -> text -> the text as kept
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}  # a header as received -> as kept
        self._size = 0  # entries over all limits and pairs
        self._version = redactor.version

    def _scrubbed(self, text: str, limit: int) -> str:
        # Scrub at most a little more than is kept: a secret's longest encoding fits in the margin. Where the text
        # went on past it, the cut may split a secret no scrubbing recognises, and scrubbing may have shrunk the
        # text so far that the cap would keep that piece: the margin's length is dropped from the end (issue 15:
        # long header values, such as a Location holding many encodings of a secret, showed it).
        if not text:
            return text  # an empty body or header: nothing to scrub (many answers have no body)
        reach = self._redactor.reach
        scrubbed = redact.personal(self._redactor.text(text[: limit + reach]))
        return scrubbed if len(text) <= limit + reach else scrubbed[: max(len(scrubbed) - reach, 0)] + "…"

    def line(self, text: str, limit: int = inert.LINE_CAP) -> str:
        if self._version != self._redactor.version:  # a new secret: what was kept may hold it
            self._forget()
        memo = self._memo.get(limit)
        if memo is not None:
            kept = memo.get(text)
            if kept is not None:
                return kept
        kept = inert.line(self._scrubbed(text, limit), limit)
        if len(text) <= self._MEMO_TEXT:
            if self._size >= self._MEMO_SIZE:
                self._forget()
            self._memo.setdefault(limit, {})[text] = kept
            self._size += 1
        return kept

    def _forget(self) -> None:
        self._memo = {}
        self._pairs = {}
        self._size = 0
        self._version = self._redactor.version

    def optional(self, text: str | None, limit: int = inert.LINE_CAP) -> str | None:
        return None if text is None else self.line(text, limit)

    def block(self, text: str, limit: int) -> str:
        return inert.block(self._scrubbed(text, limit), limit)

    def pairs(self, pairs: Pairs) -> Pairs:
        """Each (name, value) kept as `line` keeps a name and a value; a pair seen before is looked up whole."""
        if not pairs:
            return ()
        if self._version != self._redactor.version:
            self._forget()
        memo = self._pairs
        return tuple([memo.get(pair) or self._pair(pair) for pair in pairs])

    def _pair(self, pair: tuple[str, str]) -> tuple[str, str]:
        name, value = pair
        kept = (self.line(name, inert.NAME_CAP), self.line(value))
        if len(name) + len(value) <= self._MEMO_TEXT:
            if self._size >= self._MEMO_SIZE:
                self._forget()
            self._pairs[pair] = kept
            self._size += 1
        return kept

    def vendor(self, error: VendorError | None) -> VendorError | None:
        if error is None:
            return None
        return VendorError(
            shape=error.shape,
            code=self.optional(error.code, inert.NAME_CAP),
            # A plain-text body is the message: its first 200 characters, cut only after scrubbing (shapes._text).
            message=self.optional(error.message, _TEXT_MESSAGE_CAP if error.shape is Shape.TEXT else inert.LINE_CAP),
            request_id=self.optional(error.request_id, inert.NAME_CAP),
        )

    def quota(self, found: Quota | None) -> Quota | None:
        if found is None:
            return None
        return replace(
            found, plan=self.optional(found.plan, inert.NAME_CAP), status=self.optional(found.status, inert.NAME_CAP)
        )


def scrub_again(outcome: Outcome, redactor: Redactor) -> Outcome:
    """The outcome with the credentials learned after it was kept scrubbed from its server text too: a sec_token a
    later probe captured may sit in an answer kept earlier. Only server text is touched, never ids or classes."""

    def text(value: str) -> str:
        return redactor.again(value)

    def optional(value: str | None) -> str | None:
        return None if value is None else redactor.again(value)

    def pairs(values: Pairs) -> Pairs:
        return tuple((k, text(v)) for k, v in values)

    error = outcome.vendor_error
    found = outcome.quota
    return replace(
        outcome,
        explanation=text(outcome.explanation),
        reason=text(outcome.reason),
        hops=tuple(
            replace(h, url=text(h.url), reason=text(h.reason), location=optional(h.location), headers=pairs(h.headers))
            for h in outcome.hops
        ),
        final_url=optional(outcome.final_url),
        rate_limits=pairs(outcome.rate_limits),
        diagnostics=pairs(outcome.diagnostics),
        checked_headers=pairs(outcome.checked_headers),
        content_type=optional(outcome.content_type),
        body_excerpt=text(outcome.body_excerpt),
        vendor_error=(
            replace(
                error, code=optional(error.code), message=optional(error.message), request_id=optional(error.request_id)
            )
            if error is not None
            else None
        ),
        quota=replace(found, plan=optional(found.plan), status=optional(found.status)) if found is not None else None,
        error=optional(outcome.error),
    )
