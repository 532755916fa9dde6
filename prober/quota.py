"""Pure: find the Coding Plan quota (codingPlanInstanceInfos) or the Token Plan usage in a console response body."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

from prober.jsonbody import MAX_DEPTH, decode
from prober.model import Quota, QuotaWindow

# docs/vendor.md#instance-choice (CodexBar's scores). The "+1 for a future endTime" rule needs a clock, which this
# pure module does not have, so it is left out; ties keep the first instance, as both Alibaba CLIs read the first.
_GOOD_STATUSES = frozenset({"VALID", "ACTIVE"})
_BAD_STATUSES = frozenset({"EXPIRED", "INVALID", "INACTIVE", "DISABLED", "TERMINATED", "STOPPED"})

# docs/vendor.md#quota-payload: field prefixes per window, canonical name first, then CodexBar's aliases.
_WINDOWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("5h", ("per5Hour", "perFiveHour")),
    ("week", ("perWeek",)),
    ("month", ("perBillMonth", "perMonth")),
)
# docs/vendor.md#five-hour-trailing: the 5-hour window slides; its refresh time is the server's clock.
_ROLLING = frozenset({"5h"})

# docs/vendor.md#token-plan-usage and #token-plan-monthly: Token Plan usage as ratios (0 to 1) with reset times.
_TOKEN_PLAN_WINDOWS: tuple[tuple[str, str], ...] = (
    ("5h", "per5Hour"),
    ("week", "per1Week"),
    ("month", "per1Month"),
)
TOKEN_PLAN = "Token Plan"  # prober's label for a Token Plan usage answer, which names no plan itself

# docs/vendor.md#quota-timestamps: timestamps at or above 1e12 are epoch milliseconds, below are seconds.
_MILLISECONDS = 1e12


def parse(text: str) -> Quota | None:
    """The best Coding Plan instance's quota, else the Token Plan usage; None when the body holds neither.

    Both are looked for at any depth of the envelope (docs/vendor.md#shape-datav2-success).
    """
    body = decode(text)
    instances = [item for found in _find(body, 0) for item in found if isinstance(item, dict)]
    if not instances:
        return _token_plan(body)
    best = max(instances, key=_score)
    fields = _fields(best)
    return Quota(
        plan=_first_text(best, "instanceName", "planName", "instanceType"),
        status=_first_text(best, "status", "instanceStatus"),
        windows=tuple(window for name, prefixes in _WINDOWS if (window := _window(name, prefixes, fields))),
    )


def summary(quota: Quota) -> str:
    """Each window's use, e.g. `5h 12/6000 (rolling) · week 300/45000 · month 900/90000`, or `month 12.5%`."""
    if not quota.windows:
        return "no counters"
    return " · ".join(_shown(w) for w in quota.windows)


def _shown(window: QuotaWindow) -> str:
    if window.percent is not None and window.used is None and window.total is None:
        used = f"{window.name} {window.percent:g}%"
    else:
        used = f"{window.name} {_count(window.used)}/{_count(window.total)}"
    return f"{used} (rolling)" if window.rolling else used


def _find(value: object, depth: int) -> Iterator[list[object]]:
    """Every `codingPlanInstanceInfos` list, wherever it sits (under data, or data.DataV2.data.data)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "codingPlanInstanceInfos" and isinstance(item, list):
                yield item
            else:
                yield from _find(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, depth + 1)


def _score(instance: dict[str, object]) -> int:
    score = 0
    status = _first_text(instance, "status", "instanceStatus")
    if status is not None:
        if status.upper() in _GOOD_STATUSES:
            score += 3
        elif status.upper() in _BAD_STATUSES:
            score -= 1
    for key in ("isActive", "active"):
        flag = instance.get(key)
        if isinstance(flag, bool):
            score += 3 if flag else -3
            break
    return score


def _fields(instance: dict[str, object]) -> dict[str, object]:
    """codingPlanQuotaInfo's fields, then the instance's, then every nested mapping's, nearest first."""
    fields: dict[str, object] = {}
    info = instance.get("codingPlanQuotaInfo")
    level: list[dict[str, object]] = [info, instance] if isinstance(info, dict) else [instance]
    for _ in range(MAX_DEPTH):
        if not level:
            break
        nested: list[dict[str, object]] = []
        for holder in level:
            for key, value in holder.items():
                fields.setdefault(key, value)
                if isinstance(value, dict) and value is not info:
                    nested.append(value)
        level = nested
    return fields


def _window(name: str, prefixes: tuple[str, ...], fields: dict[str, object]) -> QuotaWindow | None:
    def pick(suffix: str) -> object:
        for prefix in prefixes:
            if (value := fields.get(prefix + suffix)) is not None:
                return value
        return None

    used, total, refresh = pick("UsedQuota"), pick("TotalQuota"), pick("QuotaNextRefreshTime")
    if used is None and total is None and refresh is None:
        return None
    rolling = name in _ROLLING
    # A rolling window's refresh time is "now" on the server: shown as rolling, not as a reset time.
    resets_at = None if rolling else _instant(refresh)
    return QuotaWindow(name=name, used=_integer(used), total=_integer(total), resets_at=resets_at, rolling=rolling)


def _token_plan(value: object) -> Quota | None:
    """The first mapping, at any depth, that carries a Token Plan percentage (docs/vendor.md#token-plan-usage)."""
    for holder in _mappings(value, 0):
        windows = tuple(w for name, prefix in _TOKEN_PLAN_WINDOWS if (w := _share(name, prefix, holder)))
        if windows:
            return Quota(plan=TOKEN_PLAN, status=None, windows=windows)
    return None


def _mappings(value: object, depth: int) -> Iterator[dict[str, object]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _mappings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _mappings(item, depth + 1)


def _share(name: str, prefix: str, fields: dict[str, object]) -> QuotaWindow | None:
    ratio = _number(fields.get(prefix + "Percentage"))
    if ratio is None:
        return None
    percent = round(ratio * 100, 1)
    return QuotaWindow(name, None, None, _instant(fields.get(prefix + "ResetTime")), percent=percent)


def _first_text(fields: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _integer(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _instant(value: object) -> str | None:
    """An ISO-8601 UTC string for epoch seconds/milliseconds or an ISO / `yyyy-MM-dd HH:mm:ss` text.

    The 5-hour window's time is the server's clock (docs/vendor.md#five-hour-trailing); _window drops it.
    Naive texts are read as UTC; the vendor's time zone is not known (docs/vendor.md#unknown-month-reset).
    """
    moment: datetime | None = None
    number = _number(value)
    try:
        if number is not None:
            seconds = number / 1000 if abs(number) >= _MILLISECONDS else number
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        elif isinstance(value, str) and value.strip():
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if moment is None:
        return None
    # Formatted by hand: strftime's %Y does not zero-pad years below 1000 on every platform.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)
