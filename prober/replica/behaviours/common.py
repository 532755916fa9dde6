"""What every replica behaviour shares: the request and answer types, the host names, how a request presents its
credentials, and the vendor's body shapes the behaviours answer in (docs/vendor.md#shapes). Pure."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote

from prober.model import Pairs

JSON = "application/json"
HTML = "text/html; charset=utf-8"

# Hosts, named once: docs/vendor.md#hosts-inference, #hosts-console, #login-hosts, #hosts-qwencloud.
DASHSCOPE_INTL = "dashscope-intl.aliyuncs.com"
DASHSCOPE_CN = "dashscope.aliyuncs.com"
DASHSCOPE_US = "dashscope-us.aliyuncs.com"
DASHSCOPE_HK = "cn-hongkong.dashscope.aliyuncs.com"
CODING_INTL = "coding-intl.dashscope.aliyuncs.com"
CODING_CN = "coding.dashscope.aliyuncs.com"
TOKEN_PLAN_INTL = "token-plan.ap-southeast-1.maas.aliyuncs.com"
TOKEN_PLAN_CN = "token-plan.cn-beijing.maas.aliyuncs.com"
CONSOLE_INTL = "modelstudio.console.alibabacloud.com"
CONSOLE_CN = "bailian.console.aliyun.com"
RPC_INTL = "bailian-singapore-cs.alibabacloud.com"
RPC_CN = "bailian-cs.console.aliyun.com"
PASSPORT_INTL = "passport.alibabacloud.com"
SIGNIN_CN = "signin.aliyun.com"
QWENCLOUD_HOME = "home.qwencloud.com"
QWENCLOUD_CLI = "cli.qwencloud.com"
QWENCLOUD_DATA = "cs-data.qwencloud.com"
CONSOLE_CN_ON_ALIBABACLOUD = "bailian.console.alibabacloud.com"
# The console CLI gateways of the Bailian CLI's region x site table (docs/vendor.md#gateway-hosts): RPC_CN and
# RPC_INTL serve /cli/api.json too; these two appear in no other source.
GATEWAY_CN_INTL_SITE = "bailian-cs.console.alibabacloud.com"
GATEWAY_SG_DOMESTIC = "modelstudio-cs.console.aliyun.com"
CLI_GATEWAYS = frozenset({RPC_INTL, GATEWAY_CN_INTL_SITE, RPC_CN, GATEWAY_SG_DOMESTIC})
# Where an AccessKey pair is exchanged for a console access token (docs/vendor.md#console-token).
OPENAPI_INTL = "modelstudio.ap-southeast-1.aliyuncs.com"
OPENAPI_CN = "modelstudio.cn-beijing.aliyuncs.com"

_CN_HOSTS = frozenset({CONSOLE_CN, RPC_CN})

# The path of the login page the console redirects to, and the query parameter carrying the original URL.
# Neither is recorded in the sources (#612 only says "302 redirect (to login page)"); these follow the
# shape of Alibaba's public account login links and are the replica's choice (docs/vendor.md#choice-login).
LOGIN_PATH = "/login/login.htm"
LOGIN_RETURN_PARAM = "oauth_callback"

# Where the replica's login sends the browser afterwards: the dashboards CodexBar opens (docs/vendor.md#sec-token).
DASHBOARD_CN = f"https://{CONSOLE_CN}/cn-beijing/?tab=model"
DASHBOARD_INTL = f"https://{CONSOLE_INTL}/ap-southeast-1/?tab=coding-plan"
LOGIN_DO_PATH = "/login/login.do"


GET = frozenset({"GET"})
POST = frozenset({"POST"})


@dataclass(frozen=True, slots=True)
class Request:
    """What a behaviour may look at: header names lower-cased, cookies by name, the body as text."""

    method: str
    host: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    # The serving replica's random secret: sessions' sec_tokens and minted tickets are HMACs under it.
    secret: bytes = field(default=b"", repr=False)

    @property
    def url(self) -> str:
        """The URL as the client asked for it (query re-encoded)."""
        if not self.query:
            return f"https://{self.host}{self.path}"
        pairs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in self.query.items())
        return f"https://{self.host}{self.path}?{pairs}"


@dataclass(frozen=True, slots=True)
class Answer:
    """A response to send: status, extra headers, body text and its content type (None for no body)."""

    status: int
    body: str = ""
    content_type: str | None = JSON
    headers: Pairs = ()
    reason: str | None = None  # the reason phrase; None: the standard one (a replay serves the recorded one)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One modelled endpoint: where it lives, why we believe it answers this way, and the answer itself."""

    name: str
    hosts: frozenset[str]
    methods: frozenset[str]
    paths: tuple[str, ...]
    source: str
    respond: Callable[[Request], Answer]
    prefix: bool = False

    def matches(self, request: Request) -> bool:
        if request.host not in self.hosts or request.method not in self.methods:
            return False
        if self.prefix:
            return any(request.path == p or request.path.startswith(p.rstrip("/") + "/") for p in self.paths)
        return request.path in self.paths


# Credentials as the request presents them.


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer " and value[7:].strip():
        return value[7:].strip()
    return None


def is_coding_key(key: str | None) -> bool:
    return key is not None and key.startswith("sk-sp-")


def ticket_session(request: Request) -> bool:
    """CodexBar's test for a console session (docs/vendor.md#session-cookies): the ticket plus one account cookie."""
    cookies = request.cookies
    has_account = any(cookies.get(n) for n in ("login_aliyunid_pk", "login_current_pk", "login_aliyunid"))
    return bool(cookies.get("login_aliyunid_ticket")) and has_account


def mac(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def sec_token_for(ticket: str, secret: bytes) -> str:
    """The session's sec_token: fixed per login_aliyunid_ticket and per replica, so another session's is stale."""
    return mac(secret, "sec_token", ticket)[:32]


def session_sec_token(request: Request) -> str:
    return sec_token_for(request.cookies.get("login_aliyunid_ticket", ""), request.secret)


def form(request: Request) -> dict[str, str]:
    """The urlencoded body's fields (first value of each); anything else reads as no fields."""
    return {name: values[0] for name, values in parse_qs(request.body, keep_blank_values=True).items()}


# Answers in the vendor's body shapes (docs/vendor.md#shapes), and the replica's honest gap.


def request_id() -> str:
    return str(uuid.uuid4())


def json_answer(status: int, payload: object, headers: Pairs = ()) -> Answer:
    return Answer(status=status, body=json.dumps(payload, ensure_ascii=False), headers=headers)


def unmodelled(detail: str) -> Answer:
    """The honest answer where the sources say nothing: 501 and a header, never an invented vendor reply."""
    # `message` too, so the report's explanation says what is missing (prober/vendor.py reads it like any error).
    body = {"replica": "not modelled", "detail": detail, "message": detail}
    return json_answer(501, body, headers=(("x-replica", "unmodelled"),))


def flat_invalid_key(status: int, message: str) -> Answer:
    # Native DashScope flat shape (docs/vendor.md#shape-flat).
    return json_answer(status, {"code": "InvalidApiKey", "message": message, "request_id": request_id()})


def not_found(_: Request) -> Answer:
    # No body: #612 records only the status; the Coding Plan FAQ lists a 404 with no body
    # (docs/vendor.md#choice-bodies).
    return Answer(status=404, content_type=None)


def login_redirect(request: Request) -> Answer:
    login_host = SIGNIN_CN if request.host in _CN_HOSTS else PASSPORT_INTL
    location = f"https://{login_host}{LOGIN_PATH}?{LOGIN_RETURN_PARAM}={quote(request.url, safe='')}"
    return Answer(status=302, content_type=None, headers=(("Location", location),))


def diagnostic_headers() -> Pairs:
    # docs/vendor.md#diagnostic-headers. Deliberately no x-ratelimit-* (docs/vendor.md#no-rate-limit-headers).
    return (
        ("x-request-id", request_id()),
        ("req-cost-time", "412"),
        ("server", "istio-envoy"),
    )
