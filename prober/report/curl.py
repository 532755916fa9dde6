"""A copy-pasteable curl command per probe, with `$DASHSCOPE_API_KEY` / `$COOKIE` in place of secrets."""

from __future__ import annotations

import re
import shlex

from prober import capture
from prober.model import Auth, Probe


def _arg(text: str) -> str:
    """Shell-quote one argument; a captured {{ name }} becomes the shell variable $NAME, never its value."""
    if not (capture.PLACEHOLDER.search(text) or capture.ENCODED.search(text)):
        return shlex.quote(text)
    escaped = re.sub(r'(["\\$`])', r"\\\1", text)
    for pattern in (capture.PLACEHOLDER, capture.ENCODED):
        escaped = pattern.sub(lambda m: "${" + m.group(1).upper() + "}", escaped)
    return '"' + escaped + '"'


def command(probe: Probe) -> str:
    parts = ["curl", "-sS", "-i"]
    if probe.method == "HEAD":
        parts.append("--head")
    elif probe.method != "GET" or probe.body is not None:
        parts += ["-X", probe.method]
    parts.append(_arg(probe.url))
    for name, value in probe.headers:
        parts += ["-H", _arg(f"{name}: {value}")]
    if probe.auth is Auth.KEY and probe.key_style is not None:
        # Double quotes so the shell expands the variable; the value itself never appears here.
        parts += ["-H", f'"{probe.key_style.header}: {probe.key_style.header_value("$DASHSCOPE_API_KEY")}"']
    elif probe.auth is Auth.CONSOLE_TOKEN:
        parts += ["-H", '"Authorization: Bearer $BAILIAN_CONSOLE_TOKEN"']
    elif probe.auth is Auth.COOKIES:
        parts += ["-H", '"Cookie: $COOKIE"']
    if probe.body is not None:
        parts += ["-H", shlex.quote(f"Content-Type: {probe.body.kind.content_type}")]
        parts += ["--data-raw", _arg(probe.body.text)]
    return " ".join(parts)
