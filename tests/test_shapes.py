"""Table-driven tests for prober.shapes: the vendor's diagnostic headers and error body shapes, from the bodies
docs/vendor.md quotes (defined in tests/test_vendor.py, which classifies the same bodies)."""

from __future__ import annotations

import json

import pytest

from prober import shapes
from prober.model import Pairs, VendorError
from tests.test_vendor import (
    ANTHROPIC_AUTH,
    CONSOLE_NEED_LOGIN,
    DATAV2_NO_AUTHORITY,
    DATAV2_SUCCESS,
    DATAV2_WORKSPACE,
    FLAT_INVALID_KEY,
    FLAT_NO_KEY_NO_ID,
    FULL_ENVELOPE,
    GATEWAY_NOT_AUTHORISED,
    GATEWAY_NOT_LOGINED,
    HOUR_EXCEEDED,
    LOGIN_HTML,
    LOGIN_WORDS_HTML,
    NESTED_UNKNOWN,
    NO_PERMISSION_GATEWAY,
    NOT_LOGINED_CAPTURED,
    OPENAI_INCORRECT,
    PLAIN_AGENTS,
    QUOTA_BODY,
    STATUS_CODE_FORBIDDEN,
    TOKEN_PLAN_SUCCESS,
)

# ---- diagnostics -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            (
                ("Content-Type", "application/json"),
                ("X-Request-Id", "3f1c"),
                ("x-dashscope-call-gateway", "true"),
                ("req-cost-time", "412"),
                ("req-arrive-time", "1795957200000"),
                ("resp-start-time", "1795957200412"),
                ("x-envoy-upstream-service-time", "405"),
                ("server", "istio-envoy"),
                ("X-DashScope-Finished", "true"),
                ("x-dashscope-timeout", "180"),
                ("EagleEye-TraceId", "0b51"),
                ("set-cookie", "acw_tc=secret"),
            ),
            (
                ("x-request-id", "3f1c"),
                ("x-dashscope-call-gateway", "true"),
                ("req-cost-time", "412"),
                ("req-arrive-time", "1795957200000"),
                ("resp-start-time", "1795957200412"),
                ("x-envoy-upstream-service-time", "405"),
                ("server", "istio-envoy"),
                ("x-dashscope-finished", "true"),
                ("x-dashscope-timeout", "180"),
                ("eagleeye-traceid", "0b51"),
            ),
            id="dashscope-c5",
        ),
        pytest.param(
            (("x-acs-request-id", "A"), ("x-acs-request-id", "B")),
            (("x-acs-request-id", "A"), ("x-acs-request-id", "B")),
            id="repeats-kept",
        ),
        pytest.param((("cookie", "x"), ("x-ratelimit-remaining", "1")), (), id="none"),
    ],
)
def test_diagnostics(headers: Pairs, expected: Pairs) -> None:
    assert shapes.DIAGNOSTIC_HEADERS.pick(headers) == expected


# ---- parse_error -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "text", "expected"),
    [
        pytest.param(
            200,
            "application/json",
            CONSOLE_NEED_LOGIN,
            VendorError("console", "ConsoleNeedLogin", "You need to log in.", "0bc3b4a517"),
            id="console",
        ),
        pytest.param(
            200,
            "application/json",
            json.dumps({"successResponse": {"body": CONSOLE_NEED_LOGIN.replace('"successResponse":false', '"x":1')}}),
            VendorError("flat", "ConsoleNeedLogin", "You need to log in.", "0bc3b4a517"),
            id="embedded-in-successResponse-body",
        ),
        pytest.param(
            401,
            "application/json",
            FLAT_INVALID_KEY,
            VendorError("flat", "InvalidApiKey", "Invalid API-key provided.", "8b2d"),
            id="flat",
        ),
        pytest.param(
            401,
            None,
            FLAT_NO_KEY_NO_ID,
            VendorError("flat", "InvalidApiKey", "No API-key provided.", None),
            id="flat-no-request-id",
        ),
        pytest.param(
            403,
            None,
            STATUS_CODE_FORBIDDEN,
            VendorError("flat", "403", "Forbidden", None),
            id="flat-statusCode",
        ),
        pytest.param(
            401,
            "application/json",
            OPENAI_INCORRECT,
            VendorError("openai", "invalid_api_key", "Incorrect API key provided. ", "c0ffee"),
            id="openai",
        ),
        pytest.param(
            429,
            None,
            HOUR_EXCEEDED,
            VendorError("openai", "Throttling", "hour allocated quota exceeded", None),
            id="openai-null-code-uses-type",
        ),
        pytest.param(
            401,
            None,
            ANTHROPIC_AUTH,
            VendorError("anthropic", "authentication_error", "invalid x-api-key", "r9"),
            id="anthropic",
        ),
        pytest.param(
            405,
            "application/json",
            PLAIN_AGENTS,
            VendorError("plain", None, "Coding Plan is currently only available for Coding Agents", None),
            id="plain",
        ),
        pytest.param(
            200,
            None,
            GATEWAY_NOT_LOGINED,
            VendorError("gateway", "BailianGateway.Login.NotLogined", None, None),
            id="gateway-not-logined",
        ),
        pytest.param(
            200,
            None,
            GATEWAY_NOT_AUTHORISED,
            VendorError("gateway", "BailianGateway.Workspace.NotAuthorised", None, None),
            id="gateway-not-authorised",
        ),
        pytest.param(
            200,
            None,
            DATAV2_NO_AUTHORITY,
            VendorError("datav2", "10032390", "No Authority", None),
            id="datav2-no-authority",
        ),
        pytest.param(
            200,
            None,
            DATAV2_WORKSPACE,
            VendorError("datav2", "10041495", "Verify that the account is bound to an active workspace.", None),
            id="datav2-business",
        ),
        pytest.param(
            200,
            None,
            '{"data":{"DataV2":{"ret":["Workspace.Error.Internal"]}}}',
            VendorError("datav2", "Workspace.Error.Internal", None, None),
            id="datav2-no-separator",
        ),
        pytest.param(
            200,
            "text/html; charset=utf-8",
            LOGIN_HTML,
            VendorError("html_login", None, "login page (passport.alibabacloud.com)", None),
            id="html-login-host",
        ),
        pytest.param(
            200,
            None,
            "  \n" + LOGIN_WORDS_HTML,
            VendorError("html_login", None, "login page (login, password and sign in)", None),
            id="html-login-words",
        ),
        pytest.param(
            200,
            "text/html",
            "Please continue at https://login.qwencloud.com/?redirect=x",
            VendorError("html_login", None, "login page (login.qwencloud.com)", None),
            id="html-by-content-type",
        ),
        pytest.param(
            502,
            "text/plain",
            "  upstream connect error or disconnect/reset before headers  ",
            VendorError("text", None, "upstream connect error or disconnect/reset before headers", None),
            id="text",
        ),
        # Whole here: the 200-character cap is applied where the message is kept, after scrubbing (prober/intake.py;
        # tests/test_attack.py test_a_plain_text_error_is_cut_only_after_it_is_scrubbed).
        pytest.param(500, None, "x" * 500, VendorError("text", None, "x" * 500, None), id="text-whole-until-kept"),
        pytest.param(400, None, "[1,2]", VendorError("text", None, "[1,2]", None), id="json-list-on-error"),
        pytest.param(
            400,
            None,
            '{"message":"Bad Request"}',
            VendorError("flat", None, "Bad Request", None),
            id="message-only",
        ),
        pytest.param(
            200,
            None,
            NOT_LOGINED_CAPTURED,
            VendorError("gateway", "BailianGateway.Login.NotLogined", "BailianGateway.Login.NotLogined", None),
            id="gateway-not-logined-captured",
        ),
        pytest.param(
            200,
            None,
            NO_PERMISSION_GATEWAY,
            VendorError("gateway", "NoPermission", None, None),
            id="no-permission-gateway",
        ),
        pytest.param(
            200,
            None,
            NESTED_UNKNOWN,
            VendorError("nested", "Quota.Frozen", "The instance is frozen.", "n1"),
            id="nested-unknown-error",
        ),
        pytest.param(
            200,
            None,
            '{"code":"200","data":{"list":[{"success":false,"errorMsg":"half done"}]}}',
            VendorError("nested", None, "half done", None),
            id="nested-message-only",
        ),
        pytest.param(200, None, '{"data":{"success":false}}', None, id="nested-false-without-words"),
        pytest.param(200, None, '{"data":{"success":false,"code":"200"}}', None, id="nested-success-code"),
        pytest.param(200, None, QUOTA_BODY, None, id="coding-plan-quota-success"),
        pytest.param(200, None, json.dumps(FULL_ENVELOPE), None, id="full-envelope-success"),
        pytest.param(200, None, DATAV2_SUCCESS, None, id="datav2-success"),
        pytest.param(200, None, TOKEN_PLAN_SUCCESS, None, id="token-plan-success"),
        pytest.param(200, None, '{"output":{"text":"hi"},"usage":{},"request_id":"1"}', None, id="native-success"),
        pytest.param(200, None, '{"object":"list","data":[]}', None, id="openai-models-success"),
        pytest.param(200, None, '{"error":null,"code":""}', None, id="null-error-empty-code"),
        pytest.param(401, None, "", None, id="empty"),
        pytest.param(401, None, " \n ", None, id="whitespace"),
        pytest.param(200, "text/plain", "OK", None, id="plain-text-success"),
        pytest.param(500, "text/html", "<html><h1>502 Bad Gateway</h1></html>", None, id="html-not-login"),
        pytest.param(200, None, '{"message":"hello"}', None, id="message-only-success"),
    ],
)
def test_parse_error(status: int, content_type: str | None, text: str, expected: VendorError | None) -> None:
    assert shapes.parse_error(status, content_type, text) == expected
