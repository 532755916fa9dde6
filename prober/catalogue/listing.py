"""Pure: the probes as `prober list` shows them, each request as it would be sent (like httpie --offline), with the
credentials and captured values as shell-style placeholders, never values."""

from __future__ import annotations

import json
from typing import Any

from prober import capture
from prober.model import Auth, Probe

KEY = "$DASHSCOPE_API_KEY"
TOKEN = "$BAILIAN_CONSOLE_TOKEN"
COOKIE = "$COOKIE"


def _placeholders(text: str) -> str:
    """`{{ sec_token }}` (or its form-encoded twin) as `${SEC_TOKEN}`, as the report's curl lines write it."""
    for pattern in (capture.PLACEHOLDER, capture.ENCODED):
        text = pattern.sub(lambda m: "${" + m.group(1).upper() + "}", text)
    return text


def headers(probe: Probe) -> list[tuple[str, str]]:
    """The headers the probe's first request carries, in order: the catalogue's, the credential, the body's type."""
    found = [(name, _placeholders(value)) for name, value in probe.headers]
    if probe.auth is Auth.KEY and probe.key_style is not None:
        found.append((probe.key_style.header, probe.key_style.header_value(KEY)))
    elif probe.auth is Auth.CONSOLE_TOKEN:
        found.append(("Authorization", f"Bearer {TOKEN}"))
    elif probe.auth is Auth.COOKIES:
        found.append(("Cookie", f"{COOKIE} (the jar's cookies for this URL)"))
    if probe.body is not None:
        found.append(("Content-Type", probe.body.kind.content_type))
    return found


def _auth(probe: Probe) -> str:
    return probe.auth.value + (f" ({probe.key_style.value})" if probe.key_style else "")


def _tags(probe: Probe) -> str:
    return " ".join(f"{key}={value}" for key, value in probe.tags.items())


WIDTH = 100


def _fold(line: str, width: int | None) -> list[str]:
    """A line longer than `width` cut into pieces, each further piece indented by two spaces and marked with a
    leading `↳`, so the listing fits a terminal; None keeps every line whole (piped output, `--format json`)."""
    if width is None or len(line) <= width:
        return [line]
    pieces = [line[:width]]
    rest = line[width:]
    while rest:
        pieces.append("  ↳ " + rest[: width - 4])
        rest = rest[width - 4 :]
    return pieces


def text(probes: tuple[Probe, ...], width: int | None = None) -> str:
    """One block per probe: id, auth, tags and needs; then the request line, headers and body; no line wider than
    `width`."""
    blocks = []
    for probe in probes:
        about = [f"auth {_auth(probe)}"]
        if probe.tags.items():
            about.append(f"tags {_tags(probe)}")
        if probe.needs:
            about.append(f"needs {', '.join(probe.needs)}")
        lines = [f"# {probe.id} · {' · '.join(about)}", f"{probe.method} {_placeholders(probe.url)}"]
        lines += [f"{name}: {value}" for name, value in headers(probe)]
        if probe.body is not None:
            lines += ["", _placeholders(probe.body.text)]
        blocks.append("\n".join(piece for line in lines for sub in line.split("\n") for piece in _fold(sub, width)))
    return "\n\n".join(blocks) + "\n"


def document(probes: tuple[Probe, ...]) -> list[dict[str, Any]]:
    """The probes for `--format json`: what would be sent and what each probe is, as plain data."""
    return [
        {
            "id": probe.id,
            "method": probe.method,
            "url": _placeholders(probe.url),
            "headers": [[name, value] for name, value in headers(probe)],
            "body": _placeholders(probe.body.text) if probe.body is not None else None,
            "auth": probe.auth.value,
            "key_style": probe.key_style.value if probe.key_style else None,
            "tags": dict(probe.tags.items()),
            "needs": list(probe.needs),
            "billable": probe.billable,
            "source": probe.source,
        }
        for probe in probes
    ]


def json_text(probes: tuple[Probe, ...]) -> str:
    return json.dumps(document(probes), indent=2, ensure_ascii=False) + "\n"
