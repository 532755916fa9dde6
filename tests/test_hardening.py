"""Hardening: the fault matrix, politeness (rates, 429 retries), credential scoping and interrupts.

Every case runs against a real local server over TLS.
"""

from __future__ import annotations

import asyncio
import datetime
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from prober import ratelimit, routing
from prober.credentials import Credentials
from prober.model import Outcome, OutcomeClass, Probe, Tags
from prober.probe import Settings
from prober.redact import Redactor
from prober.runner import Options, run
from tests.cli import prober
from tests.conftest import ROOT_HOSTS, Server, start_server


def _probe(url: str, pid: str = "p") -> Probe:
    return Probe(id=pid, description="d", method="GET", url=url, tags=Tags("intl", "api"), source="t")


def _run(server: Server, probes: list[Probe], **settings: Any) -> tuple[Outcome, ...]:
    per_host = settings.pop("per_host", 4)
    options = Options(
        connect_to=(routing.parse(server.connect_to),),
        cacert=server.ca_path,
        settings=Settings(**settings),
        per_host=per_host,
    )
    return asyncio.run(run(probes, Credentials(), options, Redactor()))


# ---------------------------------------------------------------------------------------------------------------
# Fault matrix
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def cert_server(tmp_path: Path) -> Iterator[Callable[[ssl.SSLContext], Server]]:
    stops: list[Callable[[], None]] = []

    def start(context: ssl.SSLContext) -> Server:
        async def ok(_r: web.Request) -> web.Response:
            return web.Response(text="ok")

        server, stop = start_server({"api.example.test/": ok}, context, tmp_path / "ca.pem")
        stops.append(stop)
        return server

    yield start
    for stop in stops:
        stop()


def _context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def test_expired_certificate_is_tls_error(cert_server: Callable[[ssl.SSLContext], Server], tmp_path: Path) -> None:
    ca = trustme.CA()
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    server = cert_server(_context(ca.issue_cert(*ROOT_HOSTS, not_before=past, not_after=past.replace(month=2))))
    ca.cert_pem.write_to_path(str(server.ca_path))
    (outcome,) = _run(server, [_probe("https://api.example.test/")])
    assert outcome.klass is OutcomeClass.TLS_ERROR
    assert outcome.error is not None and "expired" in outcome.error.lower()


def test_self_signed_certificate_is_tls_error(cert_server: Callable[[ssl.SSLContext], Server]) -> None:
    ca = trustme.CA()  # the server presents the CA itself as its certificate: self-signed, and not the trusted CA
    server = cert_server(_context(ca.issue_cert(*ROOT_HOSTS)))
    trustme.CA().cert_pem.write_to_path(str(server.ca_path))
    (outcome,) = _run(server, [_probe("https://api.example.test/")])
    assert outcome.klass is OutcomeClass.TLS_ERROR


def test_server_that_accepts_and_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the TCP handshake; nobody ever reads or writes
        port = listener.getsockname()[1]
        options = Options(connect_to=(routing.parse(f"::127.0.0.1:{port}"),), settings=Settings(timeout=0.5))
        started = time.monotonic()
        (outcome,) = asyncio.run(run([_probe("https://api.example.test/")], Credentials(), options, Redactor()))
    assert outcome.klass is OutcomeClass.TIMEOUT
    assert time.monotonic() - started < 3


def test_dribbling_server_is_cut_at_the_deadline(serve: Callable[..., Server]) -> None:
    async def dribble(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"x")
            await asyncio.sleep(1)
        return response

    server = serve({"api.example.test/": dribble})
    started = time.monotonic()
    (outcome,) = _run(server, [_probe("https://api.example.test/")], timeout=1.5)
    assert outcome.klass is OutcomeClass.TIMEOUT
    assert outcome.hops and outcome.hops[0].status == 200  # the headers that did arrive are kept
    assert time.monotonic() - started < 4


def _peak_during(action: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fifty_megabyte_body_is_capped_and_memory_stays_bounded(serve: Callable[..., Server]) -> None:
    chunk = b"z" * 65536

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(50 * 1024 * 1024)})
        await response.prepare(request)
        try:
            for _ in range(50 * 16):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the prober hung up after its cap, as it should
        return response

    server = serve({"api.example.test/": huge})
    (outcome,), peak = _peak_during(lambda: _run(server, [_probe("https://api.example.test/")]))
    assert outcome.klass is OutcomeClass.OK
    assert outcome.body_truncated and outcome.body_bytes == 256 * 1024
    assert peak < 30 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"


def _gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = b"\0" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + compressor.flush()


def test_gzip_bomb_is_capped_after_decompression(serve: Callable[..., Server]) -> None:
    bomb = _gzip_bomb(256 << 20)  # 256 MiB of zeros in about 250 KiB
    assert len(bomb) < 1 << 20

    async def handler(_r: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    server = serve({"api.example.test/": handler})
    (outcome,), peak = _peak_during(lambda: _run(server, [_probe("https://api.example.test/")]))
    assert outcome.body_truncated and outcome.body_bytes <= 256 * 1024
    assert peak < 60 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "klass"),
    [
        (b'{"code": "InvalidApiKey", "message": ', "application/json", 401, OutcomeClass.KEY_REJECTED),
        (b"\xff\xfe\xfa not utf-8 \xc3\x28", "text/plain; charset=utf-8", 500, OutcomeClass.SERVER_ERROR),
        (b"{}", "application/json; charset=no-such-charset", 200, OutcomeClass.OK),
    ],
    ids=["invalid-json", "invalid-utf8", "unknown-charset"],
)
def test_malformed_bodies_are_data(
    serve: Callable[..., Server], body: bytes, content_type: str, status: int, klass: OutcomeClass
) -> None:
    async def handler(_r: web.Request) -> web.Response:
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})

    server = serve({"api.example.test/": handler})
    (outcome,) = _run(server, [_probe("https://api.example.test/")])
    assert outcome.klass is klass
    assert outcome.status == status


def test_a_storm_of_5xx_is_recorded_probe_by_probe(serve: Callable[..., Server]) -> None:
    async def storm(request: web.Request) -> web.Response:
        return web.Response(status=int(request.query.get("s", "503")), text="upstream failure")

    server = serve({"api.example.test/storm": storm})
    statuses = [500, 502, 503, 504] * 10
    probes = [_probe(f"https://api.example.test/storm?s={s}", pid=f"p{n}") for n, s in enumerate(statuses)]
    outcomes = _run(server, probes)
    assert [o.status for o in outcomes] == statuses
    assert {o.klass for o in outcomes} == {OutcomeClass.SERVER_ERROR}


# ---------------------------------------------------------------------------------------------------------------
# Politeness
# ---------------------------------------------------------------------------------------------------------------


def _arrivals(serve: Callable[..., Server], hosts: tuple[str, ...]) -> tuple[Server, dict[str, list[float]]]:
    seen: dict[str, list[float]] = {h: [] for h in hosts}

    def counter(host: str) -> Callable[[web.Request], Any]:
        async def handler(_r: web.Request) -> web.Response:
            seen[host].append(time.monotonic())
            return web.Response(text="{}")

        return handler

    return serve({f"{h}/": counter(h) for h in hosts}), seen


# The arrival times are taken in the test server's thread, which shares two cores with the client and the other test
# workers: under load a handler can run hundreds of milliseconds late and the next one on time, so counting arrivals
# per one-second window flaked (CI saw a 290 ms late arrival, then six in a window). The check below holds whatever
# the delays: a request arrives no sooner than it was sent, and a gate of `rate` per second sends its k-th request
# (from 0) no sooner than k/rate after the sweep started. So the k-th arrival can never be earlier than that, and a
# client that bursts (no gate, or a gate that lets several through at once) lands requests before their time.


def _ahead_of_rate(times: list[float], started: float, rate: float) -> list[int]:
    """Indices k whose k-th arrival came sooner than a client sending at most `rate` per second could have sent it."""
    return [k for k, t in enumerate(sorted(times)) if t < started + k / rate]


def test_global_rate_is_never_exceeded(serve: Callable[..., Server]) -> None:
    server, seen = _arrivals(serve, ("api.example.test", "console.example.test"))
    probes = [_probe(f"https://{h}/", pid=f"{h}-{n}") for n in range(8) for h in seen]
    started = time.monotonic()
    outcomes = _run(server, probes, rate=8.0, per_host=16)
    assert all(o.klass is OutcomeClass.OK for o in outcomes)
    assert _ahead_of_rate([t for ts in seen.values() for t in ts], started, 8.0) == []


def test_per_host_rate_is_never_exceeded_while_hosts_run_in_parallel(serve: Callable[..., Server]) -> None:
    server, seen = _arrivals(serve, ("api.example.test", "console.example.test"))
    probes = [_probe(f"https://{h}/", pid=f"{h}-{n}") for n in range(10) for h in seen]
    started = time.monotonic()
    _run(server, probes, host_rate=5.0, per_host=16)
    elapsed = time.monotonic() - started
    for times in seen.values():
        assert len(times) == 10
        assert _ahead_of_rate(times, started, 5.0) == []
    assert elapsed < 3.5  # both hosts proceed side by side: about 2 s, not 4


def test_429_is_retried_after_retry_after_and_every_attempt_is_recorded(serve: Callable[..., Server]) -> None:
    calls = 0

    async def throttled(_r: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls <= 2:
            return web.json_response(
                {"code": "Throttling.RateQuota", "message": "Requests rate limit exceeded"},
                status=429,
                headers={"Retry-After": "1"},
            )
        return web.json_response({"ok": True})

    server = serve({"api.example.test/": throttled})
    started = time.monotonic()
    (outcome,) = _run(server, [_probe("https://api.example.test/")], max_wait=5.0)
    assert time.monotonic() - started >= 2.0
    assert [(h.status, h.retried_after_s) for h in outcome.hops] == [(429, 1.0), (429, 1.0), (200, None)]
    assert outcome.klass is OutcomeClass.OK
    from prober.report.markdown import result

    assert result(outcome) == "429, retried after 1 s: 429, retried after 1 s: 200"


def test_429_without_max_wait_is_kept_as_the_answer(serve: Callable[..., Server]) -> None:
    async def throttled(_r: web.Request) -> web.Response:
        return web.json_response({"code": "Throttling.RateQuota"}, status=429, headers={"Retry-After": "1"})

    server = serve({"api.example.test/": throttled})
    (outcome,) = _run(server, [_probe("https://api.example.test/")])
    assert outcome.klass is OutcomeClass.RATE_LIMITED
    assert len(outcome.hops) == 1
    assert ("retry-after", "1") in outcome.rate_limits


def test_retry_after_longer_than_max_wait_is_not_waited(serve: Callable[..., Server]) -> None:
    async def throttled(_r: web.Request) -> web.Response:
        return web.json_response({}, status=429, headers={"Retry-After": "30"})

    server = serve({"api.example.test/": throttled})
    started = time.monotonic()
    (outcome,) = _run(server, [_probe("https://api.example.test/")], max_wait=5.0)
    assert time.monotonic() - started < 2
    assert outcome.klass is OutcomeClass.RATE_LIMITED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("Sun, 29 Nov 2026 08:00:30 GMT", 30.0),
        ("Sun, 29 Nov 2026 07:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("-5", None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    now = datetime.datetime(2026, 11, 29, 8, 0, 0, tzinfo=datetime.UTC).timestamp()
    assert ratelimit.retry_after(value, now) == expected


# ---------------------------------------------------------------------------------------------------------------
# Credential scoping and interrupts, through the command line
# ---------------------------------------------------------------------------------------------------------------

KEY_TO_ELSEWHERE = """\
version: 1
probes:
  - id: leak
    description: sends the key to a host outside Alibaba's domains
    url: https://api.example.test/
    auth: key
    tags: {region: intl, surface: api}
    source: test
"""


def test_check_rejects_a_key_bound_for_a_foreign_host_unless_allowed(tmp_path: Path) -> None:
    catalogue = tmp_path / "probes.yaml"
    catalogue.write_text(KEY_TO_ELSEWHERE)
    refused = prober("check", str(catalogue))
    assert refused.returncode == 2
    assert "would send the API key to api.example.test" in refused.stderr
    assert "--allow-key-host api.example.test" in refused.stderr
    assert prober("check", str(catalogue), "--allow-key-host", "example.test").returncode == 0
    run = prober("run", str(catalogue), "--out", str(tmp_path / "r"), env={"DASHSCOPE_API_KEY": "sk-" + "x" * 30})
    assert run.returncode == 2 and not (tmp_path / "r").exists()


SLOW_AND_FAST = """\
version: 1
probes:
  - id: fast
    description: answers at once
    url: https://api.example.test/fast
    tags: {region: intl, surface: api}
    source: test
  - id: slow
    description: never answers in time
    url: https://api.example.test/slow
    tags: {region: intl, surface: api}
    source: test
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_writes_the_finished_probes_marked_incomplete(
    serve: Callable[..., Server], tmp_path: Path, sig: signal.Signals
) -> None:
    async def fast(_r: web.Request) -> web.Response:
        return web.Response(text="{}")

    async def slow(_r: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="late")

    server = serve({"api.example.test/fast": fast, "api.example.test/slow": slow})
    catalogue = tmp_path / "probes.yaml"
    catalogue.write_text(SLOW_AND_FAST)
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prober",
            "run",
            str(catalogue),
            "--connect-to",
            server.connect_to,
            "--cacert",
            str(server.ca_path),
            "--out",
            str(out),
            "--timeout",
            "60",
            "--no-credentials",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(server.seen.requests) < 2:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    reports = sorted(out.iterdir())
    assert [p.suffix for p in reports] == [".json", ".md"]
    import json

    data = json.loads(reports[0].read_text())
    assert data["complete"] is False
    assert [r["probe"]["id"] for r in data["results"]] == ["fast"]
    assert "**Incomplete:**" in reports[1].read_text()
    assert not list(out.glob(".*"))  # no temporary file left behind by the atomic write


def test_report_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prober import store

    target = tmp_path / "r.md"
    target.write_text("old report\n")

    class Boom(Exception):
        pass

    def fail(*_a: Any, **_k: Any) -> None:
        raise Boom

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(Boom):
        store.write(target, "new report\n")
    assert target.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_threads_are_not_left_behind() -> None:
    # The sweep runs its own event loop per call; no stray non-daemon thread may keep the process alive.
    assert all(t.daemon or t is threading.main_thread() for t in threading.enumerate())
