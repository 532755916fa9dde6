"""Pure: a body read as JSON, with the JSON strings embedded in it at any depth expanded, never past a fixed depth."""

from __future__ import annotations

import json

# Bodies are bounded by the runner, but nesting is not: readers stop descending past this depth so a hostile or
# broken body can never reach Python's recursion limit.
MAX_DEPTH = 64


def decode(text: str) -> object:
    """The body as JSON with JSON strings embedded at any depth expanded; None when it is not JSON.

    docs/vendor.md#shape-datav2-success: the console may send the payload as a JSON string inside
    `successResponse.body` (and QwenCloud's envelope carries `Data` as a string), and CodexBar expands such strings
    recursively. The quota, the vendor's error shapes, captures and `prober learn` all read bodies through this.
    """
    try:
        value: object = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return _expand(value, 0)


def _expand(value: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                inner: object = json.loads(stripped)
            except (ValueError, RecursionError):
                return value
            return _expand(inner, depth + 1)
        return value
    if isinstance(value, dict):
        return {key: _expand(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, depth + 1) for item in value]
    return value
