"""JSON cookie exports from the Cookie-Editor and EditThisCookie browser extensions (an array of cookie objects)."""

from __future__ import annotations

import json
from typing import Any

from prober.cookies import Cookie, Jar
from prober.errors import CredentialError
from prober.redact import Secret

_HINT = "export with Cookie-Editor or EditThisCookie ('Export' -> JSON): an array of {name, value, domain, ...}"


def _show(key: str) -> str:
    """A JSON key as it may appear in a one-line message."""
    return key if key.isprintable() and len(key) <= 30 else repr(key[:30])


def describe(data: Any) -> str:
    """A short description of a JSON value's shape, for error messages (never its content)."""
    if isinstance(data, dict):
        keys = ", ".join(_show(k) for k in sorted(data)[:5]) + (", ..." if len(data) > 5 else "")
        return f"a JSON object with keys {keys}" if data else "an empty JSON object"
    if isinstance(data, list):
        return f"a JSON array of {len(data)} items"
    if isinstance(data, bool):
        return "a JSON boolean"
    if data is None:
        return "JSON null"
    return {str: "a JSON string", int: "a JSON number", float: "a JSON number"}.get(type(data), "a JSON value")


def loads(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CredentialError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})", _HINT) from None
    except ValueError as exc:  # e.g. an integer longer than Python's int-string limit
        raise CredentialError(f"{name}: not valid JSON ({exc})", _HINT) from None
    except RecursionError:
        raise CredentialError(f"{name}: JSON nested too deeply", _HINT) from None


def _text(entry: dict[str, Any], key: str, number: int, name: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        what = "missing" if key not in entry else describe(value)
        raise CredentialError(f"{name}: cookie #{number} field {key!r} is {what}, expected a string", _HINT)
    return value


def _expires(entry: dict[str, Any], number: int, name: str) -> float | None:
    if entry.get("session") is True or "expirationDate" not in entry:
        return None
    value = entry["expirationDate"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CredentialError(f"{name}: cookie #{number} field 'expirationDate' is not a number of seconds", _HINT)
    try:
        return float(value)
    except OverflowError:
        raise CredentialError(f"{name}: cookie #{number} field 'expirationDate' is out of range", _HINT) from None


def from_data(data: Any, name: str) -> Jar:
    """A parsed JSON value that should be a Cookie-Editor / EditThisCookie export."""
    if not isinstance(data, list):
        raise CredentialError(f"{name}: {describe(data)}, not a cookie export (a JSON array of cookies)", _HINT)
    if not data:
        raise CredentialError(f"{name}: the JSON array is empty: no cookies", _HINT)
    cookies = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise CredentialError(f"{name}: cookie #{number} is {describe(entry)}, not a cookie object", _HINT)
        cookie_name = _text(entry, "name", number, name)
        value = _text(entry, "value", number, name)
        domain = _text(entry, "domain", number, name)
        host_only = entry.get("hostOnly")
        if not isinstance(host_only, bool):
            host_only = not domain.startswith(".")  # extensions write a domain cookie's domain with a dot
        path = entry.get("path")
        cookies.append(
            Cookie(
                name=cookie_name,
                value=Secret(value),
                domain=domain.lstrip(".").lower(),
                host_only=host_only,
                path=path if isinstance(path, str) and path.startswith("/") else "/",
                secure=entry.get("secure") is True,
                http_only=entry.get("httpOnly") is True,
                expires=_expires(entry, number, name),
            )
        )
    # EditThisCookie numbers its cookies with an `id`; Cookie-Editor does not.
    kind = "editthiscookie" if all(isinstance(e, dict) and "id" in e for e in data) else "cookie-editor"
    return Jar(kind=kind, cookies=tuple(cookies))


def parse(text: str, name: str) -> Jar:
    return from_data(loads(text, name), name)
