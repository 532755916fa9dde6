"""Named sets of replica behaviour overrides: today's observed answers by default, and documented what-ifs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

# The scenarios reuse the observed table's helpers so that a what-if differs only where it says it does.
from prober.replica.behaviours import (
    BEHAVIOURS,
    CODING_INTL,
    LOGIN_PATH,
    LOGIN_RETURN_PARAM,
    RPC_INTL,
    SIGNIN_CN,
    Answer,
    Behaviour,
    Request,
    _anthropic_messages,
    _bearer,
    _console_rpc,
    _diagnostic_headers,
    _is_coding_key,
    _json,
    _not_found,
    _ticket_session,
)

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

# Header names as CodexBar's unmerged Qwen probe read them (reference C5, PR #498); values are invented
# and fixed, so two sweeps of this scenario compare equal. Pro tier's 6000 requests per 5 h (limits table).
USAGE_RATE_LIMIT_HEADERS = (
    ("x-ratelimit-limit-requests", "6000"),
    ("x-ratelimit-remaining-requests", "5880"),
    ("x-ratelimit-reset-requests", "4h59m59s"),
)


def _usage_ratelimited(request: Request) -> Answer:
    if not _is_coding_key(_bearer(request)):
        return _not_found(request)
    body = {"object": "usage", "hypothetical": True, "requests": {"limit": 6000, "remaining": 5880}}
    return _json(200, body, headers=(*USAGE_RATE_LIMIT_HEADERS, *_diagnostic_headers()))


_USAGE_RATELIMITED = Behaviour(
    name="usage-ratelimited:coding-intl-usage",
    hosts=frozenset({CODING_INTL}),
    methods=frozenset({"GET"}),
    paths=("/compatible-mode/v1/usage",),
    source="HYPOTHETICAL, not an observation: #612 saw 404 here and C5 says no x-ratelimit-* header was "
    "ever seen on DashScope. A what-if for testing diffs; body and values are invented.",
    respond=_usage_ratelimited,
)


# --------------------------------------------------------------------------------------------------
# console-moved (HYPOTHETICAL)
# --------------------------------------------------------------------------------------------------


def _rpc_to_signin(request: Request) -> Answer:
    if _ticket_session(request):
        return _console_rpc(request)
    location = f"https://{SIGNIN_CN}{LOGIN_PATH}?{LOGIN_RETURN_PARAM}={quote(request.url, safe='')}"
    return Answer(status=302, content_type=None, headers=(("Location", location),))


_CONSOLE_MOVED = Behaviour(
    name="console-moved:console-rpc-intl",
    hosts=frozenset({RPC_INTL}),
    methods=frozenset({"POST"}),
    paths=("/data/api.json",),
    source="HYPOTHETICAL, not an observation: #612 section 2 saw the INTL RPC host send logged-out "
    "sessions to passport.alibabacloud.com; here it sends them to the CN login host instead.",
    respond=_rpc_to_signin,
)


# --------------------------------------------------------------------------------------------------
# quota-exhausted (documented error text, chosen body shape)
# --------------------------------------------------------------------------------------------------


def _quota_exhausted(request: Request) -> Answer:
    key = _bearer(request) or request.headers.get("x-api-key") or None
    if not _is_coding_key(key):
        return _anthropic_messages(request)
    # The text is reference C4's; the body shape is unknown (reference (f) item 6). The Anthropic error
    # envelope is the replica's choice, as for this path's 401; whether a Retry-After comes is unknown too,
    # so none is sent.
    error = {"type": "rate_limit_error", "message": "hour allocated quota exceeded"}
    return _json(429, {"type": "error", "error": error}, headers=_diagnostic_headers())


_QUOTA_EXHAUSTED = Behaviour(
    name="quota-exhausted:coding-intl-anthropic-messages",
    hosts=frozenset({CODING_INTL}),
    methods=frozenset({"POST"}),
    paths=("/apps/anthropic/v1/messages",),
    source="Reference C4 (Coding Plan FAQ): 'hour allocated quota exceeded' when the 5-hour window is used "
    "up. The 429 status, the body shape (unknown: reference (f) item 6) and the absence of Retry-After "
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
            "HYPOTHETICAL: the INTL console RPC host redirects to signin.aliyun.com instead of passport",
            hypothetical=True,
            overrides=(_CONSOLE_MOVED,),
        ),
        Scenario(
            "quota-exhausted",
            "coding-intl anthropic messages answer 429 'hour allocated quota exceeded' (body shape chosen)",
            hypothetical=False,
            overrides=(_QUOTA_EXHAUSTED,),
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
