"""Named sets of replica behaviour overrides: today's observed answers by default, and documented what-ifs; and the
answer a scenario gives a request (the first of its behaviours that matches)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

# The scenarios reuse the observed table's helpers so that a what-if differs only where it says it does.
from prober.replica.behaviours import BEHAVIOURS
from prober.replica.behaviours.common import (
    CODING_INTL,
    CONSOLE_INTL,
    LOGIN_PATH,
    LOGIN_RETURN_PARAM,
    RPC_CN,
    RPC_INTL,
    SIGNIN_CN,
    Answer,
    Behaviour,
    Request,
    bearer,
    diagnostic_headers,
    is_coding_key,
    json_answer,
    login_redirect,
    not_found,
    ticket_session,
    unmodelled,
)
from prober.replica.behaviours.console import console_rpc, dashboard
from prober.replica.behaviours.inference import anthropic_messages

OBSERVED = "observed"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named replica variant. Overrides are matched before the observed table, so they win where they match."""

    name: str
    summary: str  # one line, for `prober replica --help`
    hypothetical: bool  # True: nobody has seen Alibaba answer this way; it exists to test diffs and exit codes
    overrides: tuple[Behaviour, ...] = ()

    @property
    def behaviours(self) -> tuple[Behaviour, ...]:
        return (*self.overrides, *BEHAVIOURS)


# --------------------------------------------------------------------------------------------------
# usage-ratelimited (HYPOTHETICAL)
# --------------------------------------------------------------------------------------------------

# Header names as CodexBar's unmerged Qwen probe read them (docs/vendor.md#no-rate-limit-headers, PR #498); values
# are invented and fixed, so two sweeps of this scenario compare equal. Pro tier's 6000 requests per 5 h
# (docs/vendor.md#quota-limits).
USAGE_RATE_LIMIT_HEADERS = (
    ("x-ratelimit-limit-requests", "6000"),
    ("x-ratelimit-remaining-requests", "5880"),
    ("x-ratelimit-reset-requests", "4h59m59s"),
)


def _usage_ratelimited(request: Request) -> Answer:
    if not is_coding_key(bearer(request)):
        return not_found(request)
    body = {"object": "usage", "hypothetical": True, "requests": {"limit": 6000, "remaining": 5880}}
    return json_answer(200, body, headers=(*USAGE_RATE_LIMIT_HEADERS, *diagnostic_headers()))


_USAGE_RATELIMITED = Behaviour(
    name="usage-ratelimited:coding-intl-usage",
    hosts=frozenset({CODING_INTL}),
    methods=frozenset({"GET"}),
    paths=("/compatible-mode/v1/usage",),
    source="HYPOTHETICAL, not an observation: #612 saw 404 here (docs/vendor.md#issue-612-table) and no "
    "x-ratelimit-* header was ever seen on DashScope (docs/vendor.md#no-rate-limit-headers). A what-if for "
    "testing diffs; body and values are invented.",
    respond=_usage_ratelimited,
)


# --------------------------------------------------------------------------------------------------
# console-moved (HYPOTHETICAL)
# --------------------------------------------------------------------------------------------------


def _dashboard_to_signin(request: Request) -> Answer:
    if ticket_session(request):
        return dashboard(request)
    location = f"https://{SIGNIN_CN}{LOGIN_PATH}?{LOGIN_RETURN_PARAM}={quote(request.url, safe='')}"
    return Answer(status=302, content_type=None, headers=(("Location", location),))


_CONSOLE_MOVED = Behaviour(
    name="console-moved:console-dashboard-intl",
    hosts=frozenset({CONSOLE_INTL}),
    methods=frozenset({"GET"}),
    paths=("/ap-southeast-1", "/us-east-1", "/eu-central-1", "/cn-hongkong"),
    prefix=True,
    source="HYPOTHETICAL, not an observation: the INTL dashboard sends signed-out sessions to "
    "passport.alibabacloud.com (docs/vendor.md#issue-612-intl-cookies); here it sends them to the CN login "
    "host instead.",
    respond=_dashboard_to_signin,
)


# --------------------------------------------------------------------------------------------------
# rpc-login-redirect (CodexBar #612's reading of a conflict between observations)
# --------------------------------------------------------------------------------------------------


def _rpc_login_redirect(request: Request) -> Answer:
    # The observed table's precedence before the NotLogined reports: on the INTL host, no ticket session went to
    # the login page before anything else; on CN, stray cookies still got NotLogined first (CodexBar #2370).
    if request.host == RPC_INTL and not ticket_session(request):
        return login_redirect(request)
    return console_rpc(request, logged_out=login_redirect)


_RPC_LOGIN_REDIRECT = Behaviour(
    name="rpc-login-redirect:console-rpc",
    hosts=frozenset({RPC_INTL, RPC_CN}),
    methods=frozenset({"POST"}),
    paths=("/data/api.json",),
    source="CodexBar #612 section 2 read as the RPC host's answer: signed-out calls get a 302 to the login "
    "host (passport.alibabacloud.com for INTL; signin.aliyun.com for CN, inferred). Newer reports see 200 "
    "NotLogined there instead, which is the observed default (docs/vendor.md#conflict-logged-out-rpc).",
    respond=_rpc_login_redirect,
)


# --------------------------------------------------------------------------------------------------
# quota-exhausted (documented error text, chosen body shape)
# --------------------------------------------------------------------------------------------------


def _quota_exhausted(request: Request) -> Answer:
    key = bearer(request) or request.headers.get("x-api-key") or None
    if not is_coding_key(key):
        return anthropic_messages(request)
    # The text is docs/vendor.md#errors-coding-plan's; the body shape is unknown (docs/vendor.md#unknown-429-shapes).
    # The Anthropic error envelope is the replica's choice, as for this path's 401; whether a Retry-After comes is
    # unknown too, so none is sent.
    error = {"type": "rate_limit_error", "message": "hour allocated quota exceeded"}
    return json_answer(429, {"type": "error", "error": error}, headers=diagnostic_headers())


_QUOTA_EXHAUSTED = Behaviour(
    name="quota-exhausted:coding-intl-anthropic-messages",
    hosts=frozenset({CODING_INTL}),
    methods=frozenset({"POST"}),
    paths=("/apps/anthropic/v1/messages",),
    source="Coding Plan FAQ: 'hour allocated quota exceeded' when the 5-hour window is used up "
    "(docs/vendor.md#errors-coding-plan). The 429 status, the body shape (unknown: "
    "docs/vendor.md#unknown-429-shapes) and the absence of Retry-After "
    "are the replica's choices.",
    respond=_quota_exhausted,
)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(OBSERVED, "the endpoints as observed or documented (the default)", hypothetical=False),
        Scenario(
            "usage-ratelimited",
            "HYPOTHETICAL: coding-intl /compatible-mode/v1/usage answers 200 with x-ratelimit-* headers",
            hypothetical=True,
            overrides=(_USAGE_RATELIMITED,),
        ),
        Scenario(
            "console-moved",
            "HYPOTHETICAL: the INTL console dashboard redirects to signin.aliyun.com instead of passport",
            hypothetical=True,
            overrides=(_CONSOLE_MOVED,),
        ),
        Scenario(
            "quota-exhausted",
            "coding-intl anthropic messages answer 429 'hour allocated quota exceeded' (body shape chosen)",
            hypothetical=False,
            overrides=(_QUOTA_EXHAUSTED,),
        ),
        Scenario(
            "rpc-login-redirect",
            "signed-out console RPC calls get a 302 to the login host, as CodexBar #612 read it (not NotLogined)",
            hypothetical=False,
            overrides=(_RPC_LOGIN_REDIRECT,),
        ),
    )
}


def get(name: str) -> Scenario:
    """The scenario called `name`; ValueError naming the known ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown replica scenario {name!r}; known scenarios: {known}") from None


UNMODELLED = "unmodelled"  # the behaviour name an answer no behaviour gives is marked with


def answer(request: Request, scenario: str = OBSERVED) -> Answer:
    """The first behaviour of the scenario that matches answers; every answer names it in x-replica-behaviour."""
    for behaviour in get(scenario).behaviours:
        if behaviour.matches(request):
            result = behaviour.respond(request)
            name = behaviour.name
            break
    else:
        result = unmodelled(f"no source describes {request.method} {request.host}{request.path}")
        name = UNMODELLED
    return Answer(
        status=result.status,
        body=result.body,
        content_type=result.content_type,
        headers=(*result.headers, ("x-replica-behaviour", name)),
    )
