"""The replica's HTTPS server: aiohttp over a trustme certificate, dispatching on the Host header."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from prober.replica import behaviours, browser, scenarios
from prober.replica.behaviours.common import Request
from prober.replica.certs import make_tls
from prober.replica.replay import Replay

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


class _CountingServer(web.Server):
    """A low-level aiohttp server counting the connections it accepts (to prove client connection reuse)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepted = 0

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        self.accepted += 1
        super().connection_made(handler, transport)


def _strip_port(host: str) -> str:
    """`example.com:443` -> `example.com`, `[::1]:443` -> `::1`; lower-cased, without a trailing dot."""
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".").lower()


def _encoded(text: str, content_type: str | None) -> bytes:
    """The body in the charset its content type names (a replayed GBK page stays GBK), else UTF-8."""
    found = _CHARSET.search(content_type or "")
    if found is not None:
        try:
            return text.encode(found.group(1))
        except (LookupError, UnicodeEncodeError):
            pass
    return text.encode("utf-8", errors="replace")


def _url_host(host: str) -> str:
    try:
        is_v6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        is_v6 = False
    return f"[{host}]" if is_v6 else host


class Replica:
    """A running replica: where it listens, which CA to trust, how many connections it accepted."""

    def __init__(
        self,
        runner: web.ServerRunner,
        server: _CountingServer,
        host: str,
        port: int,
        ca_path: Path,
        scenario: str = scenarios.OBSERVED,
    ) -> None:
        self._runner = runner
        self._server = server
        self.host = host
        self.port = port
        self.ca_path = ca_path
        self.scenario = scenario

    @property
    def url_host(self) -> str:
        """The listening address as it goes into a URL (IPv6 in brackets)."""
        return _url_host(self.host)

    @property
    def connect_to(self) -> str:
        """curl --connect-to value sending every host:port here (`HOST:PORT:CONNECT_HOST:CONNECT_PORT`)."""
        return f"::{self.url_host}:{self.port}"

    @property
    def connections(self) -> int:
        """TCP (TLS) connections accepted so far."""
        return self._server.accepted

    async def close(self) -> None:
        await self._runner.cleanup()


async def start(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency: float = 0.0,
    directory: Path,
    scenario: str = scenarios.OBSERVED,
    replay: Replay | None = None,
) -> Replica:
    """Serve every behaviours.HOSTS name over TLS as `scenario` says, or, given a `replay`, the answers its reports
    recorded for every host they name (prober/replica/replay.py); `latency` seconds pass before each answer."""
    scenarios.get(scenario)  # an unknown name is a ValueError now, not a 500 on the first request
    tls = make_tls(behaviours.HOSTS | replay.hosts if replay is not None else behaviours.HOSTS, directory)
    # Per replica: sessions' sec_tokens and the tickets its login mints are HMACs under it.
    secret = secrets.token_bytes(32)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        view = Request(
            method=request.method.upper(),
            host=_strip_port(request.headers.get("Host", "")),
            path=request.path,
            query=dict(request.query.items()),
            headers={k.lower(): v for k, v in request.headers.items()},
            cookies=dict(request.cookies),
            body=await request.text() if request.can_read_body else "",
            secret=secret,
        )
        if latency > 0:
            await asyncio.sleep(latency)
        if replay is not None:
            result = replay.answer(view)
        else:  # a browser's console page calls the RPC host cross-origin (docs/vendor.md#choice-console-page)
            found = scenarios.answer(view, scenario)
            result = browser.preflight(view) or replace(found, headers=(*found.headers, *browser.cors(view)))
        body = _encoded(result.body, result.content_type) if result.body else None
        response = web.Response(status=result.status, reason=result.reason, body=body)
        # aiohttp would announce itself; the replica says what it is unless a behaviour overrides it.
        response.headers["Server"] = "prober-replica"
        if result.content_type is not None:
            response.headers["Content-Type"] = result.content_type
        # A behaviour's header replaces a default of the same name; repeats (Set-Cookie) are all sent.
        given: set[str] = set()
        for name, value in result.headers:
            if name.lower() in given:
                response.headers.add(name, value)
            else:
                response.headers[name] = value
                given.add(name.lower())
        return response

    server = _CountingServer(handle)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls.server_context())
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1])
    return Replica(runner, server, host, bound_port, tls.ca_path, scenario)


@contextlib.contextmanager
def running(
    directory: Path, scenario: str = scenarios.OBSERVED, latency: float = 0.0, replay: Replay | None = None
) -> Iterator[Replica]:
    """A replica on a free port of 127.0.0.1, served from a thread of its own while the block runs: the demo then
    runs its sweep exactly as `prober run` does, with its own event loop."""
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[Replica] = concurrent.futures.Future()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            started.set_result(
                loop.run_until_complete(start(directory=directory, scenario=scenario, latency=latency, replay=replay))
            )
        except BaseException as exc:  # handed to the caller, which raises it
            started.set_exception(exc)
            return
        loop.run_forever()

    thread = threading.Thread(target=serve, name="prober-replica", daemon=True)
    thread.start()
    replica = started.result(timeout=30)
    try:
        yield replica
    finally:
        asyncio.run_coroutine_threadsafe(replica.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def serve(
    directory: Path,
    announce: Callable[[Replica], None],
    *,
    port: int,
    latency: float = 0.0,
    scenario: str = scenarios.OBSERVED,
    replay: Replay | None = None,
) -> None:
    """`prober replica`: serve until Ctrl-C or SIGTERM, calling `announce` once listening; both signals end it
    cleanly, so the caller's temporary directory is removed. OSError when the port cannot be had."""

    async def run() -> None:
        rep = await start(port=port, latency=latency, directory=directory, scenario=scenario, replay=replay)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, NotImplementedError):  # not the main thread, or no signals here
                loop.add_signal_handler(sig, stop.set)
        try:
            announce(rep)
            await stop.wait()
        finally:
            await rep.close()

    asyncio.run(run())
