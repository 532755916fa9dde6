"""The catalogue as a JSON Schema (draft 2020-12), for editors and other tools; built from the checks' own lists.

A schema cannot say everything `prober check` does (unique ids after expansion, `needs` and placeholders, where
credentials may go, `{host}` with `hosts:`): it says the shape, and `prober check` the rest.
"""

from __future__ import annotations

import re
from typing import Any

from prober.catalogue import checks, expect, probes

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TEXT = {"type": "string", "minLength": 1}
_SCALAR = {"type": ["string", "number", "boolean"]}


def _enum(options: tuple[str, ...], description: str) -> dict[str, Any]:
    return {"enum": list(options), "description": description}


def _probe_properties() -> dict[str, Any]:
    style = _enum(checks.STYLES, "the header that carries the key")
    return {
        "id": {
            "type": "string",
            "pattern": f"^{checks.ID.pattern}$",
            "description": "unique after expansion: lowercase letters, digits, '.', '_', '-'",
        },
        "description": {**_TEXT, "description": "what the probe checks, in words"},
        "method": {
            "type": "string",
            "pattern": "^(?:" + "|".join(_any_case(m) for m in checks.METHODS) + ")$",
            "description": "default GET",
        },
        "url": {"type": "string", "pattern": "^https?://", "description": "http:// or https:// URL; {host} with hosts"},
        "query": {
            "type": "object",
            "additionalProperties": {"oneOf": [_SCALAR, {"type": "null"}, {"type": "array", "items": _SCALAR}]},
            "description": "query parameters, percent-encoded onto the URL in order",
        },
        "hosts": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "one probe per host"},
        "headers": {
            "type": "object",
            "propertyNames": {"pattern": f"^{checks.TOKEN.pattern}$", "not": {"pattern": _credential_headers()}},
            "additionalProperties": _SCALAR,
            "description": "request headers; credentials come from auth:, never from here",
        },
        "body": {
            "type": "object",
            "properties": {"json": {}, "form": {"type": "object"}},
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "description": "exactly one of json or form",
        },
        "auth": {
            "oneOf": [
                _enum(checks.AUTHS, "which credential the runner attaches"),
                {
                    "type": "object",
                    "properties": {"key": {"oneOf": [style, {"type": "array", "minItems": 1, "items": style}]}},
                    "required": ["key"],
                    "additionalProperties": False,
                },
            ]
        },
        "tags": {
            "type": "object",
            "properties": {
                "region": _enum(checks.REGIONS, "region"),
                "surface": _enum(checks.SURFACES, "surface"),
                "cost": _enum(checks.COSTS, "billable probes run only with --billable"),
            },
            "propertyNames": {"pattern": f"^{checks.TAG.pattern}$"},
            "additionalProperties": _SCALAR,
            "description": "region, surface and cost are checked; any other tag is your own (--select team=x)",
        },
        "expect": _expect(),
        "source": {**_TEXT, "description": "where this is known from: an anchor of docs/vendor.md or a public URL"},
        "capture": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z_][a-z0-9_]*$"},
            "additionalProperties": {"oneOf": [_capture_way(), {"type": "array", "items": _capture_way()}]},
        },
        "needs": {"oneOf": [_TEXT, {"type": "array", "items": _TEXT}]},
    }


def _credential_headers() -> str:
    return "^(?:" + "|".join(_any_case(h) for h in sorted(checks.CREDENTIAL_HEADERS)) + ")$"


def _any_case(word: str) -> str:
    """A pattern for `word` in any case: JSON Schema patterns are ECMA-262 regexes, which have no inline flags."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _capture_way() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict.fromkeys(checks.CAPTURE_SOURCES, _TEXT),
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    }


def _expect() -> dict[str, Any]:
    status = {"type": "integer", "minimum": 100, "maximum": 599}
    return {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "status": {"oneOf": [status, {"type": "array", "minItems": 1, "items": status}]},
            "class": _enum(expect.CLASSES, "the outcome class"),
            "vendor_code": {**_TEXT, "description": "the vendor's error code, like InvalidApiKey"},
            "headers": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": f"^{checks.TOKEN.pattern}$"},
                "additionalProperties": {
                    **_SCALAR,
                    "description": 'absent, present, "/regex/" or an exact value (of the final answer)',
                },
            },
            "body": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "contains": _TEXT,
                    "regex": _TEXT,
                    "json": {"type": "object", "minProperties": 1, "description": "dotted.path: value"},
                },
                "description": "matched against the scrubbed body excerpt the report keeps",
            },
        },
    }


def schema() -> dict[str, Any]:
    """The JSON Schema of a catalogue."""
    properties = _probe_properties()
    return {
        "$schema": DIALECT,
        "title": "prober catalogue",
        "type": "object",
        "required": ["version", "probes"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "defaults": {
                "type": "object",
                "properties": {key: properties[key] for key in probes.DEFAULT_KEYS},
                "additionalProperties": False,
                "description": "merged under every probe (headers, query and tags key by key)",
            },
            "probes": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/probe"},
            },
        },
        "$defs": {
            "probe": {
                "type": "object",
                "required": ["id"],
                "properties": properties,
                "additionalProperties": False,
            }
        },
    }
