"""Table-driven tests for prober.vendor: outcome classes from the answers docs/vendor.md quotes (the body shapes
themselves: tests/test_shapes.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import quota, shapes, vendor
from prober.model import Auth, Hop, Outcome, OutcomeClass, Probe, Quota, QuotaWindow, Shape, VendorError

# ---- Bodies as docs/vendor.md quotes them (each comment names the anchor) -------------------------

# docs/vendor.md#shape-console-need-login: what the console gateway answers to an API key (and to a missing session).
CONSOLE_NEED_LOGIN = (
    '{"code":"ConsoleNeedLogin","message":"You need to log in.","requestId":"0bc3b4a517","successResponse":false}'
)
# docs/vendor.md#shape-flat: native flat shape.
FLAT_INVALID_KEY = '{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"8b2d"}'
FLAT_NO_KEY = '{"code":"InvalidApiKey","message":"No API-key provided.","request_id":"8b2e"}'
# docs/vendor.md#token-plan-inference: Token Plan host, unauthenticated /compatible-mode/v1/models.
FLAT_NO_KEY_NO_ID = '{"code":"InvalidApiKey","message":"No API-key provided."}'
# docs/vendor.md#shape-openai: OpenAI-compatible envelope (note the vendor's trailing space).
OPENAI_INCORRECT = (
    '{"error":{"message":"Incorrect API key provided. ","type":"invalid_request_error","param":null,'
    '"code":"invalid_api_key"},"request_id":"c0ffee"}'
)
# docs/vendor.md#agent-gate: the coding hosts refuse scripts.
PLAIN_AGENTS = '{"error":"Coding Plan is currently only available for Coding Agents"}'
# docs/vendor.md#shape-not-logined, #shape-not-authorised: gateway payloads (CodexBar #2370, Win-CodexBar #350).
GATEWAY_NOT_LOGINED = (
    '{"code":"200","data":{"success":false,"errorCode":"BailianGateway.Login.NotLogined"},"httpStatusCode":"200"}'
)
GATEWAY_NOT_AUTHORISED = (
    '{"successResponse":true,"data":{"success":false,"errorCode":"BailianGateway.Workspace.NotAuthorised"}}'
)
# docs/vendor.md#shape-datav2-error: Win-CodexBar parser tests; QwenCloud CLI business errors.
DATAV2_NO_AUTHORITY = '{"code":"200","data":{"DataV2":{"ret":["10032390::No Authority"]}}}'
DATAV2_WORKSPACE = (
    '{"code":"200","data":{"DataV2":{"ret":["10041495::Verify that the account is bound to an active workspace."]}}}'
)
DATAV2_SUCCESS = '{"code":"200","data":{"DataV2":{"ret":["SUCCESS::调用成功"],"data":{"data":{}}}}}'
# docs/vendor.md#shape-not-logined: the body as captured, with httpStatus and errorMsg.
NOT_LOGINED_CAPTURED = (
    '{"code":"200","data":{"success":false,"httpStatus":200,"errorCode":"BailianGateway.Login.NotLogined",'
    '"errorMsg":"BailianGateway.Login.NotLogined"},"httpStatusCode":"200","successResponse":true}'
)
# docs/vendor.md#shape-no-permission: the code is reported, the body never quoted; three shapes it could come in.
NO_PERMISSION_FLAT = '{"code":"NoPermission","message":"You are not authorized.","requestId":"np1"}'
NO_PERMISSION_GATEWAY = (
    '{"code":"200","data":{"success":false,"httpStatus":200,"errorCode":"NoPermission"},"successResponse":true}'
)
NO_PERMISSION_DATAV2 = '{"code":"200","data":{"DataV2":{"ret":["NoPermission::no permission"]}}}'
# docs/vendor.md#errors-console: an error no rule knows, inside a SUCCESS envelope, still shows its code and message.
NESTED_UNKNOWN = (
    '{"code":"200","data":{"DataV2":{"ret":["SUCCESS::ok"],"data":{"success":false,"code":"Quota.Frozen",'
    '"msg":"The instance is frozen.","requestId":"n1"}},"success":true,"httpStatus":200},"successResponse":true}'
)
# docs/vendor.md#shape-forbidden: a CodexBar QwenCloud fixture.
STATUS_CODE_FORBIDDEN = '{"statusCode":403,"message":"Forbidden"}'
# docs/vendor.md#shape-datav2-success: Token Plan / QwenCloud success envelope.
TOKEN_PLAN_SUCCESS = (
    '{"code":"200","data":{"DataV2":{"data":{"success":true,"data":{"per5HourPercentage":0.1}},'
    '"success":true,"httpStatus":200}},"successResponse":true}'
)
# docs/vendor.md#errors-inference, #errors-coding-plan: the 429 texts.
TPM_THROTTLE = (
    '{"error":{"message":"You exceeded your current quota, please check your plan and billing details. ",'
    '"type":"insufficient_quota","param":null,"code":"insufficient_quota"}}'
)
RPM_THROTTLE = '{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later."}'
HOUR_EXCEEDED = '{"error":{"message":"hour allocated quota exceeded","type":"Throttling","code":null}}'
WEEK_EXCEEDED = '{"code":"Throttling.AllocationQuota","message":"week allocated quota exceeded"}'
MONTH_EXCEEDED = '{"code":"Throttling.AllocationQuota","message":"month allocated quota exceeded"}'
CONCURRENCY = '{"code":"Throttling","message":"concurrency allocated quota exceeded"}'
BURST = '{"code":"Throttling","message":"Request rate increased too quickly."}'
# docs/vendor.md#errors-coding-plan: the Coding Plan FAQ.
INVALID_ACCESS_TOKEN = '{"error":{"message":"invalid access token or token expired","type":"invalid_request_error"}}'
INVALID_API_KEY_403 = '{"error":{"message":"invalid api-key","type":"AccessDenied","code":null}}'
MODEL_NOT_FOUND = '{"code":"ModelNotFound","message":"Model not exist."}'
ARREARAGE = (
    '{"code":"Arrearage","message":"Access denied, plesase make sure your account is in good standing. '
    'For details, see: https://help.aliyun.com/zh/model-studio/error-code#overdue-payment"}'
)
INVALID_URL = '{"code":"InvalidURL","message":"url error, please check url!"}'
INTERNAL = '{"code":"InternalError","message":"An internal error has occured, please try again later."}'
# docs/vendor.md#shape-anthropic: /apps/anthropic may answer in Anthropic's shape.
ANTHROPIC_AUTH = (
    '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"r9"}'
)
# docs/vendor.md#shape-html-login: QwenCloud's login-page markers.
LOGIN_HTML = '<!DOCTYPE html><html><script src="https://passport.alibabacloud.com/mini_login.js"></script></html>'
LOGIN_WORDS_HTML = "<html><title>Sign in</title><form>Login with password</form></html>"
QUOTA_BODY = json.dumps(
    {
        "code": "200",
        "data": {
            "DataV2": {
                "ret": ["SUCCESS::调用成功"],
                "data": {
                    "data": {
                        "codingPlanInstanceInfos": [
                            {
                                "status": "VALID",
                                "instanceType": "pro",
                                "codingPlanQuotaInfo": {
                                    "per5HourUsedQuota": 12,
                                    "per5HourTotalQuota": 6000,
                                    "perWeekUsedQuota": 300,
                                    "perWeekTotalQuota": 45000,
                                    "perBillMonthUsedQuota": 900,
                                    "perBillMonthTotalQuota": 90000,
                                },
                            }
                        ]
                    }
                },
            }
        },
    }
)


def envelope(payload: object) -> dict[str, object]:
    """#shape-datav2-success: the full envelope as captured, around an API's own payload."""
    inner = {"msg": "Success.", "code": "SUCCESS", "success": True, "requestId": "e1", "data": payload}
    data = {"DataV2": {"ret": ["SUCCESS::接口调用成功"], "data": inner}, "success": True, "httpStatus": 200}
    return {
        "code": "200",
        "data": {**data, "errorCode": "", "errorMsg": ""},
        "httpStatusCode": "200",
        "successResponse": True,
    }


FULL_ENVELOPE = envelope(json.loads(QUOTA_BODY)["data"]["DataV2"]["data"]["data"])


# ---- classify --------------------------------------------------------------------------------------


def _hop(status: int, location: str | None = None, url: str = "https://modelstudio.console.alibabacloud.com/") -> Hop:
    return Hop(method="GET", url=url, status=status, reason="", location=location)


TO_PASSPORT = (
    _hop(302, "https://passport.alibabacloud.com/ac/login?return_url=x"),
    _hop(200, url="https://passport.alibabacloud.com/ac/login"),
)
TO_LOCAL_LOGIN = (_hop(302, "/login"), _hop(200, url="https://modelstudio.console.alibabacloud.com/login"))
KEY_HOP = Hop(
    method="POST",
    url="https://bailian-singapore-cs.alibabacloud.com/cli/api.json",
    status=200,
    reason="",
    key_sent=True,
)
TOKEN_HOP = Hop(
    method="POST",
    url="https://bailian-singapore-cs.alibabacloud.com/cli/api.json",
    status=200,
    reason="",
    sent=("Authorization",),
)
PASSPORT_HOP = Hop(
    method="POST",
    url="https://bailian-singapore-cs.alibabacloud.com/data/api.json",
    status=200,
    reason="",
    cookies_sent=("login_current_pk", "login_aliyunid_pk", "x5sec"),
)
COOKIE_HOP = Hop(
    method="POST",
    url="https://bailian-singapore-cs.alibabacloud.com/data/api.json",
    status=200,
    reason="",
    cookies_sent=("login_aliyunid_ticket",),
)
QUOTA = quota.parse(QUOTA_BODY)


@pytest.mark.parametrize(
    ("status", "hops", "text", "klass", "explanation"),
    [
        # Rule 1 (docs/vendor.md#login-hosts).
        pytest.param(
            200,
            TO_PASSPORT,
            LOGIN_HTML,
            OutcomeClass.REDIRECT_TO_LOGIN,
            "302 → passport.alibabacloud.com: the console wants a browser login session",
            id="redirect-to-passport",
        ),
        pytest.param(
            302,
            (_hop(302, "https://signin.aliyun.com/login.htm"),),
            "",
            OutcomeClass.REDIRECT_TO_LOGIN,
            "302 → signin.aliyun.com: the console wants a browser login session",
            id="unfollowed-redirect-to-signin",
        ),
        pytest.param(
            200,
            TO_LOCAL_LOGIN,
            LOGIN_WORDS_HTML,
            OutcomeClass.REDIRECT_TO_LOGIN,
            "302 → a login page: ended on a login page; the console wants a browser login session",
            id="html-login-after-redirect",
        ),
        # Rule 2 (docs/vendor.md#console-token-errors): NoPermission, whatever its shape, names the credential sent.
        pytest.param(
            200,
            (KEY_HOP,),
            NO_PERMISSION_FLAT,
            OutcomeClass.KEY_REJECTED,
            "200 NoPermission: this credential is not accepted here (the API key was sent); the console CLI gateway "
            "takes only an unexpired console access token",
            id="no-permission-key",
        ),
        pytest.param(
            200,
            (COOKIE_HOP,),
            NO_PERMISSION_GATEWAY,
            OutcomeClass.KEY_REJECTED,
            "200 NoPermission: this credential is not accepted here (the browser session was sent); the console CLI "
            "gateway takes only an unexpired console access token",
            id="no-permission-cookies",
        ),
        pytest.param(
            403,
            (),
            NO_PERMISSION_DATAV2,
            OutcomeClass.KEY_REJECTED,
            "403 NoPermission: this credential is not accepted here (no credential was sent); the console CLI gateway "
            "takes only an unexpired console access token",
            id="no-permission-datav2-nothing-sent",
        ),
        pytest.param(
            200,
            (TOKEN_HOP,),
            NO_PERMISSION_FLAT,
            OutcomeClass.KEY_REJECTED,
            "200 NoPermission: this credential is not accepted here (the console access token was sent); the console "
            "CLI gateway takes only an unexpired console access token",
            id="no-permission-expired-token",
        ),
        # Rule 3 (docs/vendor.md#errors-console).
        pytest.param(
            200,
            (),
            CONSOLE_NEED_LOGIN,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            "200 ConsoleNeedLogin: this console gateway takes only a browser login session, not an API key "
            "(CodexBar #612)",
            id="console-need-login",
        ),
        pytest.param(
            200,
            (),
            GATEWAY_NOT_LOGINED,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            (
                "200 BailianGateway.Login.NotLogined: the gateway saw "
                "no login session: cookies missing or scoped to "
                "another host (CodexBar #2370)"
            ),
            id="gateway-not-logined",
        ),
        pytest.param(
            200,
            (),
            NOT_LOGINED_CAPTURED,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            (
                "200 BailianGateway.Login.NotLogined: the gateway saw no login session: cookies missing or scoped to "
                "another host (CodexBar #2370)"
            ),
            id="gateway-not-logined-captured",
        ),
        pytest.param(
            200,
            (PASSPORT_HOP,),
            NOT_LOGINED_CAPTURED,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            (
                "200 BailianGateway.Login.NotLogined: no login session: login_aliyunid_ticket absent from the 3 "
                "cookies sent; INTL passport sessions have none (#612)"
            ),
            id="not-logined-without-the-ticket",
        ),
        pytest.param(
            200,
            (COOKIE_HOP,),
            NOT_LOGINED_CAPTURED,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            (
                "200 BailianGateway.Login.NotLogined: the gateway saw no login session: cookies missing or scoped to "
                "another host (CodexBar #2370)"
            ),
            id="not-logined-with-the-ticket",
        ),
        pytest.param(
            200,
            (),
            DATAV2_NO_AUTHORITY,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            "200 10032390: No Authority: the console gateway wants a login session",
            id="datav2-no-authority",
        ),
        pytest.param(
            200,
            (),
            (
                '{"code":"PostonlyOrTokenError","message":"request has expired,'
                ' please refresh page","successResponse":false}'
            ),
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            (
                "200 PostonlyOrTokenError: the sec_token or session is "
                "stale: reload the console and export fresh cookies"
            ),
            id="stale-sec-token",
        ),
        pytest.param(
            200,
            (),
            '{"code":"500","message":"请求已经过期"}',
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            "200 500: the sec_token or session is stale: reload the console and export fresh cookies",
            id="stale-sec-token-chinese",
        ),
        pytest.param(
            200,
            (),
            LOGIN_HTML,
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            "200: the console served its login page; it wants a browser login session",
            id="html-login-no-redirect",
        ),
        # Rule 4 (docs/vendor.md#errors-coding-plan plan windows).
        pytest.param(
            429,
            (),
            HOUR_EXCEEDED,
            OutcomeClass.QUOTA_EXHAUSTED,
            "429 Throttling: the 5-hour Coding Plan quota is used up; the window slides",
            id="hour-exceeded",
        ),
        pytest.param(
            429,
            (),
            WEEK_EXCEEDED,
            OutcomeClass.QUOTA_EXHAUSTED,
            ("429 Throttling.AllocationQuota: the weekly Coding Plan quota is used up; it resets Monday 00:00 UTC+8"),
            id="week-exceeded",
        ),
        pytest.param(
            429,
            (),
            MONTH_EXCEEDED,
            OutcomeClass.QUOTA_EXHAUSTED,
            "429 Throttling.AllocationQuota: the monthly Coding Plan quota is used up",
            id="month-exceeded",
        ),
        # Rule 5 (docs/vendor.md#throttles: throttles are not plan exhaustion).
        pytest.param(
            429,
            (),
            TPM_THROTTLE,
            OutcomeClass.RATE_LIMITED,
            "429 insufficient_quota: tokens-per-minute throttle, not plan exhaustion (oh-my-pi #8476)",
            id="tpm-insufficient-quota",
        ),
        pytest.param(
            429,
            (),
            RPM_THROTTLE,
            OutcomeClass.RATE_LIMITED,
            "429 Throttling.RateQuota: requests-per-minute limit hit; retry shortly",
            id="rpm",
        ),
        pytest.param(
            429,
            (),
            CONCURRENCY,
            OutcomeClass.RATE_LIMITED,
            "429 Throttling: too many concurrent requests; retryable",
            id="concurrency",
        ),
        pytest.param(
            429,
            (),
            BURST,
            OutcomeClass.RATE_LIMITED,
            "429 Throttling: burst protection tripped; ramp up more slowly",
            id="burst",
        ),
        pytest.param(429, (), "", OutcomeClass.RATE_LIMITED, "429: rate limited; retry later", id="bare-429"),
        # Rule 6 (docs/vendor.md#agent-gate).
        pytest.param(
            405,
            (),
            PLAIN_AGENTS,
            OutcomeClass.AGENT_ONLY,
            "405: Coding Plan hosts answer only coding agents; this client was refused",
            id="agent-only",
        ),
        pytest.param(
            405,
            (),
            "",
            OutcomeClass.METHOD_NOT_ALLOWED,
            "405: this endpoint does not accept this method",
            id="method-not-allowed",
        ),
        # Rule 7 (docs/vendor.md#errors-inference, #x-api-key-note).
        pytest.param(
            401,
            (),
            FLAT_NO_KEY,
            OutcomeClass.KEY_REJECTED,
            "401 InvalidApiKey: No API-key provided: the key did not reach the server in a header it reads",
            id="no-api-key-provided",
        ),
        pytest.param(
            401,
            (),
            FLAT_INVALID_KEY,
            OutcomeClass.KEY_REJECTED,
            (
                "401 InvalidApiKey: Invalid API-key: the server read the "
                "key and refused it (wrong key, region or product)"
            ),
            id="invalid-api-key",
        ),
        pytest.param(
            401,
            (),
            OPENAI_INCORRECT,
            OutcomeClass.KEY_REJECTED,
            (
                "401 invalid_api_key: Invalid API-key: the server read "
                "the key and refused it (wrong key, region or "
                "product)"
            ),
            id="incorrect-api-key",
        ),
        pytest.param(
            401,
            (),
            INVALID_ACCESS_TOKEN,
            OutcomeClass.KEY_REJECTED,
            (
                "401 invalid_request_error: invalid access token: a general "
                "sk- key, an expired plan or a malformed key "
                "(Coding Plan FAQ)"
            ),
            id="invalid-access-token",
        ),
        pytest.param(
            403,
            (),
            INVALID_API_KEY_403,
            OutcomeClass.KEY_REJECTED,
            ("403 AccessDenied: invalid api-key: likely an sk-sp- Coding Plan key sent to a pay-as-you-go host"),
            id="sk-sp-on-payg",
        ),
        pytest.param(
            403,
            (),
            '{"code":"AccessDenied.Unpurchased","message":"Access to model denied."}',
            OutcomeClass.KEY_REJECTED,
            (
                "403 AccessDenied.Unpurchased: access denied: the key "
                "was read but may not use this (not purchased or "
                "not allowed)"
            ),
            id="access-denied",
        ),
        pytest.param(
            403,
            (),
            STATUS_CODE_FORBIDDEN,
            OutcomeClass.KEY_REJECTED,
            "403: forbidden: the credentials are not allowed here (Forbidden)",
            id="forbidden",
        ),
        pytest.param(401, (), "", OutcomeClass.KEY_REJECTED, "401: the server refused the credentials", id="bare-401"),
        pytest.param(
            200,
            (),
            FLAT_INVALID_KEY,
            OutcomeClass.KEY_REJECTED,
            (
                "200 InvalidApiKey: Invalid API-key: the server read the "
                "key and refused it (wrong key, region or product)"
            ),
            id="key-code-on-200",
        ),
        # Rule 8.
        pytest.param(
            404,
            (),
            MODEL_NOT_FOUND,
            OutcomeClass.NOT_FOUND,
            "404 ModelNotFound: no such model on this host (Model not exist)",
            id="model-not-found",
        ),
        pytest.param(404, (), "", OutcomeClass.NOT_FOUND, "404: no such endpoint on this host", id="bare-404"),
        # Rule 9, 10.
        pytest.param(
            400,
            (),
            ARREARAGE,
            OutcomeClass.CLIENT_ERROR,
            "400 Arrearage: the account is not in good standing (overdue payment)",
            id="arrearage",
        ),
        pytest.param(
            400,
            (),
            '{"code":"InvalidParameter","message":"Range of input length should be [1, 6000] "}',
            OutcomeClass.CLIENT_ERROR,
            "400 InvalidParameter: the request was read and a parameter refused",
            id="invalid-parameter",
        ),
        pytest.param(
            400,
            (),
            '{"code":"Foo","message":"Something odd.  For details, see: https://help.aliyun.com/x"}',
            OutcomeClass.CLIENT_ERROR,
            "400 Foo: Something odd",
            id="unknown-code-quotes-vendor",
        ),
        pytest.param(418, (), "", OutcomeClass.CLIENT_ERROR, "418: client error", id="bare-4xx"),
        pytest.param(
            301,
            (_hop(301, "https://bailian.console.aliyun.com/"),),
            "",
            OutcomeClass.CLIENT_ERROR,
            "301: redirect not followed (Location: bailian.console.aliyun.com)",
            id="redirect-not-followed",
        ),
        pytest.param(
            500,
            (),
            INTERNAL,
            OutcomeClass.SERVER_ERROR,
            "500 InternalError: the vendor failed internally",
            id="internal-error",
        ),
        pytest.param(503, (), "", OutcomeClass.SERVER_ERROR, "503: server error", id="bare-5xx"),
        # Rule 11 (docs/vendor.md#errors-console: business errors on 2xx).
        pytest.param(
            200,
            (),
            GATEWAY_NOT_AUTHORISED,
            OutcomeClass.CLIENT_ERROR,
            (
                "200 BailianGateway.Workspace.NotAuthorised: workspace "
                "permission problem (often a missing sec_token or "
                "wrong switchAgent), not a bad credential"
            ),
            id="workspace-not-authorised",
        ),
        pytest.param(
            200,
            (),
            DATAV2_WORKSPACE,
            OutcomeClass.CLIENT_ERROR,
            "200 10041495: business error: the account is not bound to an active workspace",
            id="datav2-business-error",
        ),
        pytest.param(
            200,
            (),
            NESTED_UNKNOWN,
            OutcomeClass.CLIENT_ERROR,
            "200 Quota.Frozen: The instance is frozen",
            id="nested-unknown-shows-code-and-message",
        ),
        # Last rule (docs/vendor.md#quota-payload).
        pytest.param(
            200,
            (),
            QUOTA_BODY,
            OutcomeClass.OK,
            "200: quota 5h 12/6000 (rolling) · week 300/45000 · month 900/90000 (pro, VALID); rolling: the 5h window "
            "slides and has no reset time",
            id="ok-quota",
        ),
        pytest.param(
            200,
            (),
            json.dumps(FULL_ENVELOPE),
            OutcomeClass.OK,
            "200: quota 5h 12/6000 (rolling) · week 300/45000 · month 900/90000 (pro, VALID); rolling: the 5h window "
            "slides and has no reset time",
            id="ok-quota-full-envelope",
        ),
        pytest.param(
            200,
            (),
            json.dumps(envelope({"per1MonthPercentage": 0.125, "per1MonthResetTime": 1798732800000})),
            OutcomeClass.OK,
            "200: quota month 12.5% (Token Plan)",
            id="ok-token-plan-monthly",
        ),
        pytest.param(
            200,
            (),
            TOKEN_PLAN_SUCCESS,
            OutcomeClass.OK,
            "200: quota 5h 10% (Token Plan)",
            id="ok-token-plan-five-hour",
        ),
        pytest.param(200, (), '{"code":"200","data":{"ok":true}}', OutcomeClass.OK, "200: success", id="ok-plain"),
        pytest.param(204, (), "", OutcomeClass.OK, "204: success", id="ok-empty"),
    ],
)
def test_classify(status: int, hops: tuple[Hop, ...], text: str, klass: OutcomeClass, explanation: str) -> None:
    error = shapes.parse_error(status, None, text)
    assert vendor.classify(status, hops, error, quota.parse(text)) == (klass, explanation)


def test_classify_quota_without_plan_name() -> None:
    found = Quota(plan=None, status=None, windows=(QuotaWindow("week", 1, 9000, None),))
    assert vendor.classify(200, (), None, found) == (OutcomeClass.OK, "200: quota week 1/9000")


def test_classify_quota_without_counters() -> None:
    found = Quota(plan="pro", status="VALID", windows=())
    assert vendor.classify(200, (), None, found) == (
        OutcomeClass.OK,
        "200: quota payload without counters (pro, VALID)",
    )


def test_explanations_are_one_short_line() -> None:
    long = VendorError("flat", "X" * 300, "y\n" * 300, None)
    for status in (200, 302, 400, 401, 404, 429, 500):
        _, explanation = vendor.classify(status, (), long, None)
        assert len(explanation) <= 160
        assert "\n" not in explanation


def test_login_hosts() -> None:
    assert {
        "passport.alibabacloud.com",
        "signin.aliyun.com",
        "account.aliyun.com",
        "account.alibabacloud.com",
        "login.qwencloud.com",
        "signin.alibabacloud.com",
    } == vendor.LOGIN_HOSTS


# ---- never raise -----------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "code",
                    "message",
                    "error",
                    "type",
                    "data",
                    "DataV2",
                    "ret",
                    "errorCode",
                    "success",
                    "successResponse",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_BODIES = st.one_of(
    st.text(max_size=200),
    _JSON.map(json.dumps),
    _JSON.map(lambda v: json.dumps(json.dumps(v))),
    st.sampled_from(["[" * 5000, '{"a":' * 5000, "\ufffd\ufffd{", "<\ufffd", "1e999", "-" + "9" * 5000]),
)
_HOPS = st.lists(
    st.builds(
        Hop,
        method=st.just("GET"),
        url=st.text(max_size=30),
        status=st.integers(0, 999),
        reason=st.just(""),
        location=st.none()
        | st.text(max_size=40)
        | st.sampled_from(["http://[::1", "https://passport.alibabacloud.com"]),
    ),
    max_size=3,
).map(tuple)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 999),
    st.none() | st.sampled_from(["text/html", "application/json"]) | st.text(max_size=10),
    _BODIES,
    _HOPS,
)
def test_never_raises(status: int, content_type: str | None, text: str, hops: tuple[Hop, ...]) -> None:
    error = shapes.parse_error(status, content_type, text)
    assert error is None or error.shape in set(Shape)
    klass, explanation = vendor.classify(status, hops, error, quota.parse(text))
    assert isinstance(klass, OutcomeClass)
    assert 0 < len(explanation) <= 160
    assert "\n" not in explanation


# ---- explain_login ---------------------------------------------------------------------------------

_TO_LOGIN = "302 → passport.alibabacloud.com: the console wants a browser login session"


@pytest.mark.parametrize(
    ("auth", "klass", "cookies_sent", "explanation"),
    [
        pytest.param(
            Auth.COOKIES,
            OutcomeClass.REDIRECT_TO_LOGIN,
            ("login_aliyunid_ticket", "login_aliyunid_pk"),
            f"{_TO_LOGIN}; login_aliyunid_ticket was sent, so the session itself was refused (expired or revoked)",
            id="ticket-sent",
        ),
        pytest.param(
            Auth.COOKIES,
            OutcomeClass.REDIRECT_TO_LOGIN,
            ("login_current_pk", "x5sec"),
            f"{_TO_LOGIN}; login_aliyunid_ticket absent from the 2 cookies sent: an INTL passport session has none "
            "(CodexBar #612)",
            id="intl-passport",
        ),
        pytest.param(
            Auth.COOKIES,
            OutcomeClass.REDIRECT_TO_LOGIN,
            (),
            f"{_TO_LOGIN}; no cookie matched this host: the jar holds no session for it",
            id="no-cookie",
        ),
        pytest.param(Auth.KEY, OutcomeClass.REDIRECT_TO_LOGIN, (), _TO_LOGIN, id="not-a-cookie-probe"),
        pytest.param(Auth.COOKIES, OutcomeClass.CONSOLE_LOGIN_REQUIRED, ("x5sec",), _TO_LOGIN, id="not-a-redirect"),
    ],
)
def test_explain_login(auth: Auth, klass: OutcomeClass, cookies_sent: tuple[str, ...], explanation: str) -> None:
    probe = Probe("p", "d", "GET", "https://modelstudio.console.alibabacloud.com/ap-southeast-1", auth=auth)
    hop = Hop("GET", probe.url, 302, "Found", "https://passport.alibabacloud.com/", cookies_sent=cookies_sent)
    outcome = Outcome("p", klass, _TO_LOGIN, status=302, hops=(hop,))
    assert vendor.explain_login(probe, outcome).explanation == explanation
