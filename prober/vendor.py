"""Pure: Alibaba/DashScope answers -> vendor error shapes, diagnostic headers and an outcome class."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from prober import quota as quotas
from prober.model import Hop, OutcomeClass, Pairs, Quota, VendorError

# docs/vendor.md#diagnostic-headers: the headers seen on DashScope responses that help the vendor find a request.
_DIAGNOSTIC_NAMES = frozenset(
    {
        "x-request-id",
        "eagleeye-traceid",
        "req-cost-time",
        "req-arrive-time",
        "resp-start-time",
        "x-envoy-upstream-service-time",
        "server",
        "x-acs-request-id",
    }
)
_DIAGNOSTIC_PREFIX = "x-dashscope-"

# docs/vendor.md#login-hosts (login / passport hosts and CodexBar's QwenCloud markers): a redirect to one of
# these means the console wants a browser session.
LOGIN_HOSTS: frozenset[str] = frozenset(
    {
        "passport.alibabacloud.com",
        "signin.aliyun.com",
        "account.aliyun.com",
        "account.alibabacloud.com",
        "login.qwencloud.com",
        "signin.alibabacloud.com",
    }
)

# docs/vendor.md#shape-html-login (CodexBar's QwenCloud check): any one of these in the HTML ...
_LOGIN_PAGE_MARKERS = (
    "passport.alibabacloud.com",
    "signin.aliyun.com",
    "account.alibabacloud.com/login",
    "login.qwencloud.com",
)
# ... or all of these words.
_LOGIN_PAGE_WORDS = ("login", "password", "sign in")

_TEXT_LIMIT = 200
_LINE_LIMIT = 160
_SAID_LIMIT = 90


class Shape(StrEnum):
    """The body shapes parse_error recognises; the values are stored in VendorError.shape."""

    # Each shape is described under docs/vendor.md#shapes.
    FLAT = "flat"  # native DashScope: {code, message, request_id}
    OPENAI = "openai"  # OpenAI-compatible envelope: {error: {code, message, type}}
    ANTHROPIC = "anthropic"  # /apps/anthropic may answer {type: "error", error: {type, message}}
    CONSOLE = "console"  # {code: "ConsoleNeedLogin", ..., successResponse: false}
    GATEWAY = "gateway"  # data.errorCode (BailianGateway.Login.NotLogined ...), data.success false
    DATAV2 = "datav2"  # data.DataV2.ret[0] not starting with "SUCCESS::"
    NESTED = "nested"  # any other {success: false, code or message} object inside an envelope
    PLAIN = "plain"  # 405 {"error": "Coding Plan is currently only available for Coding Agents"}
    HTML_LOGIN = "html_login"  # an HTML login page instead of data
    TEXT = "text"  # anything else non-JSON on an error status


def diagnostics(headers: Iterable[tuple[str, str]]) -> Pairs:
    """The vendor's diagnostic headers (docs/vendor.md#diagnostic-headers), names lower-cased, in received order."""
    picked: list[tuple[str, str]] = []
    for name, value in headers:
        lowered = name.strip().lower()
        if lowered in _DIAGNOSTIC_NAMES or lowered.startswith(_DIAGNOSTIC_PREFIX):
            picked.append((lowered, value))
    return tuple(picked)


# --------------------------------------------------------------------------------------------------
# Body shapes
# --------------------------------------------------------------------------------------------------


def parse_error(status: int, content_type: str | None, text: str) -> VendorError | None:
    """The vendor error stated in a body, or None for success bodies and empty bodies. Never raises."""
    stripped = text.strip()
    if not stripped:
        return None
    # docs/vendor.md#shape-html-login: an HTML body starting with `<` is the console's login page. A JSON body
    # labelled text/html is still read as JSON, so only a body that does not parse counts as HTML by type.
    if stripped.startswith("<"):
        return _html(stripped)
    value = quotas.decode(stripped)
    if value is None:
        if "text/html" in (content_type or "").lower():
            return _html(stripped)
        return _text(status, stripped)
    if isinstance(value, dict):
        return _shape(status, value)
    return _text(status, stripped)


def _html(text: str) -> VendorError | None:
    lowered = text.lower()
    marker = next((m for m in _LOGIN_PAGE_MARKERS if m in lowered), None)
    if marker is None and all(word in lowered for word in _LOGIN_PAGE_WORDS):
        marker = "login, password and sign in"
    if marker is None:
        return None
    return VendorError(shape=Shape.HTML_LOGIN.value, message=f"login page ({marker})")


def _text(status: int, text: str) -> VendorError | None:
    if status < 400:
        return None
    return VendorError(shape=Shape.TEXT.value, message=text[:_TEXT_LIMIT].strip())


def _shape(status: int, body: dict[str, object]) -> VendorError | None:
    found = _object_shape(body)
    if found is not None:
        return found
    # docs/vendor.md#shape-datav2-success: the console may carry its answer as a JSON string in
    # successResponse.body; decode() has expanded it, so look inside too.
    wrapper = body.get("successResponse")
    inner = wrapper.get("body") if isinstance(wrapper, dict) else None
    if isinstance(inner, dict) and (found := _object_shape(inner)) is not None:
        return found
    # docs/vendor.md#errors-console: an error the shapes above do not know, deeper in an envelope (for example
    # DataV2.data with success false under a SUCCESS ret), still shows its code and message.
    if (found := _nested(body, 0)) is not None:
        return found
    # A JSON object on an error status with only a message (e.g. {"message":"Forbidden"}) still says why.
    message = _text_of(body, "message", "Message", "msg", "errorMessage", "errorMsg")
    if status >= 400 and message is not None:
        return VendorError(Shape.FLAT.value, None, message, _request_id(body))
    return None


def _nested(value: object, depth: int) -> VendorError | None:
    """The first mapping, depth first, that says `success: false` and gives a code or a message."""
    if depth > quotas.MAX_DEPTH:
        return None
    if isinstance(value, dict):
        if value.get("success") is False or value.get("Success") is False:
            code = _code_of(value, "errorCode", "code", "Code", "ErrorCode")
            if code is not None and code.lower() in _SUCCESS_CODES:
                code = None
            message = _text_of(value, "errorMsg", "errorMessage", "message", "Message", "msg")
            if code is not None or message is not None:
                return VendorError(Shape.NESTED.value, code, message, _request_id(value))
        children: list[object] = list(value.values())
    elif isinstance(value, list):
        children = list(value)
    else:
        return None
    return next((found for item in children if (found := _nested(item, depth + 1)) is not None), None)


def _object_shape(body: dict[str, object]) -> VendorError | None:
    """One JSON object against each known shape, most specific first."""
    error = body.get("error")
    request_id = _request_id(body)
    if body.get("type") == "error" and isinstance(error, dict):
        return VendorError(Shape.ANTHROPIC.value, _code_of(error, "type"), _text_of(error, "message"), request_id)
    if isinstance(error, dict):
        # docs/vendor.md#shape-openai: the envelope's code may be null; its type then names the error.
        return VendorError(Shape.OPENAI.value, _code_of(error, "code", "type"), _text_of(error, "message"), request_id)
    if isinstance(error, str) and error.strip():
        return VendorError(Shape.PLAIN.value, None, error, request_id)
    code = _code_of(body, "code", "Code")
    if body.get("successResponse") is False and isinstance(body.get("code"), str) and code is not None:
        return VendorError(Shape.CONSOLE.value, code, _message(body), request_id)
    data = body.get("data")
    for holder in (data, body):
        if isinstance(holder, dict) and (found := _gateway(holder, request_id)) is not None:
            return found
    for holder in (data, body):
        if isinstance(holder, dict) and (found := _datav2(holder, request_id)) is not None:
            return found
    # docs/vendor.md#errors-console (CodexBar's rules): a code (or statusCode) present and not a success value.
    code = code or _code_of(body, "statusCode", "status_code")
    if code is not None and code.lower() not in _SUCCESS_CODES:
        return VendorError(Shape.FLAT.value, code, _message(body), request_id)
    return None


_SUCCESS_CODES = frozenset({"200", "0", "success", "ok"})


def _gateway(holder: dict[str, object], request_id: str | None) -> VendorError | None:
    # docs/vendor.md#shape-not-logined: {"data": {"success": false, "errorCode": "BailianGateway.Login.NotLogined"}}.
    code = _code_of(holder, "errorCode")
    if code is None or holder.get("success") is True:
        return None
    message = _text_of(holder, "errorMsg", "errorMessage", "message", "msg")
    return VendorError(Shape.GATEWAY.value, code, message, request_id or _request_id(holder))


def _datav2(holder: dict[str, object], request_id: str | None) -> VendorError | None:
    # docs/vendor.md#shape-datav2-error: success means ret[0] starts with "SUCCESS::"; else "<code>::<message>".
    datav2 = holder.get("DataV2")
    ret = datav2.get("ret") if isinstance(datav2, dict) else None
    if not isinstance(ret, list) or not ret or not isinstance(ret[0], str):
        return None
    first = ret[0].strip()
    if not first or first.startswith("SUCCESS::"):
        return None
    code, separator, message = first.partition("::")
    return VendorError(Shape.DATAV2.value, code.strip() or first, message.strip() if separator else None, request_id)


def _message(body: dict[str, object]) -> str | None:
    return _text_of(body, "message", "Message", "msg", "errorMessage", "errorMsg")


def _request_id(body: dict[str, object]) -> str | None:
    return _text_of(body, "request_id", "requestId", "RequestId")


def _text_of(holder: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = holder.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _code_of(holder: dict[str, object], *keys: str) -> str | None:
    """A code as text; vendors send both strings and numbers (docs/vendor.md#errors-console)."""
    for key in keys:
        value = holder.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


# --------------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------------

Verdict = tuple[OutcomeClass, str]


def classify(status: int, hops: tuple[Hop, ...], error: VendorError | None, quota: Quota | None) -> Verdict:
    """The outcome class and a one-line explanation: the first rule of _RULES that matches wins."""
    answer = _Answer(status, hops, error, quota)
    verdict = next((v for rule in _RULES if (v := rule(answer)) is not None), None) or _ok(answer)
    return verdict[0], _line(verdict[1])


@dataclass(frozen=True, slots=True)
class _Answer:
    """What the rules look at."""

    status: int
    hops: tuple[Hop, ...]
    error: VendorError | None
    quota: Quota | None

    @property
    def code(self) -> str | None:
        return self.error.code if self.error is not None else None

    @property
    def shape(self) -> str | None:
        return self.error.shape if self.error is not None else None

    @property
    def words(self) -> str:
        """The vendor's code and message, lower-cased: match by substring, never by equality (docs/vendor.md#shapes)."""
        if self.error is None:
            return ""
        return f"{self.error.code or ''} {self.error.message or ''}".lower()


def _head(answer: _Answer) -> str:
    """`<status> <code>` (code left out when absent or equal to the status): every explanation starts so."""
    if answer.code and answer.code != str(answer.status):
        return f"{answer.status} {answer.code}"
    return str(answer.status)


def _said(answer: _Answer) -> str | None:
    """The vendor's message, cleaned for one line (docs/vendor.md#shapes: trailing spaces, a 'For details' suffix)."""
    if answer.error is None or not answer.error.message:
        return None
    text = " ".join(answer.error.message.split())
    cut = text.lower().find("for details")
    if cut > 0:
        text = text[:cut]
    text = text.strip().rstrip(".").strip()
    if len(text) > _SAID_LIMIT:
        text = text[: _SAID_LIMIT - 1] + "…"
    return text or None


def _line(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= _LINE_LIMIT else text[: _LINE_LIMIT - 1] + "…"


def host(url: str | None) -> str | None:
    """The host name of a URL or Location value, without a trailing dot; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def _redirected(answer: _Answer) -> Hop | None:
    return next((h for h in answer.hops if 300 <= h.status < 400 and h.location), None)


# --- Rule 1. docs/vendor.md#login-hosts: a redirect to a passport host means the console wants a browser login.
def _redirect_to_login(answer: _Answer) -> Verdict | None:
    for hop in answer.hops:
        target = host(hop.location)
        if target is not None and target.lower() in LOGIN_HOSTS:
            return (
                OutcomeClass.REDIRECT_TO_LOGIN,
                f"{hop.status} → {target}: the console wants a browser login session",
            )
    first = _redirected(answer)
    if answer.shape == Shape.HTML_LOGIN and first is not None:
        where = host(first.location) or "a login page"
        return (
            OutcomeClass.REDIRECT_TO_LOGIN,
            f"{first.status} → {where}: ended on a login page; the console wants a browser login session",
        )
    return None


# --- Rule 2. docs/vendor.md#console-token-errors: NoPermission on the CLI gateway answers an sk-sp- key and an
# expired console token alike; the body is not quoted anywhere, so the code is looked for in every shape.
def _no_permission(answer: _Answer) -> Verdict | None:
    if "nopermission" not in answer.words:
        return None
    return (
        OutcomeClass.KEY_REJECTED,
        f"{_head(answer)}: this credential is not accepted here ({_credential(answer)} was sent); "
        "the console CLI gateway takes only an unexpired console access token",
    )


def _credential(answer: _Answer) -> str:
    """The credential the first request carried, as the hop recorded it."""
    first = answer.hops[0] if answer.hops else None
    if first is None:
        return "no credential"
    if first.key_sent:
        return "the API key"
    # The catalogue refuses Authorization in `headers:`, so a sent Authorization that is not the key is the token.
    if "Authorization" in first.sent:
        return "the console access token"
    if first.cookies_sent:
        return "the browser session"
    return "no credential"


_STALE = "the sec_token or session is stale: reload the console and export fresh cookies"
_TPM = "tokens-per-minute throttle, not plan exhaustion (oh-my-pi #8476)"

# docs/vendor.md#errors-console (console payloads, CodexBar's "login" rules, Win-CodexBar's "10032390::No
# Authority") and #shape-stale-token; each row: (marker, meaning).
_LOGIN_MARKERS: tuple[tuple[str, str], ...] = (
    ("needlogin", "this console gateway takes only a browser login session, not an API key (CodexBar #612)"),
    (
        "notlogined",
        "the gateway saw no login session: cookies missing or scoped to another host (CodexBar #2370)",
    ),
    ("10032390", "No Authority: the console gateway wants a login session"),
    ("postonlyortokenerror", _STALE),
    ("tokenerror", _STALE),
    ("request has expired", _STALE),
    ("refresh page", _STALE),
    ("请求已经过期", _STALE),
    ("log in", "the console wants a login session"),
    ("login", "the console wants a login session"),
)


# --- Rule 3. docs/vendor.md#errors-console: console login markers; an HTML login page without a redirect.
def _console_login(answer: _Answer) -> Verdict | None:
    if answer.shape == Shape.HTML_LOGIN:
        return (
            OutcomeClass.CONSOLE_LOGIN_REQUIRED,
            f"{answer.status}: the console served its login page; it wants a browser login session",
        )
    if answer.error is None:
        return None
    for marker, meaning in _LOGIN_MARKERS:
        if marker in answer.words:
            return OutcomeClass.CONSOLE_LOGIN_REQUIRED, f"{_head(answer)}: {_without_ticket(answer) or meaning}"
    return None


_TICKET = "login_aliyunid_ticket"


def _without_ticket(answer: _Answer) -> str | None:
    """Why NotLogined came when the cookies sent lacked the CN ticket (docs/vendor.md#conflict-intl-cookies)."""
    sent = answer.hops[0].cookies_sent if answer.hops else ()
    if not sent or _TICKET in sent or "notlogined" not in answer.words:
        return None
    return (
        f"no login session: {_TICKET} absent from the {len(sent)} cookies sent; INTL passport sessions have none (#612)"
    )


# docs/vendor.md#errors-coding-plan: the three plan windows, and the weekly reset time.
_PLAN_WINDOWS: tuple[tuple[str, str], ...] = (
    ("hour allocated quota exceeded", "the 5-hour Coding Plan quota is used up; the window slides"),
    (
        "week allocated quota exceeded",
        "the weekly Coding Plan quota is used up; it resets Monday 00:00 UTC+8",
    ),
    ("month allocated quota exceeded", "the monthly Coding Plan quota is used up"),
)

# docs/vendor.md#errors-inference (429 codes, rate-limit doc): throttles that clear by themselves.
_THROTTLES: tuple[tuple[str, str], ...] = (
    ("concurrency allocated quota exceeded", "too many concurrent requests; retryable"),
    ("request rate increased too quickly", "burst protection tripped; ramp up more slowly"),
    ("throttling.ratequota", "requests-per-minute limit hit; retry shortly"),
    ("requests rate limit exceeded", "requests-per-minute limit hit; retry shortly"),
    ("throttling.allocationquota", _TPM),
    ("insufficient_quota", _TPM),
    ("exceeded your current quota", _TPM),
    ("allocated quota exceeded", _TPM),
)


# --- Rule 4. docs/vendor.md#throttles: "<window> allocated quota exceeded" is the plan running out. The body
# shape of that error on the coding hosts is unknown (docs/vendor.md#unknown-429-shapes), so the text decides.
def _quota_exhausted(answer: _Answer) -> Verdict | None:
    if answer.status < 400:
        return None
    for marker, meaning in _PLAN_WINDOWS:
        if marker in answer.words:
            return OutcomeClass.QUOTA_EXHAUSTED, f"{_head(answer)}: {meaning}"
    return None


# --- Rule 5. docs/vendor.md#throttles: every other 429 (and any Throttling.* code) is a throttle, not exhaustion;
# the TPM throttle reuses "You exceeded your current quota" text, so that text alone is not exhaustion.
def _rate_limited(answer: _Answer) -> Verdict | None:
    throttled = answer.status == 429 or (answer.status >= 400 and (answer.code or "").lower().startswith("throttling"))
    if not throttled:
        return None
    meaning = next((m for marker, m in _THROTTLES if marker in answer.words), "rate limited; retry later")
    return OutcomeClass.RATE_LIMITED, f"{_head(answer)}: {meaning}"


# --- Rule 6. docs/vendor.md#agent-gate: the coding hosts refuse clients that are not coding agents with 405.
def _method(answer: _Answer) -> Verdict | None:
    if answer.status >= 400 and "only available for coding agents" in answer.words:
        return (
            OutcomeClass.AGENT_ONLY,
            f"{_head(answer)}: Coding Plan hosts answer only coding agents; this client was refused",
        )
    if answer.status == 405:
        return OutcomeClass.METHOD_NOT_ALLOWED, f"{_head(answer)}: this endpoint does not accept this method"
    return None


# docs/vendor.md#errors-inference: PascalCase and snake_case name the same error; AccessDenied has dotted variants.
_INVALID_KEY_CODES = ("invalidapikey", "invalid_api_key")
_DENIED_CODES = ("accessdenied", "access_denied")
_KEY_MESSAGES = ("invalid access token", "invalid api-key", "no api-key provided", "incorrect api key")


# --- Rule 7. docs/vendor.md#errors-inference, #errors-coding-plan and #x-api-key-note.
def _key_rejected(answer: _Answer) -> Verdict | None:
    words = answer.words
    code = (answer.code or "").lower()
    if not (
        answer.status in (401, 403)
        or code in _INVALID_KEY_CODES
        or any(c in code for c in _DENIED_CODES)
        or any(m in words for m in _KEY_MESSAGES)
    ):
        return None
    if "no api-key provided" in words:
        meaning = "No API-key provided: the key did not reach the server in a header it reads"
    elif "invalid access token" in words:
        meaning = "invalid access token: a general sk- key, an expired plan or a malformed key (Coding Plan FAQ)"
    elif answer.status == 403 and "invalid api-key" in words:
        meaning = "invalid api-key: likely an sk-sp- Coding Plan key sent to a pay-as-you-go host"
    elif "invalid api-key" in words or "incorrect api key" in words or code in _INVALID_KEY_CODES:
        meaning = "Invalid API-key: the server read the key and refused it (wrong key, region or product)"
    elif any(c in code for c in _DENIED_CODES):
        meaning = "access denied: the key was read but may not use this (not purchased or not allowed)"
    elif answer.status == 401:
        meaning = f"the server refused the credentials{_quoted(answer)}"
    else:
        meaning = f"forbidden: the credentials are not allowed here{_quoted(answer)}"
    return OutcomeClass.KEY_REJECTED, f"{_head(answer)}: {meaning}"


# --- Rule 8. docs/vendor.md#errors-inference: 404 is a wrong path or an unknown model (ModelNotFound).
def _not_found(answer: _Answer) -> Verdict | None:
    if answer.status != 404:
        return None
    if answer.code is not None and "model" in answer.code.lower():
        return OutcomeClass.NOT_FOUND, f"{_head(answer)}: no such model on this host{_quoted(answer)}"
    return OutcomeClass.NOT_FOUND, f"{_head(answer)}: no such endpoint on this host{_quoted(answer)}"


# docs/vendor.md#errors-console, #shape-datav2-error, #errors-inference: what known codes mean, for the rules below.
_MEANINGS: dict[str, str] = {
    "bailiangateway.workspace.notauthorised": (
        "workspace permission problem (often a missing sec_token or wrong switchAgent), not a bad credential"
    ),
    "10041495": "business error: the account is not bound to an active workspace",
    "workspace.error.internal": "business error inside the workspace service",
    "invalidparameter": "the request was read and a parameter refused",
    "arrearage": "the account is not in good standing (overdue payment)",
    "datainspectionfailed": "the content inspection refused the input or output",
    "invalidurl": "the URL path is wrong for this host",
    "internalerror": "the vendor failed internally",
    "internal_error": "the vendor failed internally",
}


def _meaning(answer: _Answer, fallback: str) -> str:
    known = _MEANINGS.get((answer.code or "").lower())
    if known is not None:
        return known
    said = _said(answer)
    return said if said is not None else fallback


# --- Rule 9. Any other 4xx, an unfollowed 3xx, or an odd status.
def _client_error(answer: _Answer) -> Verdict | None:
    status = answer.status
    if 300 <= status < 400:
        final = answer.hops[-1].location if answer.hops else None
        where = f" (Location: {host(final) or final})" if final else ""
        return OutcomeClass.CLIENT_ERROR, f"{status}: redirect not followed{where}"
    if 400 <= status < 500:
        return OutcomeClass.CLIENT_ERROR, f"{_head(answer)}: {_meaning(answer, 'client error')}"
    if not 200 <= status < 600:
        return OutcomeClass.CLIENT_ERROR, f"{_head(answer)}: unexpected HTTP status"
    return None


# --- Rule 10. 5xx: the vendor's side failed.
def _server_error(answer: _Answer) -> Verdict | None:
    if answer.status >= 500:
        return OutcomeClass.SERVER_ERROR, f"{_head(answer)}: {_meaning(answer, 'server error')}"
    return None


# --- Rule 11. docs/vendor.md#errors-console: 2xx can still carry a business error (Workspace.NotAuthorised, DataV2).
def _business_error(answer: _Answer) -> Verdict | None:
    if answer.error is None:
        return None
    return OutcomeClass.CLIENT_ERROR, f"{_head(answer)}: {_meaning(answer, 'the body reports an error')}"


# --- Last rule. docs/vendor.md#quota-payload: a 2xx with the quota payload; otherwise a plain success.
def _ok(answer: _Answer) -> Verdict:
    if answer.quota is None:
        return OutcomeClass.OK, f"{answer.status}: success"
    about = ", ".join(x for x in (answer.quota.plan, answer.quota.status) if x)
    suffix = f" ({about})" if about else ""
    if not answer.quota.windows:
        # docs/vendor.md#instance-choice: an active plan without counters is shown by name only.
        return OutcomeClass.OK, f"{answer.status}: quota payload without counters{suffix}"
    line = f"{answer.status}: quota {quotas.summary(answer.quota)}{suffix}"
    # docs/vendor.md#five-hour-trailing: say why a rolling window has no reset time, when the line has room.
    rolling = [w.name for w in answer.quota.windows if w.rolling]
    note = f"; rolling: the {' and '.join(rolling)} window slides and has no reset time" if rolling else ""
    return OutcomeClass.OK, line + note if len(line + note) <= _LINE_LIMIT else line


def _quoted(answer: _Answer) -> str:
    said = _said(answer)
    return f" ({said})" if said else ""


# The rules in priority order; the first that returns a verdict wins, and _ok answers when none does.
_RULES: tuple[Callable[[_Answer], Verdict | None], ...] = (
    _redirect_to_login,
    _no_permission,
    _console_login,
    _quota_exhausted,
    _rate_limited,
    _method,
    _key_rejected,
    _not_found,
    _client_error,
    _server_error,
    _business_error,
)
