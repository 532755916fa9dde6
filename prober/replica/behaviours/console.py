"""The console hosts: the key-mode gateway (ConsoleNeedLogin), the console RPC hosts' /data/api.json, the
dashboards with their SEC_TOKEN and quota script, the user-info call and the CN console's alibabacloud.com alias
(docs/vendor.md#hosts-console). Pure but for the clock the payloads are read from."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from prober.replica.behaviours import plans
from prober.replica.behaviours.common import (
    CONSOLE_CN,
    CONSOLE_CN_ON_ALIBABACLOUD,
    CONSOLE_INTL,
    GET,
    HTML,
    POST,
    RPC_CN,
    RPC_INTL,
    Answer,
    Behaviour,
    Request,
    form,
    json_answer,
    login_redirect,
    request_id,
    session_sec_token,
    ticket_session,
    unmodelled,
)

# Cookies that belong to bailian.console.aliyun.com; sent to the RPC host they mean a flat, unscoped cookie
# header (docs/vendor.md#cookie-scoping, CodexBar #2370).
WRONG_HOST_COOKIES = ("JSESSIONID", "atpsida")


def _to_modelstudio(request: Request) -> Answer:
    # docs/vendor.md#hosts-console (CodexBar #2891): this host sends browsers on to the INTL console. The status and
    # the kept path and query are the replica's choice (docs/vendor.md#choice-statuses).
    target = request.url.replace(f"https://{request.host}", f"https://{CONSOLE_INTL}", 1)
    return Answer(status=302, content_type=None, headers=(("Location", target),))


def _console_need_login() -> Answer:
    payload = {
        "code": "ConsoleNeedLogin",
        "message": "You need to log in.",
        "requestId": request_id(),
        "successResponse": False,
    }
    return json_answer(200, payload)


def _console_gateway(request: Request) -> Answer:
    if ticket_session(request):
        return unmodelled(
            "a console ticket session on the key-mode gateway /data/api.json is not described by any source "
            "(docs/vendor.md#console-gateway-key records key mode and INTL passport cookies only)"
        )
    return _console_need_login()


# The one Coding Plan spelling nobody has seen answer a session on the INTL RPC host
# (docs/vendor.md#choice-intl-ticket).
_UNSEEN_ON_INTL = "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"


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
    return json_answer(200, payload)


def _stale_sec_token() -> Answer:
    # docs/vendor.md#shape-stale-token names the markers; the body and its status are the replica's choice
    # (docs/vendor.md#choice-bodies), shaped like ConsoleNeedLogin.
    payload = {
        "code": "PostonlyOrTokenError",
        "message": "request has expired, please refresh page",
        "requestId": request_id(),
        "successResponse": False,
    }
    return json_answer(200, payload)


# An answer to a ticket session calling the broadscope-bailian Coding Plan API on the INTL RPC host carries this:
# nobody has seen one (docs/vendor.md#choice-intl-ticket).
NOT_OBSERVED = ("x-replica", "not-observed")


def console_rpc(request: Request, logged_out: Callable[[Request], Answer] = not_logined) -> Answer:
    """The console RPC hosts' /data/api.json; `logged_out` answers a request without a session.

    Precedence: wrong-host cookies -> NotLogined; no session -> logged_out; an API no source describes ->
    unmodelled; a missing or foreign sec_token -> stale; a switchAgent on a Token Plan call -> NotAuthorised;
    otherwise the API's payload in the full envelope.
    """
    api = plans.api_name(request)
    result = _console_rpc_answer(request, api, logged_out)
    if request.host == RPC_INTL and api == _UNSEEN_ON_INTL and ticket_session(request):
        return Answer(result.status, result.body, result.content_type, (*result.headers, NOT_OBSERVED))
    return result


def _console_rpc_answer(request: Request, api: str | None, logged_out: Callable[[Request], Answer]) -> Answer:
    # docs/vendor.md#cookie-scoping (CodexBar #2370): another host's cookies are refused before anything else.
    if any(name in request.cookies for name in WRONG_HOST_COOKIES):
        return not_logined()
    token_plan = plans.is_token_plan(api)
    # docs/vendor.md#cookie-only-cn: the CN host answered a Token Plan call with the ticket cookie alone.
    cookie_only = token_plan and request.host == RPC_CN
    session = ticket_session(request) or (cookie_only and bool(request.cookies.get("login_aliyunid_ticket")))
    if not session:
        return logged_out(request)
    payload = plans.payload_for(api)
    if payload is None:
        return unmodelled(f"no source describes what the console API {api!r} answers (docs/vendor.md#api-names)")
    sent = form(request).get("sec_token", "")
    valid = bool(sent) and hmac.compare_digest(sent.encode(), session_sec_token(request).encode())
    if not valid and (sent or not cookie_only):
        return _stale_sec_token()
    if token_plan and plans.switch_agent(request) is not None:
        return plans.not_authorised()  # docs/vendor.md#choice-switch-agent
    return plans.success(payload)


# The navigation headers CodexBar #2891/#3098 had to add before the CN plan page rendered SEC_TOKEN
# (docs/vendor.md#plan-page-navigation).
NAVIGATION_HEADERS = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


def _navigation(request: Request) -> bool:
    return all(request.headers.get(name, "").lower() == value for name, value in NAVIGATION_HEADERS.items())


# The CN console page's quota call (docs/vendor.md#choice-console-page: the script is the replica's choice).

QUOTA_API = "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"
_QUOTA_URL = f"https://{RPC_CN}/data/api.json?action=BroadScopeAspnGateway&product=sfm_bailian&api={QUOTA_API}"
_PARAMS = {
    "Api": QUOTA_API,
    "V": "1.0",
    "Data": {
        "queryCodingPlanInstanceInfoRequest": {"commodityCode": "sfm_codingplan_public_cn", "onlyLatestOne": True},
        "cornerstoneParam": {
            "protocol": "V2",
            "console": "ONE_CONSOLE",
            "productCode": "p_efm",
            "domain": CONSOLE_CN,
            "consoleSite": "BAILIAN_ALIYUN",
            "xsp_lang": "en-US",
        },
    },
}

# As the console does (docs/vendor.md#console-rpc, #csrf-headers): the session's SEC_TOKEN in the form, the CSRF
# cookie in x-xsrf-token and x-csrf-token, a fresh feTraceId and a `_v` cache buster on every call.
QUOTA_SCRIPT = (
    "(function () {\n"
    "  var config = window.ALIYUN_CONSOLE_CONFIG || {};\n"
    "  if (!config.SEC_TOKEN || !window.fetch) { return; }\n"
    "  var csrf = (document.cookie.match(/(?:^|;\\s*)login_aliyunid_csrf=([^;]*)/) || [])[1] || '';\n"
    f"  var params = {json.dumps(_PARAMS)};\n"
    "  params.Data.cornerstoneParam.feTraceId = crypto.randomUUID();\n"
    "  params.Data.cornerstoneParam.feURL = location.href + '#/efm/coding_plan';\n"
    "  var form = new URLSearchParams();\n"
    "  form.set('params', JSON.stringify(params));\n"
    "  form.set('region', 'cn-beijing');\n"
    "  form.set('sec_token', config.SEC_TOKEN);\n"
    f"  fetch('{_QUOTA_URL}&_v=' + Date.now(), {{\n"
    "    method: 'POST', credentials: 'include', body: form,\n"
    "    headers: {'Accept': '*/*', 'X-Requested-With': 'XMLHttpRequest', 'x-xsrf-token': csrf, 'x-csrf-token': csrf}\n"
    "  }).then(function (r) { return r.json(); }).then(function (data) {\n"
    "    document.getElementById('app').setAttribute('data-quota', data && data.data ? 'loaded' : 'none');\n"
    "  });\n"
    "})();\n"
)


def dashboard(request: Request) -> Answer:
    if not ticket_session(request):
        return login_redirect(request)
    if request.host != CONSOLE_CN:
        return unmodelled("a logged-in INTL dashboard was never captured (docs/vendor.md#unknown-intl-session-cookie)")
    # The plan page renders SEC_TOKEN only for a real navigation; the coding-plan/model dashboard embeds it
    # for CodexBar's plain GET (docs/vendor.md#sec-token).
    with_token = request.query.get("tab") != "plan" or _navigation(request)
    config = f'window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{session_sec_token(request)}" }};\n' if with_token else ""
    # The page's own quota call, so a browser's HAR holds it (docs/vendor.md#choice-console-page).
    page = (
        "<!DOCTYPE html>\n<html><head><title>Bailian console (replica)</title>\n"
        f"<script>\n{config}</script></head><body><div id='app'></div>\n"
        f"<script>\n{QUOTA_SCRIPT}</script></body></html>\n"
    )
    return Answer(status=200, body=page, content_type=HTML)


def _console_user_info(request: Request) -> Answer:
    if not ticket_session(request):
        return login_redirect(request)
    if request.host != CONSOLE_CN:
        return unmodelled(
            "a logged-in INTL /tool/user/info.json was never captured (docs/vendor.md#unknown-intl-session-cookie)"
        )
    return json_answer(200, {"data": {"secToken": session_sec_token(request)}})


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="console-gateway",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=POST,
        paths=("/data/api.json",),
        source="No console session, or a key -> ConsoleNeedLogin (docs/vendor.md#console-gateway-key, "
        "docs/vendor.md#shape-console-need-login; CodexBar #612, #598). HTTP 200 is chosen: the status is "
        "not recorded and CodexBar reads this answer by its body (docs/vendor.md#choice-statuses).",
        respond=_console_gateway,
    ),
    Behaviour(
        name="console-rpc",
        hosts=frozenset({RPC_INTL, RPC_CN}),
        methods=POST,
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
        name="console-user-info",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=GET,
        paths=("/tool/user/info.json",),
        source="CodexBar's second place for sec_token (docs/vendor.md#sec-token): data.secToken, the "
        "session's value (docs/vendor.md#choice-sec-token). Signed-out answer not recorded: modelled like "
        "the dashboard on the same host (302 to login), which CodexBar's resolver treats as login required.",
        respond=_console_user_info,
    ),
    Behaviour(
        name="console-dashboard",
        hosts=frozenset({CONSOLE_INTL, CONSOLE_CN}),
        methods=GET,
        paths=("/ap-southeast-1", "/us-east-1", "/eu-central-1", "/cn-hongkong", "/cn-beijing"),
        prefix=True,
        source="docs/vendor.md#sec-token. No ticket -> 302 to the login host: #612 section 2's 302, most "
        "likely this page's (docs/vendor.md#conflict-logged-out-rpc). CN signed in: SEC_TOKEN <token> "
        "in window.ALIYUN_CONSOLE_CONFIG; the ?tab=plan page only for a navigation request (Sec-Fetch-Site "
        "same-origin, -Mode navigate, -Dest document; docs/vendor.md#plan-page-navigation), other tabs "
        "always (CodexBar's plain GET finds it).",
        respond=dashboard,
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
