"""A copy-pasteable curl command per probe, with `$DASHSCOPE_API_KEY` / `$COOKIE` in place of secrets."""

from __future__ import annotations

import shlex

from prober.model import Auth, Probe


def command(probe: Probe) -> str:
    parts = ["curl", "-sS", "-i"]
    if probe.method == "HEAD":
        parts.append("--head")
    elif probe.method != "GET" or probe.body is not None:
        parts += ["-X", probe.method]
    parts.append(shlex.quote(probe.url))
    for name, value in probe.headers:
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if probe.auth is Auth.KEY and probe.key_style is not None:
        # Double quotes so the shell expands the variable; the value itself never appears here.
        parts += ["-H", f'"{probe.key_style.header}: {probe.key_style.header_value("$DASHSCOPE_API_KEY")}"']
    elif probe.auth is Auth.COOKIES:
        parts += ["-H", '"Cookie: $COOKIE"']
    if probe.body is not None:
        parts += ["-H", shlex.quote(f"Content-Type: {probe.body.kind.content_type}")]
        parts += ["--data-raw", shlex.quote(probe.body.text)]
    return " ".join(parts)
