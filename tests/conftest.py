"""Shared fixtures: real aiohttp servers on 127.0.0.1 over real TLS, run in a background thread."""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from tests.cli import serving

HOSTS = ("api.example.test", "console.example.test", "other.example.test", "login.example.test")
ROOT_HOSTS = HOSTS

CANARY_KEY = "sk-sp-CANARYkey0123456789abcdefCANARY"
CANARY_COOKIE = "CANARYcookieValue-4f2a9b7c1d"


@dataclass
class Seen:
    """What the server received, so tests assert at the receiving end."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def for_host(self, host: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["host"] == host]


@dataclass
class Server:
    port: int
    ca_path: Path
    seen: Seen

    @property
    def connect_to(self) -> str:
        return f"::127.0.0.1:{self.port}"


Handler = Callable[[web.Request], Any]


class _Thread:
    def __init__(self, app: web.Application, context: ssl.SSLContext) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = app
        self.context = context
        self.port = 0
        self.ready = threading.Event()
        self.runner: web.AppRunner | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._stop())
        self.loop.close()

    async def _start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.context)
        await site.start()
        self.port = self.runner.addresses[0][1]  # the port the system chose for port 0

    async def _stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert(*HOSTS, "localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path, context


def start_server(
    routes: dict[str, Handler], context: ssl.SSLContext, ca_path: Path
) -> tuple[Server, Callable[[], None]]:
    """Start a TLS server on 127.0.0.1 whose routes are keyed by host + path; returns it and its stop function."""
    seen = Seen()

    async def dispatch(request: web.Request) -> Any:
        host = (request.host or "").split(":")[0]
        body = await request.text()
        seen.requests.append(
            {
                "host": host,
                "path": request.path,
                "method": request.method,
                "headers": dict(request.headers),
                "body": body,
            }
        )
        handler = routes.get(f"{host}{request.path}")
        if handler is None:
            return web.Response(status=404, text="no route")
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    thread = _Thread(app, context)
    thread.start()
    return Server(port=thread.port, ca_path=ca_path, seen=seen), thread.stop


@pytest.fixture
def serve(tls_ca: tuple[trustme.CA, Path, ssl.SSLContext]) -> Iterator[Callable[[dict[str, Handler]], Server]]:
    """serve({"api.example.test/path": handler, ...}) -> Server; routes keyed by host + path."""
    stops: list[Callable[[], None]] = []

    def start(routes: dict[str, Handler]) -> Server:
        server, stop = start_server(routes, tls_ca[2], tls_ca[1])
        stops.append(stop)
        return server

    yield start
    for stop in stops:
        stop()


ScenarioReplica = Callable[[str], tuple[str, str]]  # start(NAME) -> (--connect-to, --cacert)


@pytest.fixture
def scenario_replica(tmp_path: Path) -> Iterator[ScenarioReplica]:
    """start(NAME): `prober replica --scenario NAME` as users start it, as many as a test asks for; each returns the
    --connect-to and --cacert values it printed, and all stop when the test ends."""
    with ExitStack() as stack:

        def start(scenario: str) -> tuple[str, str]:
            args = ("replica", "--port", "0", "--scenario", scenario, "--dir", str(tmp_path / f"replica-{scenario}"))
            _, printed = stack.enter_context(serving(*args, until=lambda line: "--connect-to " in line))
            found = re.search(r"--connect-to (\S+) --cacert (\S+)", printed[-1]) if printed else None
            assert found is not None, f"the replica did not print its flags: {printed}"
            return found.group(1), found.group(2)

        yield start
