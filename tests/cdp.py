"""Record a HAR from real headless Chromium over its DevTools protocol, as the devtools' "Save all as HAR" does: the
Network domain's events for every request (with the full request headers of ...ExtraInfo, so the Cookie header is
there), each answer's headers and body, one entry per redirect hop. Test helper for `prober learn` (issue 15)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


@dataclass
class _Request:
    request_id: str
    url: str
    method: str
    headers: dict[str, str]
    post: str | None
    resource: str
    started: float
    extra: dict[str, str] | None = None
    status: int = 0
    status_text: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    mime: str = ""
    body: str = ""
    base64: bool = False


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    """CDP joins repeated headers (Set-Cookie) with newlines; HAR lists each."""
    return [{"name": k, "value": line} for k, v in headers.items() for line in str(v).split("\n")]


def _cookies(header: str) -> list[dict[str, str]]:
    found = []
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found.append({"name": name, "value": value})
    return found


def _entry(r: _Request) -> dict[str, Any]:
    headers = r.extra or r.headers
    cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    entry: dict[str, Any] = {
        "startedDateTime": datetime.fromtimestamp(r.started, UTC).isoformat().replace("+00:00", "Z"),
        "_resourceType": r.resource.lower(),
        "request": {
            "method": r.method,
            "url": r.url,
            "httpVersion": "HTTP/1.1",
            "headers": _pairs(headers),
            "cookies": _cookies(cookie),
            "queryString": [],
        },
        "response": {
            "status": r.status,
            "statusText": r.status_text,
            "headers": _pairs(r.response_headers),
            "cookies": [],
            "content": {"mimeType": r.mime, "text": r.body, **({"encoding": "base64"} if r.base64 else {})},
            "redirectURL": r.response_headers.get("Location", r.response_headers.get("location", "")),
        },
    }
    if r.post is not None:
        entry["request"]["postData"] = {"mimeType": content_type, "text": r.post}
    return entry


class Chromium:
    """A headless Chromium with a DevTools session on one page, recording its network traffic."""

    def __init__(self, process: subprocess.Popen[str], ws: aiohttp.ClientWebSocketResponse) -> None:
        self.process = process
        self.ws = ws
        self.session = ""
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.requests: dict[str, _Request] = {}
        self.done: list[_Request] = []
        self.extras: dict[str, list[dict[str, str]]] = {}
        self.bodies: list[asyncio.Future[None]] = []
        self.reader = asyncio.ensure_future(self._read())

    async def call(self, method: str, **params: Any) -> Any:
        number = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.waiting:
                future = self.waiting.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))
            elif "method" in data:
                self._event(data["method"], data.get("params", {}))

    def _event(self, method: str, p: dict[str, Any]) -> None:
        rid = p.get("requestId", "")
        if method == "Network.requestWillBeSent":
            if "redirectResponse" in p and rid in self.requests:
                self._finish_response(self.requests[rid], p["redirectResponse"])
                self.done.append(self.requests.pop(rid))
            request = p["request"]
            self.requests[rid] = _Request(
                rid,
                request["url"],
                request["method"],
                dict(request.get("headers", {})),
                request.get("postData"),
                p.get("type", "Other"),
                p.get("wallTime", 0.0),
            )
        elif method == "Network.requestWillBeSentExtraInfo":
            # The full request headers (Cookie included) arrive on their own event, before or after the request's
            # other events, sometimes after it finished: kept per request id, one per hop, and paired in `har`.
            self.extras.setdefault(rid, []).append(dict(p.get("headers", {})))
        elif method == "Network.responseReceived" and rid in self.requests:
            self._finish_response(self.requests[rid], p["response"])
            self.requests[rid].resource = p.get("type", self.requests[rid].resource)
        elif method == "Network.responseReceivedExtraInfo" and rid in self.requests:
            self.requests[rid].response_headers = dict(p.get("headers", {}))  # with Set-Cookie
        elif method in ("Network.loadingFinished", "Network.loadingFailed") and rid in self.requests:
            request = self.requests.pop(rid)
            self.done.append(request)
            if method == "Network.loadingFinished":
                self.bodies.append(asyncio.ensure_future(self._body(request)))

    @staticmethod
    def _finish_response(request: _Request, response: dict[str, Any]) -> None:
        request.status = int(response.get("status", 0))
        request.status_text = str(response.get("statusText", ""))
        if not request.response_headers:
            request.response_headers = dict(response.get("headers", {}))
        request.mime = str(response.get("mimeType", ""))

    async def _body(self, request: _Request) -> None:
        try:
            found = await self.call("Network.getResponseBody", requestId=request.request_id)
        except (RuntimeError, TimeoutError):
            return  # no body (a redirect, a preflight)
        request.body, request.base64 = found.get("body", ""), bool(found.get("base64Encoded"))

    async def settle(self, timeout: float = 20) -> None:
        """Wait until no request is in flight and every answer's body has been read."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.requests and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.gather(*self.bodies)
        await asyncio.sleep(0.2)  # a request's ExtraInfo event may trail its loadingFinished

    def har(self) -> dict[str, Any]:
        ordered = sorted(self.done, key=lambda r: r.started)
        hops: dict[str, int] = {}
        for request in ordered:  # a redirect chain shares its id: its n-th hop gets the n-th extra headers
            n = hops.get(request.request_id, 0)
            hops[request.request_id] = n + 1
            extras = self.extras.get(request.request_id, [])
            request.extra = extras[n] if n < len(extras) else None
        return {"log": {"version": "1.2", "creator": {"name": "tests/cdp.py"}, "entries": [_entry(r) for r in ordered]}}

    async def evaluate(self, expression: str) -> Any:
        found = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return found.get("result", {}).get("value")


async def open_page(binary: str, flags: Sequence[str], profile: Path) -> tuple[Chromium, aiohttp.ClientSession]:
    """Start Chromium with `flags` and a DevTools port, open a blank page and enable network recording on it."""
    process = subprocess.Popen(
        [binary, *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    url = None
    for line in process.stderr:
        found = _LISTENING.search(line)
        if found:
            url = found.group(1)
            break
    assert url is not None, "Chromium printed no DevTools address"
    # Keep reading what Chromium writes, or a full pipe would stop it.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(url, max_msg_size=0)
    browser = Chromium(process, ws)
    target = await browser.call("Target.createTarget", url="about:blank")
    attached = await browser.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
    browser.session = attached["sessionId"]
    await browser.call("Network.enable")
    await browser.call("Page.enable")
    await browser.call("Runtime.enable")
    return browser, session


async def close(browser: Chromium, session: aiohttp.ClientSession) -> None:
    browser.reader.cancel()
    await browser.ws.close()
    await session.close()
    browser.process.terminate()
    try:
        browser.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        browser.process.kill()
        browser.process.wait(timeout=10)
    if browser.process.stderr is not None:
        browser.process.stderr.close()
