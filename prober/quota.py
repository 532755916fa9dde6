"""Pure: find the Coding Plan quota (codingPlanInstanceInfos) in a console response body."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime

from prober.model import Quota, QuotaWindow

# Bodies are bounded by the runner, but nesting is not: stop descending past this depth so a hostile
# or broken body can never reach Python's recursion limit.
_MAX_DEPTH = 64

# Reference C2 (CodexBar instance choice). The "+1 for a future endTime" rule needs a clock, which this
# pure module does not have, so it is left out; ties keep the first instance, as QCLI reads the first (A4).
_GOOD_STATUSES = frozenset({"VALID", "ACTIVE"})
_BAD_STATUSES = frozenset({"EXPIRED", "INVALID", "INACTIVE", "DISABLED", "TERMINATED", "STOPPED"})

# Reference 0.2 and C2: field prefixes per window, canonical name first, then CodexBar's aliases.
_WINDOWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("5h", ("per5Hour", "perFiveHour")),
    ("week", ("perWeek",)),
    ("month", ("perBillMonth", "perMonth")),
)

# Reference C2: timestamps at or above 1e12 are epoch milliseconds, below are seconds.
_MILLISECONDS = 1e12


def decode(text: str) -> object:
    """The body as JSON with JSON strings embedded at any depth expanded; None when it is not JSON.

    Reference C1 and (d): the console sends the payload as a JSON string inside `successResponse.body`
    (and QCLI's envelope carries `Data` as a string), and CodexBar expands such strings recursively.
    vendor.py reads error bodies through this too.
    """
    try:
        value: object = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return _expand(value, 0)


def parse(text: str) -> Quota | None:
    """The best Coding Plan instance's quota, or None when the body holds no `codingPlanInstanceInfos`."""
    instances = [item for found in _find(decode(text), 0) for item in found if isinstance(item, dict)]
    if not instances:
        return None
    best = max(instances, key=_score)
    info = best.get("codingPlanQuotaInfo")
    fields: dict[str, object] = dict(best)
    if isinstance(info, dict):
        fields.update(info)
    return Quota(
        plan=_first_text(best, "instanceName", "planName", "instanceType"),
        status=_first_text(best, "status", "instanceStatus"),
        windows=tuple(window for name, prefixes in _WINDOWS if (window := _window(name, prefixes, fields))),
    )


def summary(quota: Quota) -> str:
    """Used/total per window, e.g. `5h 12/6000 · week 300/45000 · month 900/90000`."""
    if not quota.windows:
        return "no counters"
    return " · ".join(f"{w.name} {_count(w.used)}/{_count(w.total)}" for w in quota.windows)


def _expand(value: object, depth: int) -> object:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                inner: object = json.loads(stripped)
            except (ValueError, RecursionError):
                return value
            return _expand(inner, depth + 1)
        return value
    if isinstance(value, dict):
        return {key: _expand(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, depth + 1) for item in value]
    return value


def _find(value: object, depth: int) -> Iterator[list[object]]:
    """Every `codingPlanInstanceInfos` list, wherever it sits (C1: under data or data.DataV2.data.data)."""
    if depth > _MAX_DEPTH:
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


def _window(name: str, prefixes: tuple[str, ...], fields: dict[str, object]) -> QuotaWindow | None:
    def pick(suffix: str) -> object:
        for prefix in prefixes:
            if (value := fields.get(prefix + suffix)) is not None:
                return value
        return None

    used, total, refresh = pick("UsedQuota"), pick("TotalQuota"), pick("QuotaNextRefreshTime")
    if used is None and total is None and refresh is None:
        return None
    return QuotaWindow(name=name, used=_integer(used), total=_integer(total), resets_at=_instant(refresh))


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

    CodexBar moves a stale 5-hour reset forward by 5 h (C2); that needs a clock, so it is not done here.
    Naive texts are read as UTC; the reference does not know the vendor's time zone (section f, item 10).
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
