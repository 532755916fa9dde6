"""`--connect-to` rules (curl's HOST:PORT:CONNECT_HOST:CONNECT_PORT semantics): pure parsing and matching."""

from __future__ import annotations

from dataclasses import dataclass

from prober.errors import ProberError


@dataclass(frozen=True, slots=True)
class ConnectTo:
    """Send requests for host:port to connect_host:connect_port. Empty host or port (None) match all."""

    host: str | None
    port: int | None
    connect_host: str | None
    connect_port: int | None

    def matches(self, host: str, port: int) -> bool:
        return (self.host is None or self.host == host.lower()) and (self.port is None or self.port == port)

    def __str__(self) -> str:
        def part(value: object) -> str:
            return "" if value is None else str(value)

        connect_host = part(self.connect_host)
        if connect_host and ":" in connect_host:
            connect_host = f"[{connect_host}]"
        return ":".join((part(self.host), part(self.port), connect_host, part(self.connect_port)))


def _port(text: str, spec: str) -> int | None:
    if text == "":
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ProberError(
            f"--connect-to {spec!r}: port {text!r} is not a number from 1 to 65535",
            "use HOST:PORT:CONNECT_HOST:CONNECT_PORT, e.g. ::127.0.0.1:8443",
        )
    return int(text)


def _split(spec: str) -> list[str]:
    """Split on colons, keeping a bracketed IPv6 address ([::1]) whole."""
    fields: list[str] = []
    current = ""
    depth = 0
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == ":" and depth == 0:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    return fields


def parse(spec: str) -> ConnectTo:
    fields = _split(spec)
    if len(fields) != 4:
        raise ProberError(
            f"--connect-to {spec!r} has {len(fields)} fields, expected 4",
            "use HOST:PORT:CONNECT_HOST:CONNECT_PORT (curl's syntax; empty HOST or PORT match all)",
        )
    host, port, connect_host, connect_port = fields
    return ConnectTo(
        host=host.lower() or None,
        port=_port(port, spec),
        connect_host=connect_host.strip("[]") or None,
        connect_port=_port(connect_port, spec),
    )


def route(rules: tuple[ConnectTo, ...], host: str, port: int) -> tuple[str, int]:
    """Where to connect for host:port: the first matching rule wins, as in curl."""
    for rule in rules:
        if rule.matches(host, port):
            return rule.connect_host or host, rule.connect_port or port
    return host, port
