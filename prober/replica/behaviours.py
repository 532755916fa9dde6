"""Pure table of what each Alibaba endpoint answers, as observed or documented; the replica server's brain."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, quote

Pairs = tuple[tuple[str, str], ...]

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

# A value the replica embeds where a real console embeds a per-session sec_token (QwenCloud only; the
# Bailian console derives one per session: see sec_token_for).
REPLICA_SEC_TOKEN = "replica-sec-token"

# The replica's console access tokens (docs/vendor.md#choice-console-token), fake values defined here only: the one
# its account issued, which reads the account's quota on every CLI gateway, and one it treats as expired. Any other
# bearer (a sk- key, another token) is refused like the expired one.
REPLICA_CONSOLE_TOKEN = "replica-console-token-" + "demo" * 4
REPLICA_EXPIRED_CONSOLE_TOKEN = "replica-expired-console-token-" + "0" * 8

# Where the replica's login sends the browser afterwards: the dashboards CodexBar opens (docs/vendor.md#sec-token).
DASHBOARD_CN = f"https://{CONSOLE_CN}/cn-beijing/?tab=model"
DASHBOARD_INTL = f"https://{CONSOLE_INTL}/ap-southeast-1/?tab=coding-plan"
LOGIN_DO_PATH = "/login/login.do"

# Cookies that belong to bailian.console.aliyun.com; sent to the RPC host they mean a flat, unscoped cookie
# header (docs/vendor.md#cookie-scoping, CodexBar #2370).
WRONG_HOST_COOKIES = ("JSESSIONID", "atpsida")


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


# ----------------------------------------------------------------------------------------------------
# Helpers: credentials as the request presents them, and the vendor's body shapes (docs/vendor.md#shapes).
# ----------------------------------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer " and value[7:].strip():
        return value[7:].strip()
    return None


def _is_coding_key(key: str | None) -> bool:
    return key is not None and key.startswith("sk-sp-")


def _ticket_session(request: Request) -> bool:
    """CodexBar's test for a console session (docs/vendor.md#session-cookies): the ticket plus one account cookie."""
    cookies = request.cookies
    has_account = any(cookies.get(n) for n in ("login_aliyunid_pk", "login_current_pk", "login_aliyunid"))
    return bool(cookies.get("login_aliyunid_ticket")) and has_account


def _qwencloud_session(request: Request) -> bool:
    """QwenCloud accepts any one of three ticket cookies (docs/vendor.md#qwencloud-tickets)."""
    names = ("login_aliyunid_ticket", "login_qwencloud_ticket", "qwen_sso_ticket")
    return any(request.cookies.get(n) for n in names)


def _mac(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def sec_token_for(ticket: str, secret: bytes) -> str:
    """The session's sec_token: fixed per login_aliyunid_ticket and per replica, so another session's is stale."""
    return _mac(secret, "sec_token", ticket)[:32]


def mint_ticket(secret: bytes) -> str:
    """A fresh login_aliyunid_ticket that this replica can later recognise as its own (nonce + HMAC)."""
    nonce = secrets.token_hex(16)
    return nonce + _mac(secret, "ticket", nonce)[:16]


def minted(ticket: str, secret: bytes) -> bool:
    """Whether this replica's login issued `ticket` (as opposed to a hand-made jar's value)."""
    nonce, signature = ticket[:32], ticket[32:]
    return len(ticket) == 48 and hmac.compare_digest(signature, _mac(secret, "ticket", nonce)[:16])


def _session_sec_token(request: Request) -> str:
    return sec_token_for(request.cookies.get("login_aliyunid_ticket", ""), request.secret)


def _form(request: Request) -> dict[str, str]:
    """The urlencoded body's fields (first value of each); anything else reads as no fields."""
    return {name: values[0] for name, values in parse_qs(request.body, keep_blank_values=True).items()}


def _request_id() -> str:
    return str(uuid.uuid4())


def _json(status: int, payload: object, headers: Pairs = ()) -> Answer:
    return Answer(status=status, body=json.dumps(payload, ensure_ascii=False), headers=headers)


def unmodelled(detail: str) -> Answer:
    """The honest answer where the sources say nothing: 501 and a header, never an invented vendor reply."""
    return _json(501, {"replica": "not modelled", "detail": detail}, headers=(("x-replica", "unmodelled"),))


def _flat_invalid_key(status: int, message: str) -> Answer:
    # Native DashScope flat shape (docs/vendor.md#shape-flat).
    return _json(status, {"code": "InvalidApiKey", "message": message, "request_id": _request_id()})


def _not_found(_: Request) -> Answer:
    # No body: #612 records only the status; the Coding Plan FAQ lists a 404 with no body
    # (docs/vendor.md#choice-bodies).
    return Answer(status=404, content_type=None)


def _login_redirect(request: Request) -> Answer:
    login_host = SIGNIN_CN if request.host in _CN_HOSTS else PASSPORT_INTL
    location = f"https://{login_host}{LOGIN_PATH}?{LOGIN_RETURN_PARAM}={quote(request.url, safe='')}"
    return Answer(status=302, content_type=None, headers=(("Location", location),))


# ----------------------------------------------------------------------------------------------------
# Responders, one per behaviour.
# ----------------------------------------------------------------------------------------------------


def _login_page(request: Request) -> Answer:
    default = _LOGIN_KIND[request.host]
    options = "".join(
        f'<option value="{kind}"{" selected" if kind == default else ""}>{label}</option>'
        for kind, label in (("intl", "INTL passport session (no ticket)"), ("cn", "CN ticket session"))
    )
    page = (
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
        f"<h1>Sign in</h1>\n<p>Replica login page of {request.host}\n"
        "(passport.alibabacloud.com / signin.aliyun.com). Any login id and password are accepted.</p>\n"
        f'<form method="post" action="https://{request.host}{LOGIN_DO_PATH}">\n'
        '<input type="text" name="loginId" autocomplete="username">\n'
        '<input type="password" name="password" autocomplete="current-password">\n'
        f'<select name="as">{options}</select>\n'
        '<button type="submit">Sign in</button>\n</form>\n'
        f'<p>Without a form: <a href="https://{SIGNIN_CN}{LOGIN_DO_PATH}?as=cn">sign in as CN</a>,\n'
        f'<a href="https://{PASSPORT_INTL}{LOGIN_DO_PATH}?as=intl">sign in as INTL</a>.</p>\n'
        "</body></html>\n"
    )
    return Answer(status=200, body=page, content_type=HTML)


# Which login a login host performs, and which host sets each cookie set: a browser only accepts a
# Domain=.aliyun.com cookie from an aliyun.com host, so `as=cn` is served by signin.aliyun.com only.
_LOGIN_KIND = {PASSPORT_INTL: "intl", SIGNIN_CN: "cn"}
_LOGIN_HOST = {kind: host for host, kind in _LOGIN_KIND.items()}
_LOGIN_DASHBOARD = {"intl": DASHBOARD_INTL, "cn": DASHBOARD_CN}
_ONE_DAY = 86400


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One cookie the replica's login sets; max_age None makes it a session cookie."""

    name: str
    value: str
    domain: str
    http_only: bool
    max_age: int | None = _ONE_DAY

    def header(self) -> str:
        parts = [f"{self.name}={self.value}", f"Domain={self.domain}", "Path=/"]
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
        parts.append("Secure")
        if self.http_only:
            parts.append("HttpOnly")
        return "; ".join(parts)


def _account_pk() -> str:
    return str(5_000_000_000_000_000 + secrets.randbelow(10**15))


def login_cookies(kind: str, secret: bytes) -> tuple[SetCookie, ...]:
    """The cookie set of an `intl` passport or a `cn` ticket login (docs/vendor.md#session-cookies), fresh values."""
    pk = _account_pk()
    if kind == "intl":
        # The eight passport cookies #612 found (docs/vendor.md#intl-passport-cookies); never login_aliyunid_ticket.
        # HttpOnly flags follow prober.demo's synthetic INTL jar; which are HttpOnly in reality is not recorded.
        domain = ".alibabacloud.com"
        return (
            SetCookie("login_current_pk", pk, domain, http_only=True),
            SetCookie("login_aliyunid_pk", pk, domain, http_only=False),
            SetCookie("login_aliyunid", f"replica-{secrets.token_hex(4)}@example.com", domain, http_only=False),
            SetCookie("aliyunid_third_login_state", secrets.token_hex(16), domain, http_only=True),
            SetCookie("cr_token", secrets.token_hex(16), domain, http_only=True),
            SetCookie("help_csrf", secrets.token_hex(16), domain, http_only=False, max_age=None),
            SetCookie("x5sec", secrets.token_hex(24), domain, http_only=True, max_age=None),
            SetCookie("last_u_intl-aliyun_intl-aliyun", secrets.token_hex(8), domain, http_only=False),
        )
    # CodexBar's session test (docs/vendor.md#session-cookies): the ticket plus an account cookie; the csrf cookie is
    # read by the page's script into x-csrf-token (docs/vendor.md#csrf-headers), so it cannot be HttpOnly; cna feeds
    # X-Anonymous-Id (docs/vendor.md#rpc-form).
    domain = ".aliyun.com"
    return (
        SetCookie("login_aliyunid_ticket", mint_ticket(secret), domain, http_only=True),
        SetCookie("login_aliyunid_pk", pk, domain, http_only=False),
        SetCookie("login_aliyunid_csrf", secrets.token_hex(16), domain, http_only=False, max_age=None),
        SetCookie("cna", secrets.token_urlsafe(18), domain, http_only=False),
    )


def _login(request: Request) -> Answer:
    fields = {**request.query, **(_form(request) if request.method == "POST" else {})}
    if request.method == "GET" and "as" not in fields:
        return _login_page(request)
    kind = fields.get("as") or _LOGIN_KIND[request.host]
    if kind not in _LOGIN_DASHBOARD:
        return Answer(status=400, body=f"as must be cn or intl, not {kind!r}\n", content_type="text/plain")
    if _LOGIN_HOST[kind] != request.host:
        # The other family's cookies can only be set by its own login host: go there, as a GET.
        location = f"https://{_LOGIN_HOST[kind]}{LOGIN_DO_PATH}?as={kind}"
        return Answer(status=302, content_type=None, headers=(("Location", location),))
    cookies = tuple(("Set-Cookie", cookie.header()) for cookie in login_cookies(kind, request.secret))
    return Answer(
        status=302,
        content_type=None,
        headers=(*cookies, ("Location", _LOGIN_DASHBOARD[kind]), ("Cache-Control", "no-store")),
    )


def _native_models(request: Request) -> Answer:
    if _bearer(request) is None:
        return _flat_invalid_key(401, "No API-key provided.")
    return _flat_invalid_key(401, "Invalid API-key provided.")


def _payg_compatible_models(request: Request) -> Answer:
    key = _bearer(request)
    if key is None:
        return _flat_invalid_key(401, "No API-key provided.")
    if _is_coding_key(key):
        envelope = {
            "error": {
                "message": "invalid api-key",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            },
            "request_id": _request_id(),
        }
        return _json(403, envelope)
    return _flat_invalid_key(401, "Invalid API-key provided.")


def _diagnostic_headers() -> Pairs:
    # docs/vendor.md#diagnostic-headers. Deliberately no x-ratelimit-* (docs/vendor.md#no-rate-limit-headers).
    return (
        ("x-request-id", _request_id()),
        ("req-cost-time", "412"),
        ("server", "istio-envoy"),
    )


def _anthropic_messages(request: Request) -> Answer:
    key = _bearer(request) or request.headers.get("x-api-key") or None
    if not _is_coding_key(key):
        error = {"type": "authentication_error", "message": "invalid access token or token expired"}
        return _json(401, {"type": "error", "error": error}, headers=_diagnostic_headers())
    try:
        model = str(json.loads(request.body).get("model", "qwen3-coder-plus"))
    except (ValueError, AttributeError):
        model = "qwen3-coder-plus"
    message = {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    return _json(200, message, headers=_diagnostic_headers())


def _openai_chat_completions(request: Request) -> Answer:
    if not _is_coding_key(_bearer(request)):
        envelope = {
            "error": {
                "message": "invalid access token or token expired",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            },
            "request_id": _request_id(),
        }
        return _json(401, envelope, headers=_diagnostic_headers())
    return _json(405, {"error": "Coding Plan is currently only available for Coding Agents"})


def _token_plan_models(request: Request) -> Answer:
    if _bearer(request) is None:
        return _flat_invalid_key(401, "No API-key provided.")
    return _flat_invalid_key(401, "Invalid API-key provided.")


def _istio_not_found(_: Request) -> Answer:
    # docs/vendor.md#dashscope-tokenplan: an empty 404 from the Istio front, with or without a key.
    return Answer(status=404, content_type=None, headers=(("server", "istio-envoy"),))


def _to_modelstudio(request: Request) -> Answer:
    # docs/vendor.md#hosts-console (CodexBar #2891): this host sends browsers on to the INTL console. The status and
    # the kept path and query are the replica's choice (docs/vendor.md#choice-statuses).
    target = request.url.replace(f"https://{request.host}", f"https://{CONSOLE_INTL}", 1)
    return Answer(status=302, content_type=None, headers=(("Location", target),))


def _console_need_login() -> Answer:
    payload = {
        "code": "ConsoleNeedLogin",
        "message": "You need to log in.",
        "requestId": _request_id(),
        "successResponse": False,
    }
    return _json(200, payload)


def _console_gateway(request: Request) -> Answer:
    if _ticket_session(request):
        return unmodelled(
            "a console ticket session on the key-mode gateway /data/api.json is not described by any source "
            "(docs/vendor.md#console-gateway-key records key mode and INTL passport cookies only)"
        )
    return _console_need_login()


def _next_monday_utc8(now: datetime) -> datetime:
    utc8 = timezone(timedelta(hours=8))
    local = now.astimezone(utc8)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=7 - local.weekday())


def _month_ahead_utc8(now: datetime) -> datetime:
    """00:00 UTC+8 thirty days ahead: the replica's monthly refresh (docs/vendor.md#choice-quota-values), on a day
    boundary so that two sweeps of one day report the same time."""
    local = (now + timedelta(days=30)).astimezone(timezone(timedelta(hours=8)))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _now(now: datetime | None) -> datetime:
    return now or datetime.fromtimestamp(time.time(), tz=UTC)


def envelope(payload: object) -> dict[str, object]:
    """An API's payload in the gateway's full success envelope (docs/vendor.md#shape-datav2-success)."""
    return {
        "code": "200",
        "data": {
            "DataV2": {
                "ret": ["SUCCESS::接口调用成功"],
                "data": {
                    "msg": "Success.",
                    "code": "SUCCESS",
                    "success": True,
                    "requestId": _request_id(),
                    "data": payload,
                },
            },
            "success": True,
            "httpStatus": 200,
            "errorCode": "",
            "errorMsg": "",
        },
        "httpStatusCode": "200",
        "successResponse": True,
    }


def coding_plan_payload(now: datetime | None = None) -> dict[str, object]:
    """The Coding Plan API's own payload: Pro tier totals (docs/vendor.md#quota-limits), fixed usage counts.

    The 5-hour refresh time is the server's clock, as observed (docs/vendor.md#five-hour-trailing); the weekly one
    is the next Monday 00:00 UTC+8 (docs/vendor.md#weekly-reset); the monthly one is the replica's choice.
    """
    now = _now(now)
    info = {
        "per5HourUsedQuota": 120,
        "per5HourTotalQuota": 6000,
        "per5HourQuotaNextRefreshTime": _epoch_ms(now),
        "perWeekUsedQuota": 3400,
        "perWeekTotalQuota": 45000,
        "perWeekQuotaNextRefreshTime": _epoch_ms(_next_monday_utc8(now)),
        "perBillMonthUsedQuota": 12000,
        "perBillMonthTotalQuota": 90000,
        "perBillMonthQuotaNextRefreshTime": _epoch_ms(_month_ahead_utc8(now)),
    }
    instance = {
        "status": "VALID",
        "instanceType": "pro",
        "instanceName": "Coding Plan Pro (replica)",
        "codingPlanQuotaInfo": info,
    }
    return {"codingPlanInstanceInfos": [instance]}


def quota_payload(now: datetime | None = None) -> dict[str, object]:
    """The whole Coding Plan answer: coding_plan_payload in the full success envelope."""
    return envelope(coding_plan_payload(now))


# Token Plan API payloads (docs/vendor.md#token-plan-monthly, #token-plan-apis). The shapes are observed; the
# numbers are the replica's choice (docs/vendor.md#choice-quota-values).
def _token_plan_usage(now: datetime) -> object:
    return {"per1MonthPercentage": 0.125, "per1MonthResetTime": _epoch_ms(_month_ahead_utc8(now))}


def _token_plan_quota_config(_: datetime) -> object:
    tiers = {"lite": (500, 5000), "standard": (1500, 15000), "pro": (5000, 50000), "essential": (250, 2500)}
    config: dict[str, object] = {tier: {"five_hour": h, "monthly": m} for tier, (h, m) in tiers.items()}
    config["addon_quota"] = {"extrabundle": 10000}
    return config


def _token_plan_addon_summary(now: datetime) -> object:
    expires = _epoch_ms(now + timedelta(days=20))
    return {"remainingCredits": 7500, "totalCredits": 10000, "activeCount": 1, "nearestExpireTime": expires}


def _token_plan_addon_list(_: datetime) -> object:
    return {"items": [{"status": "ACTIVE", "remainingCredits": 7500, "totalCredits": 10000}]}


def _token_plan_reset_cards(_: datetime) -> object:
    return []


CODING_PLAN_APIS = frozenset(
    {
        "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2",  # docs/vendor.md#console-rpc
        "zeldaEasy.bailian-commerce.codingPlan.queryCodingPlanInstanceInfoV2",  # docs/vendor.md#bailian-commerce
    }
)
TOKEN_PLAN_API_PREFIX = "zeldaHttp.apikeyMgr./tokenplan/personal/api/v2/"
_TOKEN_PLAN_APIS: dict[str, Callable[[datetime], object]] = {
    TOKEN_PLAN_API_PREFIX + "usage": _token_plan_usage,
    TOKEN_PLAN_API_PREFIX + "quota-config": _token_plan_quota_config,
    TOKEN_PLAN_API_PREFIX + "addon/summary": _token_plan_addon_summary,
    TOKEN_PLAN_API_PREFIX + "addon/list": _token_plan_addon_list,
    TOKEN_PLAN_API_PREFIX + "reset-card/list": _token_plan_reset_cards,
}
# The one Coding Plan spelling nobody has seen answer a session on the INTL RPC host
# (docs/vendor.md#choice-intl-ticket).
_UNSEEN_ON_INTL = "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"


def _params(request: Request) -> dict[str, object]:
    """The form's `params` field as a mapping (a JSON string on the wire); empty when absent or not JSON."""
    try:
        value = json.loads(_form(request).get("params", ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def api_name(request: Request) -> str | None:
    """The console API a gateway call runs: params.Api, else the `api` query value (docs/vendor.md#api-names)."""
    api = _params(request).get("Api")
    if isinstance(api, str) and api.strip():
        return api.strip()
    return request.query.get("api", "").strip() or None


def _switch_agent(request: Request) -> object:
    """cornerstoneParam.switchAgent of the call, or None; Data may be a mapping or a JSON string."""
    data = _params(request).get("Data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    corner = data.get("cornerstoneParam") if isinstance(data, dict) else None
    return corner.get("switchAgent") if isinstance(corner, dict) else None


def not_logined(_: Request | None = None) -> Answer:
    # docs/vendor.md#shape-not-logined: HTTP 200, the body exactly as captured (no request id in it).
    payload = {
        "code": "200",
        "data": {
            "success": False,
            "httpStatus": 200,
            "errorCode": "BailianGateway.Login.NotLogined",
            "errorMsg": "BailianGateway.Login.NotLogined",
        },
        "httpStatusCode": "200",
        "successResponse": True,
    }
    return _json(200, payload)


def _not_authorised() -> Answer:
    # docs/vendor.md#shape-not-authorised (Win-CodexBar #350): a foreign switchAgent on a valid session.
    payload = {
        "code": "200",
        "data": {"success": False, "httpStatus": 200, "errorCode": "BailianGateway.Workspace.NotAuthorised"},
        "successResponse": True,
    }
    return _json(200, payload)


def _stale_sec_token() -> Answer:
    # docs/vendor.md#shape-stale-token names the markers; the body and its status are the replica's choice
    # (docs/vendor.md#choice-bodies), shaped like ConsoleNeedLogin.
    payload = {
        "code": "PostonlyOrTokenError",
        "message": "request has expired, please refresh page",
        "requestId": _request_id(),
        "successResponse": False,
    }
    return _json(200, payload)


# An answer to a ticket session calling the broadscope-bailian Coding Plan API on the INTL RPC host carries this:
# nobody has seen one (docs/vendor.md#choice-intl-ticket).
NOT_OBSERVED = ("x-replica", "not-observed")


def console_rpc(request: Request, logged_out: Callable[[Request], Answer] = not_logined) -> Answer:
    """The console RPC hosts' /data/api.json; `logged_out` answers a request without a session.

    Precedence: wrong-host cookies -> NotLogined; no session -> logged_out; an API no source describes ->
    unmodelled; a missing or foreign sec_token -> stale; a switchAgent on a Token Plan call -> NotAuthorised;
    otherwise the API's payload in the full envelope.
    """
    api = api_name(request)
    result = _console_rpc_answer(request, api, logged_out)
    if request.host == RPC_INTL and api == _UNSEEN_ON_INTL and _ticket_session(request):
        return Answer(result.status, result.body, result.content_type, (*result.headers, NOT_OBSERVED))
    return result


def _console_rpc_answer(request: Request, api: str | None, logged_out: Callable[[Request], Answer]) -> Answer:
    # docs/vendor.md#cookie-scoping (CodexBar #2370): another host's cookies are refused before anything else.
    if any(name in request.cookies for name in WRONG_HOST_COOKIES):
        return not_logined()
    token_plan = api is not None and api.startswith(TOKEN_PLAN_API_PREFIX)
    # docs/vendor.md#cookie-only-cn: the CN host answered a Token Plan call with the ticket cookie alone.
    cookie_only = token_plan and request.host == RPC_CN
    session = _ticket_session(request) or (cookie_only and bool(request.cookies.get("login_aliyunid_ticket")))
    if not session:
        return logged_out(request)
    payload: Callable[[datetime], object] | None = (
        coding_plan_payload if api in CODING_PLAN_APIS else _TOKEN_PLAN_APIS.get(api or "")
    )
    if payload is None:
        return unmodelled(f"no source describes what the console API {api!r} answers (docs/vendor.md#api-names)")
    sent = _form(request).get("sec_token", "")
    valid = bool(sent) and hmac.compare_digest(sent.encode(), _session_sec_token(request).encode())
    if not valid and (sent or not cookie_only):
        return _stale_sec_token()
    if token_plan and _switch_agent(request) is not None:
        return _not_authorised()  # docs/vendor.md#choice-switch-agent
    return _json(200, envelope(payload(_now(None))))


def _no_permission() -> Answer:
    # docs/vendor.md#console-token-errors names the code and quotes no body; the gateway's failure envelope, the
    # shape NotLogined comes in and the Bailian CLI reads its errors from, is the replica's choice
    # (docs/vendor.md#choice-console-token).
    payload = {
        "code": "200",
        "data": {"success": False, "httpStatus": 200, "errorCode": "NoPermission", "errorMsg": "NoPermission"},
        "httpStatusCode": "200",
        "successResponse": True,
    }
    return _json(200, payload)


def cli_gateway(request: Request) -> Answer:
    """The console CLI gateway's /cli/api.json (docs/vendor.md#cli-gateway): the replica's console token reads its
    account's Coding Plan and Token Plan APIs; any other bearer, and none, gets NoPermission. Cookies and sec_token
    play no part: the Bailian CLI sends neither."""
    token = _bearer(request) or ""
    if not hmac.compare_digest(token.encode(), REPLICA_CONSOLE_TOKEN.encode()):
        return _no_permission()  # REPLICA_EXPIRED_CONSOLE_TOKEN, a sk- key, another token, no token
    api = api_name(request)
    payload: Callable[[datetime], object] | None = (
        coding_plan_payload if api in CODING_PLAN_APIS else _TOKEN_PLAN_APIS.get(api or "")
    )
    if payload is None:
        return unmodelled(f"no source describes what the console API {api!r} answers (docs/vendor.md#api-names)")
    if (api or "").startswith(TOKEN_PLAN_API_PREFIX) and _switch_agent(request) is not None:
        return _not_authorised()  # docs/vendor.md#choice-switch-agent
    return _json(200, envelope(payload(_now(None))))


# The navigation headers CodexBar #2891/#3098 had to add before the CN plan page rendered SEC_TOKEN
# (docs/vendor.md#plan-page-navigation).
NAVIGATION_HEADERS = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


def _navigation(request: Request) -> bool:
    return all(request.headers.get(name, "").lower() == value for name, value in NAVIGATION_HEADERS.items())


def _dashboard(request: Request) -> Answer:
    if not _ticket_session(request):
        return _login_redirect(request)
    if request.host != CONSOLE_CN:
        return unmodelled("a logged-in INTL dashboard was never captured (docs/vendor.md#unknown-intl-session-cookie)")
    # The plan page renders SEC_TOKEN only for a real navigation; the coding-plan/model dashboard embeds it
    # for CodexBar's plain GET (docs/vendor.md#sec-token).
    with_token = request.query.get("tab") != "plan" or _navigation(request)
    config = f'window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{_session_sec_token(request)}" }};\n' if with_token else ""
    page = (
        "<!DOCTYPE html>\n<html><head><title>Bailian console (replica)</title>\n"
        f"<script>\n{config}</script></head><body><div id='app'></div></body></html>\n"
    )
    return Answer(status=200, body=page, content_type=HTML)


def _console_user_info(request: Request) -> Answer:
    if not _ticket_session(request):
        return _login_redirect(request)
    if request.host != CONSOLE_CN:
        return unmodelled(
            "a logged-in INTL /tool/user/info.json was never captured (docs/vendor.md#unknown-intl-session-cookie)"
        )
    return _json(200, {"data": {"secToken": _session_sec_token(request)}})


def _qwencloud_user_info(request: Request) -> Answer:
    if _qwencloud_session(request):
        return _json(200, {"data": {"secToken": REPLICA_SEC_TOKEN}})
    return unmodelled("what home.qwencloud.com answers without a QwenCloud ticket cookie is not recorded")


def _qwencloud_account_info(_: Request) -> Answer:
    return unmodelled(
        "cli.qwencloud.com takes an OAuth access token from the t.qwencloud.com device flow; what it "
        "answers to anything else (such as a sk-sp-* key) is not recorded (docs/vendor.md#qwencloud-cli-gateway)"
    )


# ----------------------------------------------------------------------------------------------------
# The table. First match wins; order only matters where paths overlap.
# ----------------------------------------------------------------------------------------------------

_GET = frozenset({"GET"})
_POST = frozenset({"POST"})

BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="dashscope-native-not-found",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN}),
        methods=_GET,
        paths=("/api/v1/policies", "/api/v1/usage", "/api/v1/subscriptions"),
        source="CodexBar #612 table rows 1-3, 404 with a sk-sp key (docs/vendor.md#issue-612-table). CN twins "
        "mirror INTL: inferred, never observed. No body: #612 records only the status "
        "(docs/vendor.md#choice-bodies).",
        respond=_not_found,
    ),
    Behaviour(
        name="dashscope-native-models-key-rejected",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN}),
        methods=_GET,
        paths=("/api/v1/models",),
        source="CodexBar #612 table row 4, '401 (key not accepted)' (docs/vendor.md#issue-612-table); flat "
        "InvalidApiKey bodies (docs/vendor.md#shape-flat). The replica holds no valid pay-as-you-go key, so "
        "every bearer key is rejected; CN twin inferred (docs/vendor.md#payg: a key the host does not take "
        "gets 401).",
        respond=_native_models,
    ),
    Behaviour(
        name="coding-not-found",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_GET,
        paths=("/compatible-mode/v1/usage", "/api/v1/quota", "/v1/models"),
        source="CodexBar #612 table rows 5-7, 404 with a sk-sp key (docs/vendor.md#issue-612-table). "
        "Conflict: a 200 without a key was reported on /v1/models (docs/vendor.md#conflict-coding-models); "
        "the bug report wins. CN twins inferred.",
        respond=_not_found,
    ),
    Behaviour(
        name="coding-anthropic-messages",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_POST,
        paths=("/apps/anthropic/v1/messages",),
        source="CodexBar #612 section 4, Bearer sk-sp -> 200 with no x-ratelimit-* "
        "(docs/vendor.md#issue-612-inference); x-api-key accepted too, as Claude Code sends it (inferred, "
        "docs/vendor.md#coding-inference). Headers: docs/vendor.md#diagnostic-headers. 401 text from the "
        "Coding Plan FAQ (docs/vendor.md#errors-coding-plan); its body shape is unknown, the Anthropic "
        "envelope is the replica's choice (docs/vendor.md#choice-bodies).",
        respond=_anthropic_messages,
    ),
    Behaviour(
        name="coding-openai-agent-gate",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_POST,
        paths=("/v1/chat/completions",),
        source="405 'only available for Coding Agents' (docs/vendor.md#agent-gate). Conflicts with #612's "
        "curl 200 on the anthropic path, so only this path is gated (docs/vendor.md#conflict-agent-gate). "
        "Key checked first (a sk- key gets 401 'invalid access token or token expired', "
        "docs/vendor.md#errors-coding-plan); that order and its envelope are chosen.",
        respond=_openai_chat_completions,
    ),
    Behaviour(
        name="payg-compatible-models",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN, DASHSCOPE_US, DASHSCOPE_HK}),
        methods=_GET,
        paths=("/compatible-mode/v1/models",),
        source="A sk-sp key on a general DashScope base URL -> 403 'invalid api-key' (docs/vendor.md#payg); "
        "the OpenAI envelope is chosen (docs/vendor.md#choice-bodies). Other keys 401 (docs/vendor.md#payg); "
        "no key -> flat 'No API-key provided.' (docs/vendor.md#shape-flat). US/HK/CN hosts inferred from the "
        "same FAQ line.",
        respond=_payg_compatible_models,
    ),
    Behaviour(
        name="token-plan-models",
        hosts=frozenset({TOKEN_PLAN_INTL, TOKEN_PLAN_CN}),
        methods=_GET,
        paths=("/compatible-mode/v1/models",),
        source="No key or x-api-key -> 401 flat 'No API-key provided.' (docs/vendor.md#token-plan-inference, "
        "docs/vendor.md#x-api-key-note). Bearer key -> 401 'Invalid API-key provided.' is INFERRED (a Coding "
        "Plan key is not a Token Plan key; a CN key on the INTL host gets invalid_api_key).",
        respond=_token_plan_models,
    ),
    Behaviour(
        name="console-gateway",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_POST,
        paths=("/data/api.json",),
        source="No console session, or a key -> ConsoleNeedLogin (docs/vendor.md#console-gateway-key, "
        "docs/vendor.md#shape-console-need-login; CodexBar #612, #598). HTTP 200 is chosen: the status is "
        "not recorded and CodexBar reads this answer by its body (docs/vendor.md#choice-statuses).",
        respond=_console_gateway,
    ),
    Behaviour(
        name="console-rpc",
        hosts=frozenset({RPC_INTL, RPC_CN}),
        methods=_POST,
        paths=("/data/api.json",),
        source="docs/vendor.md#console-rpc. Signed out (no ticket session, #612's INTL passport cookies "
        "included) -> 200 BailianGateway.Login.NotLogined (docs/vendor.md#shape-not-logined). CodexBar #612 "
        "section 2 reported a 302 to login instead; the newer reports win and #612's reading is the "
        "rpc-login-redirect scenario (docs/vendor.md#conflict-logged-out-rpc). bailian.console.aliyun.com's "
        "JSESSIONID/atpsida in the header -> NotLogined before anything else (docs/vendor.md#cookie-scoping). "
        "The API is params.Api, else the api query value (docs/vendor.md#api-names): both Coding Plan "
        "spellings (docs/vendor.md#bailian-commerce) -> the quota (docs/vendor.md#quota-payload) in the full "
        "envelope (docs/vendor.md#shape-datav2-success); Token Plan usage -> the monthly window "
        "(docs/vendor.md#token-plan-monthly); other Token Plan APIs of docs/vendor.md#token-plan-apis; any "
        "other API -> unmodelled. A missing or another session's sec_token -> 200 PostonlyOrTokenError "
        "(docs/vendor.md#shape-stale-token; body chosen), for hand-made tickets as for minted ones, except "
        "Token Plan calls on the CN host, which the ticket cookie alone answers "
        "(docs/vendor.md#cookie-only-cn). A switchAgent on a Token Plan call -> Workspace.NotAuthorised "
        "(docs/vendor.md#choice-switch-agent). A ticket session calling the broadscope-bailian API on the "
        "INTL host is NOT OBSERVED: treated like CN and marked x-replica: not-observed "
        "(docs/vendor.md#choice-intl-ticket).",
        respond=console_rpc,
    ),
    Behaviour(
        name="cli-gateway",
        hosts=CLI_GATEWAYS,
        methods=_POST,
        paths=("/cli/api.json",),
        source="The Bailian CLI's console gateway, on the four hosts of its region x site table "
        "(docs/vendor.md#cli-gateway, docs/vendor.md#gateway-hosts). The replica's console token "
        "(REPLICA_CONSOLE_TOKEN) -> the API named by params.Api, else the api query value "
        "(docs/vendor.md#api-names): the Coding Plan quota with the 5-hour, weekly and monthly windows "
        "(docs/vendor.md#quota-payload) or a Token Plan payload (docs/vendor.md#token-plan-monthly, "
        "docs/vendor.md#token-plan-apis), in the full envelope (docs/vendor.md#shape-datav2-success); any other "
        "API -> unmodelled; a switchAgent on a Token Plan call -> Workspace.NotAuthorised "
        "(docs/vendor.md#choice-switch-agent). A sk-sp- key and an expired token -> NoPermission (observed, "
        "docs/vendor.md#console-token-errors); the replica marks a token expired by its value "
        "(REPLICA_EXPIRED_CONSOLE_TOKEN), and refuses any other bearer and no bearer with the same NoPermission "
        "(inferred: the answer to no credential is not recorded, docs/vendor.md#unknown-no-credential). The "
        "NoPermission body and its HTTP 200, and one token being valid on all four hosts, are the replica's "
        "choices (docs/vendor.md#choice-console-token).",
        respond=cli_gateway,
    ),
    Behaviour(
        name="console-user-info",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_GET,
        paths=("/tool/user/info.json",),
        source="CodexBar's second place for sec_token (docs/vendor.md#sec-token): data.secToken, the "
        "session's value (docs/vendor.md#choice-sec-token). Signed-out answer not recorded: modelled like "
        "the dashboard on the same host (302 to login), which CodexBar's resolver treats as login required.",
        respond=_console_user_info,
    ),
    Behaviour(
        name="console-dashboard",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_GET,
        paths=("/ap-southeast-1", "/us-east-1", "/eu-central-1", "/cn-hongkong", "/cn-beijing"),
        prefix=True,
        source="docs/vendor.md#sec-token. No ticket -> 302 to the login host: #612 section 2's 302, most "
        "likely this page's (docs/vendor.md#conflict-logged-out-rpc). CN signed in: SEC_TOKEN <token> "
        "in window.ALIYUN_CONSOLE_CONFIG; the ?tab=plan page only for a navigation request (Sec-Fetch-Site "
        "same-origin, -Mode navigate, -Dest document; docs/vendor.md#plan-page-navigation), other tabs "
        "always (CodexBar's plain GET finds it).",
        respond=_dashboard,
    ),
    Behaviour(
        name="login",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=frozenset({"GET", "POST"}),
        paths=(LOGIN_DO_PATH,),
        source="The replica's own login, so a real browser can hold either session: as=intl sets the eight "
        "INTL passport cookies #612 found, on .alibabacloud.com; as=cn sets login_aliyunid_ticket, "
        "login_aliyunid_pk, login_aliyunid_csrf and cna on .aliyun.com (docs/vendor.md#session-cookies). "
        "Attributes, values and the 302 to the dashboard are the replica's choices: the real login was "
        "never captured (docs/vendor.md#choice-login).",
        respond=_login,
    ),
    Behaviour(
        name="login-page",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=_GET,
        paths=("/",),
        prefix=True,
        source="Login hosts and login-page markers (host name, 'password', 'sign in'): "
        "docs/vendor.md#login-hosts, docs/vendor.md#shape-html-login. The page itself is the replica's "
        "minimal form: the real one was never captured (docs/vendor.md#choice-login).",
        respond=_login_page,
    ),
    Behaviour(
        name="qwencloud-user-info",
        hosts=frozenset({QWENCLOUD_HOME}),
        methods=_GET,
        paths=("/tool/user/info.json",),
        source="data.secToken (docs/vendor.md#qwencloud-data-gateway) with a QwenCloud ticket cookie "
        "(docs/vendor.md#qwencloud-tickets); without one: unknown.",
        respond=_qwencloud_user_info,
    ),
    Behaviour(
        name="qwencloud-account-info",
        hosts=frozenset({QWENCLOUD_CLI}),
        methods=_GET,
        paths=("/api/account/info.json",),
        source="An OAuth token check (docs/vendor.md#qwencloud-cli-gateway). Modelled only as an honest unknown.",
        respond=_qwencloud_account_info,
    ),
    Behaviour(
        name="qwencloud-data-gateway",
        hosts=frozenset({QWENCLOUD_DATA}),
        methods=frozenset({"POST"}),
        paths=("/data/api.json",),
        source="The QwenCloud Token Plan gateway (docs/vendor.md#qwencloud-data-gateway). No answer of it is "
        "recorded, so the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled("what cs-data.qwencloud.com answers is not recorded in the sources"),
    ),
    Behaviour(
        name="qwencloud-cli-envelope",
        hosts=frozenset({QWENCLOUD_CLI}),
        methods=_POST,
        paths=("/data/v2/api.json",),
        source="The QwenCloud CLI's envelope call (docs/vendor.md#qwencloud-cli-gateway): its request and its "
        "success envelope are documented for the OAuth access token of the t.qwencloud.com device flow, which "
        "prober never holds. What it answers to anything else (a sk-sp- key, no credential) is not recorded, so "
        "the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled(
            "cli.qwencloud.com/data/v2/api.json is documented only for the QwenCloud OAuth access token; what it "
            "answers to anything else is not recorded (docs/vendor.md#qwencloud-cli-gateway)"
        ),
    ),
    Behaviour(
        name="generate-access-token",
        hosts=frozenset({OPENAPI_INTL, OPENAPI_CN}),
        methods=_POST,
        paths=("/modelstudio/cli/generateAccessToken",),
        source="GenerateCLIAccessToken (docs/vendor.md#console-token) is documented as an ACS3-HMAC-SHA256-signed "
        "call whose errors carry Code, Message and AccessDeniedDetail.AuthAction (docs/vendor.md#shape-acs-error); "
        "the status and code an unsigned call gets are not recorded, so the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled(
            "what GenerateCLIAccessToken answers to an unsigned call is not recorded (docs/vendor.md#shape-acs-error)"
        ),
    ),
    Behaviour(
        name="dashscope-tokenplan-not-found",
        hosts=frozenset({DASHSCOPE_CN, DASHSCOPE_INTL}),
        methods=_GET,
        paths=("/api/v1/tokenplan",),
        prefix=True,
        source="An empty-body 404 from Istio with or without a key, although the docs list these paths "
        "(docs/vendor.md#dashscope-tokenplan, docs/vendor.md#conflict-dashscope-tokenplan). Seen on the Beijing "
        "host; the Singapore twin is inferred.",
        respond=_istio_not_found,
    ),
    Behaviour(
        name="dashscope-tasks-key-rejected",
        hosts=frozenset({DASHSCOPE_CN, DASHSCOPE_INTL}),
        methods=_GET,
        paths=("/api/v1/tasks",),
        prefix=True,
        source="401 where /api/v1/tokenplan/* gave 404 (docs/vendor.md#dashscope-tokenplan); the replica holds no "
        "pay-as-you-go key, so no key gets the 200 UNKNOWN task (docs/vendor.md#payg). Flat bodies as for "
        "/api/v1/models (docs/vendor.md#shape-flat; chosen, the body is not quoted).",
        respond=_native_models,
    ),
    Behaviour(
        name="console-cn-on-alibabacloud-redirect",
        hosts=frozenset({CONSOLE_CN_ON_ALIBABACLOUD}),
        methods=frozenset({"GET", "POST"}),
        paths=("/",),
        prefix=True,
        source="bailian.console.alibabacloud.com redirects to modelstudio.console.alibabacloud.com "
        "(docs/vendor.md#hosts-console, CodexBar #2891); 302 and the kept path are chosen "
        "(docs/vendor.md#choice-statuses).",
        respond=_to_modelstudio,
    ),
)

HOSTS: frozenset[str] = frozenset(host for behaviour in BEHAVIOURS for host in behaviour.hosts)

UNMODELLED = "unmodelled"


def answer(request: Request, scenario: str = "observed") -> Answer:
    """The first behaviour of the scenario that matches answers; every answer names it in x-replica-behaviour."""
    # Imported here: the scenarios are built from this module's table and helpers.
    from prober.replica import scenarios

    for behaviour in scenarios.get(scenario).behaviours:
        if behaviour.matches(request):
            result = behaviour.respond(request)
            name = behaviour.name
            break
    else:
        result = unmodelled(f"no source describes {request.method} {request.host}{request.path}")
        name = UNMODELLED
    return Answer(
        status=result.status,
        body=result.body,
        content_type=result.content_type,
        headers=(*result.headers, ("x-replica-behaviour", name)),
    )
