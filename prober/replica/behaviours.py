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

# Hosts, named once. Reference A5 (inference), A7 (console and login hosts).
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

_CN_HOSTS = frozenset({CONSOLE_CN, RPC_CN})

# The path of the login page the console redirects to, and the query parameter carrying the original URL.
# Neither is recorded in the sources (#612 only says "302 redirect (to login page)"); these follow the
# shape of Alibaba's public account login links and are the replica's choice.
LOGIN_PATH = "/login/login.htm"
LOGIN_RETURN_PARAM = "oauth_callback"

# A value the replica embeds where a real console embeds a per-session sec_token (QwenCloud only; the
# Bailian console derives one per session: see sec_token_for).
REPLICA_SEC_TOKEN = "replica-sec-token"

# Where the replica's login sends the browser afterwards: the dashboards CodexBar opens (reference A2, A7).
DASHBOARD_CN = f"https://{CONSOLE_CN}/cn-beijing/?tab=model"
DASHBOARD_INTL = f"https://{CONSOLE_INTL}/ap-southeast-1/?tab=coding-plan"
LOGIN_DO_PATH = "/login/login.do"

# Cookies that belong to bailian.console.aliyun.com; sent to the RPC host they mean a flat, unscoped cookie
# header (reference (b) "Cookie scoping matters", CodexBar #2370).
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
# Helpers: credentials as the request presents them, and the vendor's body shapes (reference C1, C4).
# ----------------------------------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer " and value[7:].strip():
        return value[7:].strip()
    return None


def _is_coding_key(key: str | None) -> bool:
    return key is not None and key.startswith("sk-sp-")


def _ticket_session(request: Request) -> bool:
    """CodexBar's test for a console session (reference (b)): the ticket plus one account cookie."""
    cookies = request.cookies
    has_account = any(cookies.get(n) for n in ("login_aliyunid_pk", "login_current_pk", "login_aliyunid"))
    return bool(cookies.get("login_aliyunid_ticket")) and has_account


def _qwencloud_session(request: Request) -> bool:
    """QwenCloud accepts any one of three ticket cookies (reference (b), CB QwenCloudCookieImporter.swift)."""
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
    # Native DashScope flat shape (reference C4, [doc] error-code-start).
    return _json(status, {"code": "InvalidApiKey", "message": message, "request_id": _request_id()})


def _not_found(_: Request) -> Answer:
    # No body: #612 records only the status; the coding-plan FAQ lists "404 status code (no body)" (C4).
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
    """The cookie set of reference (b) for an `intl` passport or a `cn` ticket login, with fresh values."""
    pk = _account_pk()
    if kind == "intl":
        # The eight passport cookies #612 found (reference (b)); never login_aliyunid_ticket. HttpOnly flags
        # follow prober.demo's synthetic INTL jar; which of them are HttpOnly in reality is not recorded.
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
    # CodexBar's session test (reference (b)): the ticket plus an account cookie; the csrf cookie is read by
    # the page's script into x-csrf-token (A1 request headers), so it cannot be HttpOnly; cna feeds
    # X-Anonymous-Id (A1 form body).
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
    # Reference C5: headers seen on DashScope answers. Deliberately no x-ratelimit-* (#612 section 3).
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
            "(reference A1 rows 1-2 and A1' record key mode and INTL passport cookies only)"
        )
    return _console_need_login()


def _next_monday_utc8(now: datetime) -> datetime:
    utc8 = timezone(timedelta(hours=8))
    local = now.astimezone(utc8)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=7 - local.weekday())


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def quota_payload(now: datetime | None = None) -> dict[str, object]:
    """The CN quota answer: Pro tier totals (limits table), fixture usage counts, refresh times in ms."""
    now = now or datetime.fromtimestamp(time.time(), tz=UTC)
    info = {
        "per5HourUsedQuota": 120,
        "per5HourTotalQuota": 6000,
        "per5HourQuotaNextRefreshTime": _epoch_ms(now + timedelta(hours=5)),
        "perWeekUsedQuota": 3400,
        "perWeekTotalQuota": 45000,
        "perWeekQuotaNextRefreshTime": _epoch_ms(_next_monday_utc8(now)),
        "perBillMonthUsedQuota": 12000,
        "perBillMonthTotalQuota": 90000,
        "perBillMonthQuotaNextRefreshTime": _epoch_ms(now + timedelta(days=30)),
    }
    instance = {
        "status": "VALID",
        "instanceType": "pro",
        "instanceName": "Coding Plan Pro (replica)",
        "codingPlanQuotaInfo": info,
    }
    return {
        "code": "200",
        "data": {"DataV2": {"ret": ["SUCCESS::"], "data": {"data": {"codingPlanInstanceInfos": [instance]}}}},
        "requestId": _request_id(),
        "successResponse": True,
    }


def _not_logined() -> Answer:
    # C1 (#2370): HTTP 200, data.success false, errorCode BailianGateway.Login.NotLogined, httpStatusCode "200".
    # The top-level code "200" and requestId are the replica's (prober's vendor tests use the same shape).
    payload = {
        "code": "200",
        "data": {"success": False, "errorCode": "BailianGateway.Login.NotLogined"},
        "httpStatusCode": "200",
        "requestId": _request_id(),
    }
    return _json(200, payload)


def _stale_sec_token() -> Answer:
    # C1 lists PostonlyOrTokenError and "request has expired" / "refresh page" as CodexBar's stale-token
    # markers; the body shape a stale or missing sec_token gets is not recorded (reference (f) item 9).
    # The ConsoleNeedLogin-like shape is the replica's choice.
    payload = {
        "code": "PostonlyOrTokenError",
        "message": "request has expired, please refresh page",
        "requestId": _request_id(),
        "successResponse": False,
    }
    return _json(200, payload)


# Answers on the INTL RPC host for a ticket session carry this: nobody has seen one (#612; (f) item 3).
NOT_OBSERVED = ("x-replica", "not-observed")


def _console_rpc(request: Request) -> Answer:
    """Precedence: INTL without ticket -> 302; wrong-host cookies -> NotLogined; no ticket -> 302; token; quota."""
    intl = request.host == RPC_INTL
    if intl and not _ticket_session(request):
        return _login_redirect(request)  # #612 section 2, observed
    extra: Pairs = (NOT_OBSERVED,) if intl else ()
    # #2370: a ticket session whose header also carries bailian.console.aliyun.com's cookies is refused, so
    # this check comes before the session and token checks.
    if any(name in request.cookies for name in WRONG_HOST_COOKIES):
        result = _not_logined()
    elif not _ticket_session(request):
        return _login_redirect(request)
    else:
        sent = _form(request).get("sec_token", "")
        if sent and hmac.compare_digest(sent.encode(), _session_sec_token(request).encode()):
            result = _json(200, quota_payload())
        else:
            result = _stale_sec_token()
    return Answer(result.status, result.body, result.content_type, (*result.headers, *extra))


# The navigation headers CodexBar #2891/#3098 had to add before the CN plan page rendered SEC_TOKEN (A2 row 3).
NAVIGATION_HEADERS = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


def _navigation(request: Request) -> bool:
    return all(request.headers.get(name, "").lower() == value for name, value in NAVIGATION_HEADERS.items())


def _dashboard(request: Request) -> Answer:
    if not _ticket_session(request):
        return _login_redirect(request)
    if request.host != CONSOLE_CN:
        return unmodelled("a logged-in INTL dashboard was never captured (reference (f) item 3)")
    # The plan page renders SEC_TOKEN only for a real navigation; the coding-plan/model dashboard embeds it
    # for CodexBar's plain GET (A2 row 1).
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
        return unmodelled("a logged-in INTL /tool/user/info.json was never captured (reference (f) item 3)")
    return _json(200, {"data": {"secToken": _session_sec_token(request)}})


def _qwencloud_user_info(request: Request) -> Answer:
    if _qwencloud_session(request):
        return _json(200, {"data": {"secToken": REPLICA_SEC_TOKEN}})
    return unmodelled("what home.qwencloud.com answers without a QwenCloud ticket cookie is not recorded")


def _qwencloud_account_info(_: Request) -> Answer:
    return unmodelled(
        "cli.qwencloud.com takes an OAuth access token from the t.qwencloud.com device flow; what it "
        "answers to anything else (such as a sk-sp-* key) is not recorded (reference A4, (f) item 1)"
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
        source="CodexBar #612 table rows 1-3 (404 with a sk-sp key, INTL). CN twins mirror INTL: "
        "inferred, never observed. Body empty: #612 records only the status (C4 FAQ: '404 status code "
        "(no body)').",
        respond=_not_found,
    ),
    Behaviour(
        name="dashscope-native-models-key-rejected",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN}),
        methods=_GET,
        paths=("/api/v1/models",),
        source="CodexBar #612 table row 4 ('401 (key not accepted)'); flat InvalidApiKey bodies from "
        "reference C4 ([doc] error-code-start). The replica holds no valid PAYG key, so every bearer "
        "key is rejected; CN twin inferred (A5: 'a mismatched key or base URL gives 401').",
        respond=_native_models,
    ),
    Behaviour(
        name="coding-not-found",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_GET,
        paths=("/compatible-mode/v1/usage", "/api/v1/quota", "/v1/models"),
        source="CodexBar #612 table rows 5-7 (404 with a sk-sp key); C4 FAQ '404 status code (no "
        "body)'. Conflict: reference A5 cites an [obs] unauthenticated 200 on /v1/models (OMP-GUI "
        "proposal); the bug report wins. CN twins inferred.",
        respond=_not_found,
    ),
    Behaviour(
        name="coding-anthropic-messages",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_POST,
        paths=("/apps/anthropic/v1/messages",),
        source="CodexBar #612 section 4 (Bearer sk-sp -> 200, no x-ratelimit-*); x-api-key accepted "
        "too, as Claude Code sends it (A5 note: unverified). Headers from C5 (DashScope in general). "
        "401 text from C4 FAQ; its body shape is unknown (f item 6): the Anthropic error envelope is "
        "the replica's choice.",
        respond=_anthropic_messages,
    ),
    Behaviour(
        name="coding-openai-agent-gate",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=_POST,
        paths=("/v1/chat/completions",),
        source="C4 [obs] jcode #81, knowledge-base #14, QAI: 405 'only available for Coding Agents'. "
        "Conflicts with #612's curl 200 on the anthropic path, so only this path is gated. Key checked "
        "first (FAQ: a sk- key gets 401 'invalid access token or token expired'); that order and its "
        "envelope are chosen.",
        respond=_openai_chat_completions,
    ),
    Behaviour(
        name="payg-compatible-models",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN, DASHSCOPE_US, DASHSCOPE_HK}),
        methods=_GET,
        paths=("/compatible-mode/v1/models",),
        source="C4 FAQ and A5 (QAI): sk-sp key on a general DashScope base URL -> 403 'invalid "
        "api-key'; envelope shape chosen (C4: compatible-mode uses either). Other keys 401 (A5: "
        "mismatched key); no key -> flat 'No API-key provided.' (C4). US/HK/CN hosts inferred from the "
        "same FAQ line.",
        respond=_payg_compatible_models,
    ),
    Behaviour(
        name="token-plan-models",
        hosts=frozenset({TOKEN_PLAN_INTL, TOKEN_PLAN_CN}),
        methods=_GET,
        paths=("/compatible-mode/v1/models",),
        source="A5 [obs] research note + token-plan FAQ: no key or x-api-key -> 401 flat 'No API-key "
        "provided.'. Bearer key -> 401 'Invalid API-key provided.' is INFERRED (a Coding Plan key is "
        "not a Token Plan key; a CN key on the INTL host gets invalid_api_key, OMP).",
        respond=_token_plan_models,
    ),
    Behaviour(
        name="console-gateway",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_POST,
        paths=("/data/api.json",),
        source="A1 rows 1-2, A1', C1 (CB tests; #612; #598): no console session, or a key -> "
        "ConsoleNeedLogin. HTTP 200 is chosen: the status is not recorded and CodexBar maps this "
        "answer by its body code (C2).",
        respond=_console_gateway,
    ),
    Behaviour(
        name="console-rpc",
        hosts=frozenset({RPC_INTL, RPC_CN}),
        methods=_POST,
        paths=("/data/api.json",),
        source="A1 rows 3-4; #612 section 2: INTL passport cookies (no login_aliyunid_ticket) -> 302 "
        "to login. Cookie header with bailian.console.aliyun.com's JSESSIONID/atpsida -> 200 "
        "BailianGateway.Login.NotLogined (C1, (b) 'Cookie scoping matters', CodexBar #2370), checked "
        "before the session. CN ticket session with its sec_token form field -> quota as in reference 0 "
        "item 2, DataV2 envelope (C1), Pro limits (limits table); with a missing or another session's "
        "sec_token -> 200 PostonlyOrTokenError (C1 marker text; the exact shape is not recorded, f item "
        "9). A hand-made ticket (not issued by the replica's login) with an empty sec_token still gets "
        "quota, marked x-replica-sec-token: unchecked. A ticket session on the INTL RPC host is NOT "
        "OBSERVED (#612 found no INTL ticket; f item 3): treated like CN and marked x-replica: "
        "not-observed.",
        respond=_console_rpc,
    ),
    Behaviour(
        name="console-user-info",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_GET,
        paths=("/tool/user/info.json",),
        source="A2 row 2 (CB; OMP: data.secToken), the session's sec_token (an HMAC of the ticket under "
        "the replica's secret). Logged-out answer not recorded: modelled like the dashboard on the same "
        "host (302 to login), which CodexBar's resolver treats as login required.",
        respond=_console_user_info,
    ),
    Behaviour(
        name="console-dashboard",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=_GET,
        paths=("/ap-southeast-1", "/us-east-1", "/eu-central-1", "/cn-hongkong", "/cn-beijing"),
        prefix=True,
        source="A2 rows 1 and 3, A7; #612 section 2 (no ticket -> 302 to the login host). CN logged "
        'in: SEC_TOKEN: "<token>" in window.ALIYUN_CONSOLE_CONFIG (A2 row 3); the ?tab=plan page only '
        "for a navigation request (Sec-Fetch-Site same-origin, -Mode navigate, -Dest document; CodexBar "
        "#2891, #3098), other tabs always (A2 row 1: CodexBar's plain GET finds it).",
        respond=_dashboard,
    ),
    Behaviour(
        name="login",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=frozenset({"GET", "POST"}),
        paths=(LOGIN_DO_PATH,),
        source="The replica's own login, so a real browser can hold either session: as=intl sets the eight "
        "INTL passport cookies #612 found, on .alibabacloud.com; as=cn sets login_aliyunid_ticket, "
        "login_aliyunid_pk, login_aliyunid_csrf and cna on .aliyun.com (reference (b)). Attributes, "
        "values and the 302 to the dashboard are the replica's choices: the real login was never "
        "captured.",
        respond=_login,
    ),
    Behaviour(
        name="login-page",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=_GET,
        paths=("/",),
        prefix=True,
        source="A7 login hosts and reference (b) login-page markers (host name, 'password', 'sign "
        "in'). The page itself is the replica's minimal form: the real one was never captured.",
        respond=_login_page,
    ),
    Behaviour(
        name="qwencloud-user-info",
        hosts=frozenset({QWENCLOUD_HOME}),
        methods=_GET,
        paths=("/tool/user/info.json",),
        source="A2 row 2 (OMP: data.secToken) with a QwenCloud ticket cookie (reference (b)); without one: unknown.",
        respond=_qwencloud_user_info,
    ),
    Behaviour(
        name="qwencloud-account-info",
        hosts=frozenset({QWENCLOUD_CLI}),
        methods=_GET,
        paths=("/api/account/info.json",),
        source="A4 row 4 (QCLI): an OAuth token check. Modelled only as an honest unknown.",
        respond=_qwencloud_account_info,
    ),
    Behaviour(
        name="qwencloud-data-gateway",
        hosts=frozenset({QWENCLOUD_DATA}),
        methods=frozenset({"POST"}),
        paths=("/data/api.json",),
        source="A3 row 3 (CB QwenCloudUsageFetcher.swift): the QwenCloud Token Plan gateway. No answer of it is "
        "recorded, so the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled("what cs-data.qwencloud.com answers is not recorded in the sources"),
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
