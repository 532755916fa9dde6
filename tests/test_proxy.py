"""--proxy and the standard proxy environment variables: requests tunnel through a real local CONNECT proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from prober import runner
from prober.credentials import Credentials
from prober.model import OutcomeClass, Probe, Tags
from prober.probe import Settings
from prober.redact import Redactor
from prober.runner import Options
from tests.conftest import Server


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _with_proxy(target_port: int, run: Callable[[str], Any]) -> tuple[Any, list[str]]:
    """A CONNECT proxy on 127.0.0.1 that tunnels every request to the test server; returns what it was asked."""
    asked: list[str] = []
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        line = request.split(b"\r\n", 1)[0].decode()
        asked.append(line)
        if not line.startswith("CONNECT "):
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        both = [asyncio.create_task(_pipe(reader, up_writer)), asyncio.create_task(_pipe(up_reader, writer))]
        tasks.update(both)
        await asyncio.gather(*both)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await run(f"http://127.0.0.1:{port}")
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
    return result, asked


def _probe() -> Probe:
    return Probe("p", "d", "GET", "https://api.example.test/via", tags=Tags("intl", "api"), source="t")


async def _ok(_r: web.Request) -> web.Response:
    return web.Response(text="{}")


def test_proxy_flag_tunnels_the_request(serve: Callable[..., Server]) -> None:
    server = serve({"api.example.test/via": _ok})

    async def run(proxy: str) -> Any:
        options = Options(cacert=server.ca_path, settings=Settings(proxy=proxy))
        return await runner.run([_probe()], Credentials(), options, Redactor())

    (outcome,), asked = asyncio.run(_with_proxy(server.port, run))
    assert outcome.klass is OutcomeClass.OK
    assert asked == ["CONNECT api.example.test:443 HTTP/1.1"]
    assert server.seen.requests[0]["path"] == "/via"


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_proxy_environment_variables_are_honoured(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    server = serve({"api.example.test/via": _ok})
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def run(proxy: str) -> Any:
        monkeypatch.setenv(variable, proxy)
        options = Options(cacert=server.ca_path)
        return await runner.run([_probe()], Credentials(), options, Redactor())

    (outcome,), asked = asyncio.run(_with_proxy(server.port, run))
    assert outcome.klass is OutcomeClass.OK
    assert asked == ["CONNECT api.example.test:443 HTTP/1.1"]


def test_no_proxy_bypasses_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from prober.proxies import Proxies

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "internal.test,.aliyun.com")
    proxies = Proxies(None)
    assert proxies.for_url("https", "dashscope-intl.aliyuncs.com") == "http://127.0.0.1:9"
    assert proxies.for_url("https", "bailian.console.aliyun.com") is None
    assert proxies.for_url("https", "internal.test") is None
    assert Proxies("http://explicit:3128").for_url("https", "internal.test") == "http://explicit:3128"


def test_netrc_credentials_are_never_added(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """aiohttp's trust_env would add Basic auth from ~/.netrc; the prober sends only what the catalogue says."""
    from prober import routing
    from prober.model import Auth, KeyStyle
    from prober.redact import Secret

    (tmp_path / ".netrc").write_text("machine api.example.test login someone password netrc-password-123\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    server = serve({"api.example.test/via": _ok})
    probes = [
        _probe(),
        Probe(
            "k",
            "d",
            "GET",
            "https://api.example.test/via",
            auth=Auth.KEY,
            key_style=KeyStyle.BEARER,
            tags=Tags("intl", "api"),
            source="t",
        ),
    ]
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path)
    creds = Credentials(key=Secret("sk-sp-netrcTESTkey0123456789abc"), key_source="t")
    outcomes = asyncio.run(runner.run(probes, creds, options, Redactor(creds.secrets())))
    assert [o.klass for o in outcomes] == [OutcomeClass.OK, OutcomeClass.OK]
    sent = [r["headers"].get("Authorization") for r in server.seen.requests]
    assert sorted(sent, key=str) == sorted([None, "Bearer sk-sp-netrcTESTkey0123456789abc"], key=str)


def test_a_proxy_password_never_reaches_an_output(tmp_path: Any) -> None:
    """The environment row says a proxy was used, never its host or user info; error texts carry no password."""
    import subprocess
    import sys

    password = "proxyPASSWORD-9f8e7d"
    out = tmp_path / "r"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "prober",
            "run",
            "--select",
            "dashscope-intl-policies",
            "--out",
            str(out),
            "--proxy",
            f"http://someone:{password}@127.0.0.1:9",
            "--timeout",
            "5",
            "--fail-on",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**__import__("os").environ, "DASHSCOPE_API_KEY": "sk-sp-" + "p" * 30},
    )
    assert result.returncode == 0, result.stderr
    texts = [result.stdout, result.stderr, *(p.read_text() for p in out.iterdir())]
    import json

    environment = dict(json.loads(next(out.glob("*.json")).read_text())["environment"])
    assert environment["Proxy"] == "--proxy (http)"  # reported, without host, user or password
    assert all(password not in t and "someone" not in t for t in texts)


def test_a_proxy_password_that_would_be_misparsed_is_refused_without_echoing_it(tmp_path: Any) -> None:
    """`#`, `/` or `?` in a password make every URL parser take part of it for the host (issue 9, finding 3)."""
    import subprocess
    import sys

    password = "pa#ss/wo?rd"
    result = subprocess.run(
        [sys.executable, "-m", "prober", "run", "--out", str(tmp_path), "--proxy", f"http://u:{password}@127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**__import__("os").environ, "DASHSCOPE_API_KEY": "sk-sp-" + "p" * 30},
    )
    assert result.returncode == 2, result.stderr
    assert "must be percent-encoded" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pa#ss" not in result.stderr + result.stdout and "wo?rd" not in result.stderr + result.stdout
    assert not list(tmp_path.glob("*.md"))


def test_the_demo_ignores_proxies_from_the_environment(tmp_path: Any) -> None:
    """The replica runs on this machine; a proxy from the environment must not stand in between."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-m", "prober", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "| `dashscope-intl.aliyuncs.com/api/v1/models` | 401 `InvalidApiKey` |" in (tmp_path / "demo.md").read_text()
