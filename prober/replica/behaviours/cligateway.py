"""The console CLI gateway's /cli/api.json on its four hosts (docs/vendor.md#cli-gateway, #gateway-hosts) and the
OpenAPI call that makes a console access token (docs/vendor.md#console-token). Pure but for the clock."""

from __future__ import annotations

import hmac

from prober.replica.behaviours import plans
from prober.replica.behaviours.common import (
    CLI_GATEWAYS,
    OPENAPI_CN,
    OPENAPI_INTL,
    POST,
    Answer,
    Behaviour,
    Request,
    bearer,
    json_answer,
    unmodelled,
)

# The replica's console access tokens (docs/vendor.md#choice-console-token), fake values defined here only: the one
# its account issued, which reads the account's quota on every CLI gateway, and one it treats as expired. Any other
# bearer (a sk- key, another token) is refused like the expired one.
REPLICA_CONSOLE_TOKEN = "replica-console-token-" + "demo" * 4


REPLICA_EXPIRED_CONSOLE_TOKEN = "replica-expired-console-token-" + "0" * 8


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
    return json_answer(200, payload)


def cli_gateway(request: Request) -> Answer:
    """The console CLI gateway's /cli/api.json (docs/vendor.md#cli-gateway): the replica's console token reads its
    account's Coding Plan and Token Plan APIs; any other bearer, and none, gets NoPermission. Cookies and sec_token
    play no part: the Bailian CLI sends neither."""
    token = bearer(request) or ""
    if not hmac.compare_digest(token.encode(), REPLICA_CONSOLE_TOKEN.encode()):
        return _no_permission()  # REPLICA_EXPIRED_CONSOLE_TOKEN, a sk- key, another token, no token
    api = plans.api_name(request)
    payload = plans.payload_for(api)
    if payload is None:
        return unmodelled(f"no source describes what the console API {api!r} answers (docs/vendor.md#api-names)")
    if plans.is_token_plan(api) and plans.switch_agent(request) is not None:
        return plans.not_authorised()  # docs/vendor.md#choice-switch-agent
    return plans.success(payload)


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="cli-gateway",
        hosts=CLI_GATEWAYS,
        methods=POST,
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
        name="generate-access-token",
        hosts=frozenset({OPENAPI_INTL, OPENAPI_CN}),
        methods=POST,
        paths=("/modelstudio/cli/generateAccessToken",),
        source="GenerateCLIAccessToken (docs/vendor.md#console-token) is documented as an ACS3-HMAC-SHA256-signed "
        "call whose errors carry Code, Message and AccessDeniedDetail.AuthAction (docs/vendor.md#shape-acs-error); "
        "the status and code an unsigned call gets are not recorded, so the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled(
            "what GenerateCLIAccessToken answers to an unsigned call is not recorded (docs/vendor.md#shape-acs-error)"
        ),
    ),
)
