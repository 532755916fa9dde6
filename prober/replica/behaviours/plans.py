"""The console APIs both gateways serve (the console RPC hosts and the CLI gateway): the Coding Plan quota and the
Token Plan's APIs, each in the gateway's full success envelope, named by params.Api or the api query
(docs/vendor.md#api-names). Pure but for the clock the refresh times are read from."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from prober.replica.behaviours.common import (
    Answer,
    Request,
    form,
    json_answer,
    request_id,
)


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
                    "requestId": request_id(),
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


def _params(request: Request) -> dict[str, object]:
    """The form's `params` field as a mapping (a JSON string on the wire); empty when absent or not JSON."""
    try:
        value = json.loads(form(request).get("params", ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def api_name(request: Request) -> str | None:
    """The console API a gateway call runs: params.Api, else the `api` query value (docs/vendor.md#api-names)."""
    api = _params(request).get("Api")
    if isinstance(api, str) and api.strip():
        return api.strip()
    return request.query.get("api", "").strip() or None


def switch_agent(request: Request) -> object:
    """cornerstoneParam.switchAgent of the call, or None; Data may be a mapping or a JSON string."""
    data = _params(request).get("Data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    corner = data.get("cornerstoneParam") if isinstance(data, dict) else None
    return corner.get("switchAgent") if isinstance(corner, dict) else None


def not_authorised() -> Answer:
    # docs/vendor.md#shape-not-authorised (Win-CodexBar #350): a foreign switchAgent on a valid session.
    payload = {
        "code": "200",
        "data": {"success": False, "httpStatus": 200, "errorCode": "BailianGateway.Workspace.NotAuthorised"},
        "successResponse": True,
    }
    return json_answer(200, payload)


def payload_for(api: str | None) -> Callable[[datetime], object] | None:
    """The payload maker of a console API the sources describe, or None."""
    return coding_plan_payload if api in CODING_PLAN_APIS else _TOKEN_PLAN_APIS.get(api or "")


def is_token_plan(api: str | None) -> bool:
    return api is not None and api.startswith(TOKEN_PLAN_API_PREFIX)


def success(payload: Callable[[datetime], object]) -> Answer:
    """The API's payload, made now, in the full success envelope."""
    return json_answer(200, envelope(payload(_now(None))))
