"""Property-based: a real server echoes the key and cookies back in any encoding and place; no output holds them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prober import routing
from prober.cookies import Cookie, Jar
from prober.credentials import Credentials
from prober.model import Auth, Catalogue, KeyStyle, Probe, Tags
from prober.plan import Plan
from prober.probe import Settings
from prober.redact import Secret
from prober.report import Format, renderer
from prober.runner import Options
from prober.sweep import run
from tests.conftest import Server

KEY = "sk-sp-HOSTILEkey9876543210fedcbaZYXW"
COOKIE = "hostile+cookie/value=with&odd?chars"

ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "quote": lambda s: quote(s, safe=""),
    "quote-keep-slash": lambda s: quote(s, safe="/"),
    "quote-plus": quote_plus,
    "json": lambda s: json.dumps(s)[1:-1],
    "lower-hex": lambda s: "".join(f"%{b:02x}" for b in s.encode()),
}
PLACES = ("body", "json", "header", "location", "set-cookie")


def _echo(request: web.Request) -> Any:
    query = request.query
    if query.get("landed"):
        return web.Response(text=f"landed: {request.query_string}")
    received = request.headers.get("Authorization", "") + " " + request.headers.get("Cookie", "")
    secret = KEY if query["which"] == "key" else COOKIE
    assert secret in received  # the credential really went out: the echo is genuine
    text = query["prefix"] + ENCODINGS[query["enc"]](secret) + query["suffix"]
    place = query["place"]
    if place == "body":
        return web.Response(text=text, status=401)
    if place == "json":
        value: Any = text
        for n in range(int(query["depth"])):
            value = {f"k{n}": [value, {"code": "InvalidApiKey", "message": text}]}
        return web.json_response({"code": "InvalidApiKey", "message": text, "data": value}, status=401)
    if place == "header":
        return web.Response(status=200, text="{}", headers={"x-request-id": text.replace("\n", " ")[:1000]})
    if place == "set-cookie":
        return web.Response(status=200, text="{}", headers={"Set-Cookie": f"echo={text.replace(';', ' ')[:500]}"})
    raise web.HTTPFound("/echo?" + urlencode({"landed": "1", "v": text}))


async def _handler(request: web.Request) -> Any:
    return _echo(request)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["key", "cookie"]),
    enc=st.sampled_from(sorted(ENCODINGS)),
    place=st.sampled_from(PLACES),
    depth=st.integers(0, 6),
    prefix=st.text(st.characters(codec="ascii", exclude_characters="\r\n\0"), max_size=20),
    suffix=st.text(st.characters(codec="ascii", exclude_characters="\r\n\0"), max_size=20),
)
def test_no_output_contains_an_echoed_secret(
    serve: Callable[..., Server],
    which: str,
    enc: str,
    place: str,
    depth: int,
    prefix: str,
    suffix: str,
) -> None:
    server = serve({"api.example.test/echo": _handler})
    query = urlencode({"which": which, "enc": enc, "place": place, "depth": depth, "prefix": prefix, "suffix": suffix})
    probe = Probe(
        id="echo",
        description="hostile echo",
        method="GET",
        url=f"https://api.example.test/echo?{query}",
        auth=Auth.KEY if which == "key" else Auth.COOKIES,
        key_style=KeyStyle.BEARER if which == "key" else None,
        tags=Tags("intl", "api"),
        source="test",
    )
    jar = Jar("test", (Cookie("session", Secret(COOKIE), "example.test", host_only=False, secure=True),))
    creds = Credentials(key=Secret(KEY), key_source="test", jar=jar)
    options = Options(
        connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path, settings=Settings(timeout=5)
    )
    plan = Plan(Catalogue(path="hostile.yaml", sha256="0" * 64, probes=(probe,)), (probe,), creds, options)
    sweep = asyncio.run(run(plan))
    outputs = [renderer(fmt)(sweep) for fmt in Format]
    secret = KEY if which == "key" else COOKIE
    for text in outputs:
        for form in ENCODINGS.values():
            assert form(secret) not in text


def test_the_hostile_server_really_echoes(serve: Callable[..., Server]) -> None:
    """Guard against a vacuous property: with a redactor that knows no secret, the echo reaches the outcome."""
    from prober import runner
    from prober.redact import Redactor

    server = serve({"api.example.test/echo": _handler})
    query = urlencode({"which": "cookie", "enc": "raw", "place": "body", "depth": 0, "prefix": "", "suffix": ""})
    probe = Probe(
        id="echo",
        description="d",
        method="GET",
        url=f"https://api.example.test/echo?{query}",
        auth=Auth.COOKIES,
        tags=Tags("intl", "api"),
        source="t",
    )
    jar = Jar("test", (Cookie("session", Secret(COOKIE), "example.test", host_only=False, secure=True),))
    options = Options(connect_to=(routing.parse(server.connect_to),), cacert=server.ca_path)
    (raw,) = asyncio.run(runner.run([probe], Credentials(jar=jar), options, Redactor()))
    assert COOKIE in raw.body_excerpt
