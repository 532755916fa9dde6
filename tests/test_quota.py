"""Table-driven tests for prober.quota: finding codingPlanInstanceInfos and summarising the windows."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import quota
from prober.model import Quota, QuotaWindow

# docs/vendor.md#quota-payload and #quota-limits (Pro: 6000 / 45000 / 90000, as in Win-CodexBar's fixture).
PRO_INFO = {
    "per5HourUsedQuota": 12,
    "per5HourTotalQuota": 6000,
    "per5HourQuotaNextRefreshTime": 1795957200000,
    "perWeekUsedQuota": 300,
    "perWeekTotalQuota": 45000,
    "perWeekQuotaNextRefreshTime": 1795968000000,  # Monday 00:00 UTC+8
    "perBillMonthUsedQuota": 900,
    "perBillMonthTotalQuota": 90000,
    "perBillMonthQuotaNextRefreshTime": 1798732800000,
}
PRO_INSTANCE = {
    "status": "VALID",
    "instanceType": "pro",
    "instanceName": "Coding Plan Pro",
    "codingPlanQuotaInfo": PRO_INFO,
}
PRO_QUOTA = Quota(
    plan="Coding Plan Pro",
    status="VALID",
    windows=(
        # docs/vendor.md#five-hour-trailing: the 5-hour refresh time is the server's clock, so no reset is shown.
        QuotaWindow("5h", 12, 6000, None, rolling=True),
        QuotaWindow("week", 300, 45000, "2026-11-29T16:00:00Z"),
        QuotaWindow("month", 900, 90000, "2026-12-31T16:00:00Z"),
    ),
)


def _body(value: object) -> str:
    return json.dumps(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # docs/vendor.md#shape-datav2-success: older summaries put the payload directly under data.
        pytest.param(
            _body({"code": "200", "data": {"codingPlanInstanceInfos": [PRO_INSTANCE]}}),
            PRO_QUOTA,
            id="under-data",
        ),
        # docs/vendor.md#qwencloud-cli-gateway: {code:"200", data:{DataV2:{ret:["SUCCESS::…"], data:{data:{…}}}}}.
        pytest.param(
            _body(
                {
                    "code": "200",
                    "data": {
                        "DataV2": {
                            "ret": ["SUCCESS::调用成功"],
                            "data": {"data": {"codingPlanInstanceInfos": [PRO_INSTANCE]}},
                        }
                    },
                }
            ),
            PRO_QUOTA,
            id="datav2-envelope",
        ),
        # docs/vendor.md#shape-datav2-success: or as a JSON string inside successResponse.body.
        pytest.param(
            _body({"successResponse": {"body": _body({"data": {"codingPlanInstanceInfos": [PRO_INSTANCE]}})}}),
            PRO_QUOTA,
            id="string-embedded-in-successResponse-body",
        ),
        pytest.param(
            _body({"a": _body({"b": [_body({"codingPlanInstanceInfos": [PRO_INSTANCE]})]})}),
            PRO_QUOTA,
            id="string-embedded-twice",
        ),
        # docs/vendor.md#instance-choice: VALID/ACTIVE +3 beats EXPIRED -1, whatever the order.
        pytest.param(
            _body(
                {
                    "codingPlanInstanceInfos": [
                        {
                            "status": "EXPIRED",
                            "instanceName": "old",
                            "codingPlanQuotaInfo": {"perWeekUsedQuota": 1},
                        },
                        PRO_INSTANCE,
                    ]
                }
            ),
            PRO_QUOTA,
            id="best-instance-valid-over-expired",
        ),
        pytest.param(
            _body(
                {
                    "codingPlanInstanceInfos": [
                        {"instanceStatus": "STOPPED", "planName": "a"},
                        {"planName": "b", "isActive": True},
                    ]
                }
            ),
            Quota(plan="b", status=None, windows=()),
            id="isActive-scores-and-planName",
        ),
        # docs/vendor.md#quota-payload aliases perFiveHour*, perMonth*; #quota-timestamps: seconds, ISO, naive.
        pytest.param(
            _body(
                {
                    "codingPlanInstanceInfos": [
                        {
                            "status": "ACTIVE",
                            "instanceType": "starter",
                            "codingPlanQuotaInfo": {
                                "perFiveHourUsedQuota": "5",
                                "perFiveHourTotalQuota": 1200,
                                "perFiveHourQuotaNextRefreshTime": 1795957200,
                                "perMonthUsedQuota": 7,
                                "perMonthQuotaNextRefreshTime": "2026-12-01T00:00:00+08:00",
                                "perWeekQuotaNextRefreshTime": "2026-11-30 00:00:00",
                            },
                        }
                    ]
                }
            ),
            Quota(
                plan="starter",
                status="ACTIVE",
                windows=(
                    QuotaWindow("5h", 5, 1200, None, rolling=True),
                    QuotaWindow("week", None, None, "2026-11-30T00:00:00Z"),
                    QuotaWindow("month", 7, None, "2026-11-30T16:00:00Z"),
                ),
            ),
            id="aliases-seconds-iso",
        ),
        pytest.param(
            _body({"codingPlanInstanceInfos": [{"status": "VALID", "per5HourUsedQuota": 3}]}),
            Quota(plan=None, status="VALID", windows=(QuotaWindow("5h", 3, None, None, rolling=True),)),
            id="counters-on-the-instance-itself",
        ),
        pytest.param(
            _body({"codingPlanInstanceInfos": [{"codingPlanQuotaInfo": {"perWeekQuotaNextRefreshTime": "soon"}}]}),
            Quota(plan=None, status=None, windows=(QuotaWindow("week", None, None, None),)),
            id="bad-time-kept-as-none",
        ),
        # docs/vendor.md#shape-datav2-success: the full envelope as captured, payload at data.DataV2.data.data.
        pytest.param(
            _body(
                {
                    "code": "200",
                    "data": {
                        "DataV2": {
                            "ret": ["SUCCESS::接口调用成功"],
                            "data": {
                                "msg": "Success.",
                                "code": "SUCCESS",
                                "success": True,
                                "requestId": "r",
                                "data": {"codingPlanInstanceInfos": [PRO_INSTANCE]},
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
            ),
            PRO_QUOTA,
            id="full-envelope",
        ),
        # Counters at any depth of the instance: the quota info nested one level further, the instance's own last.
        pytest.param(
            _body(
                {
                    "codingPlanInstanceInfos": [
                        {
                            "status": "VALID",
                            "perWeekUsedQuota": 1,
                            "detail": {"quota": {"perWeekUsedQuota": 2, "perWeekTotalQuota": 9000}},
                            "codingPlanQuotaInfo": {"perBillMonthUsedQuota": 3},
                        }
                    ]
                }
            ),
            Quota(
                plan=None,
                status="VALID",
                windows=(QuotaWindow("week", 1, 9000, None), QuotaWindow("month", 3, None, None)),
            ),
            id="counters-at-any-depth",
        ),
        # docs/vendor.md#token-plan-monthly: the single monthly window, a ratio, in the full envelope.
        pytest.param(
            _body(
                {
                    "code": "200",
                    "data": {
                        "DataV2": {
                            "ret": ["SUCCESS::ok"],
                            "data": {"data": {"per1MonthPercentage": 0.125, "per1MonthResetTime": 1798732800000}},
                        }
                    },
                }
            ),
            Quota(
                plan=quota.TOKEN_PLAN,
                status=None,
                windows=(QuotaWindow("month", None, None, "2026-12-31T16:00:00Z", percent=12.5),),
            ),
            id="token-plan-monthly",
        ),
        # docs/vendor.md#token-plan-usage: the older 5-hour and weekly ratios; a non-number is no window.
        pytest.param(
            _body(
                {
                    "data": {
                        "per5HourPercentage": 0.5,
                        "per5HourResetTime": 1795957200000,
                        "per1WeekPercentage": "0.0333",
                        "per1MonthPercentage": None,
                    }
                }
            ),
            Quota(
                plan=quota.TOKEN_PLAN,
                status=None,
                windows=(
                    QuotaWindow("5h", None, None, "2026-11-29T13:00:00Z", percent=50.0),
                    QuotaWindow("week", None, None, None, percent=3.3),
                ),
            ),
            id="token-plan-five-hour-and-week",
        ),
        pytest.param(_body({"data": {"per1MonthResetTime": 1798732800000}}), None, id="token-plan-no-percentage"),
        pytest.param(_body({"codingPlanInstanceInfos": []}), None, id="empty-list"),
        # docs/vendor.md#shape-console-need-login: the console's login answer holds no quota.
        pytest.param(
            ('{"code":"ConsoleNeedLogin","message":"You need to log in.","requestId":"1","successResponse":false}'),
            None,
            id="console-need-login",
        ),
        pytest.param("", None, id="empty"),
        pytest.param("<html>", None, id="html"),
        pytest.param("[1, 2]", None, id="json-list"),
        pytest.param('{"codingPlanInstanceInfos": "nope"}', None, id="not-a-list"),
    ],
)
def test_parse(text: str, expected: Quota | None) -> None:
    assert quota.parse(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(PRO_QUOTA, "5h 12/6000 (rolling) · week 300/45000 · month 900/90000", id="pro"),
        pytest.param(
            Quota("Token Plan", None, (QuotaWindow("month", None, None, None, percent=12.5),)),
            "month 12.5%",
            id="percent-only",
        ),
        pytest.param(
            Quota(None, None, (QuotaWindow("week", None, None, None, percent=100.0),)),
            "week 100%",
            id="percent-whole",
        ),
        pytest.param(Quota(None, None, (QuotaWindow("week", None, 9000, None),)), "week ?/9000", id="unknown-used"),
        pytest.param(Quota("pro", "VALID", ()), "no counters", id="no-windows"),
    ],
)
def test_summary(value: Quota, expected: str) -> None:
    assert quota.summary(value) == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "codingPlanInstanceInfos",
                    "codingPlanQuotaInfo",
                    "status",
                    "per5HourUsedQuota",
                    "per5HourQuotaNextRefreshTime",
                    "perWeekTotalQuota",
                    "perMonthQuotaNextRefreshTime",
                    "isActive",
                    "body",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), _JSON.map(json.dumps), _JSON.map(lambda v: json.dumps(json.dumps(v)))))
def test_parse_never_raises(text: str) -> None:
    result = quota.parse(text)
    if result is not None:
        quota.summary(result)
