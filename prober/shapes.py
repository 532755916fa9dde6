"""Pure: what an Alibaba/DashScope answer states in its body and headers: the vendor error in one of the known body
shapes (docs/vendor.md#shapes) and the vendor's diagnostic headers (docs/vendor.md#diagnostic-headers)."""

from __future__ import annotations

from prober.headers import Family
from prober.jsonbody import MAX_DEPTH, decode
from prober.model import Shape, VendorError

# docs/vendor.md#diagnostic-headers: the headers seen on DashScope responses that help the vendor find a request.
DIAGNOSTIC_HEADERS = Family(
    frozenset(
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
    ),
    ("x-dashscope-",),
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


def parse_error(status: int, content_type: str | None, text: str) -> VendorError | None:
    """The vendor error stated in a body, or None for success bodies and empty bodies. Never raises."""
    stripped = text.strip()
    if not stripped:
        return None
    # docs/vendor.md#shape-html-login: an HTML body starting with `<` is the console's login page. A JSON body
    # labelled text/html is still read as JSON, so only a body that does not parse counts as HTML by type.
    if stripped.startswith("<"):
        return _html(stripped)
    value = decode(stripped)
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
    return VendorError(shape=Shape.HTML_LOGIN, message=f"login page ({marker})")


def _text(status: int, text: str) -> VendorError | None:
    """A non-JSON error body as the message, whole: prober/intake.py caps it where it is kept, after scrubbing with
    a margin, so a cut never leaves a secret's first characters that scrubbing no longer recognises."""
    if status < 400:
        return None
    return VendorError(shape=Shape.TEXT, message=text)


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
        return VendorError(Shape.FLAT, None, message, _request_id(body))
    return None


def _nested(value: object, depth: int) -> VendorError | None:
    """The first mapping, depth first, that says `success: false` and gives a code or a message."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        if value.get("success") is False or value.get("Success") is False:
            code = _code_of(value, "errorCode", "code", "Code", "ErrorCode")
            if code is not None and code.lower() in _SUCCESS_CODES:
                code = None
            message = _text_of(value, "errorMsg", "errorMessage", "message", "Message", "msg")
            if code is not None or message is not None:
                return VendorError(Shape.NESTED, code, message, _request_id(value))
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
        return VendorError(Shape.ANTHROPIC, _code_of(error, "type"), _text_of(error, "message"), request_id)
    if isinstance(error, dict):
        # docs/vendor.md#shape-openai: the envelope's code may be null; its type then names the error.
        return VendorError(Shape.OPENAI, _code_of(error, "code", "type"), _text_of(error, "message"), request_id)
    if isinstance(error, str) and error.strip():
        return VendorError(Shape.PLAIN, None, error, request_id)
    code = _code_of(body, "code", "Code")
    if body.get("successResponse") is False and isinstance(body.get("code"), str) and code is not None:
        return VendorError(Shape.CONSOLE, code, _message(body), request_id)
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
        return VendorError(Shape.FLAT, code, _message(body), request_id)
    return None


_SUCCESS_CODES = frozenset({"200", "0", "success", "ok"})


def _gateway(holder: dict[str, object], request_id: str | None) -> VendorError | None:
    # docs/vendor.md#shape-not-logined: {"data": {"success": false, "errorCode": "BailianGateway.Login.NotLogined"}}.
    code = _code_of(holder, "errorCode")
    if code is None or holder.get("success") is True:
        return None
    message = _text_of(holder, "errorMsg", "errorMessage", "message", "msg")
    return VendorError(Shape.GATEWAY, code, message, request_id or _request_id(holder))


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
    return VendorError(Shape.DATAV2, code.strip() or first, message.strip() if separator else None, request_id)


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
