"""Pure: the classifier's ordered rule table, each rule citing its source: an answer (status, hops, vendor error,
quota) -> an outcome class and a one-line explanation; and what the vendor's login redirects mean."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from prober import quota as quotas
from prober.model import Auth, Hop, Outcome, OutcomeClass, Probe, Quota, Shape, VendorError
from prober.urls import host

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

_LINE_LIMIT = 160
_SAID_LIMIT = 90


Verdict = tuple[OutcomeClass, str]


def classify(status: int, hops: tuple[Hop, ...], error: VendorError | None, quota: Quota | None) -> Verdict:
    """The outcome class and a one-line explanation: the first rule of _RULES that matches wins."""
    answer = _Answer(status, hops, error, quota)
    for rule in _RULES:
        verdict = rule(answer)
        if verdict is not None:
            return verdict[0], _line(verdict[1])
    found = _ok(answer)
    return found[0], _line(found[1])


class _Answer:
    """What the rules look at, worked out once per answer (every rule reads the code and the words)."""

    __slots__ = ("code", "error", "hops", "quota", "shape", "status", "words")

    def __init__(self, status: int, hops: tuple[Hop, ...], error: VendorError | None, quota: Quota | None) -> None:
        self.status = status
        self.hops = hops
        self.error = error
        self.quota = quota
        self.code: str | None = error.code if error is not None else None
        self.shape: Shape | None = error.shape if error is not None else None
        # The vendor's code and message, lower-cased: match by substring, never by equality (docs/vendor.md#shapes).
        self.words = f"{error.code or ''} {error.message or ''}".lower() if error is not None else ""


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


def _redirected(answer: _Answer) -> Hop | None:
    return next((h for h in answer.hops if 300 <= h.status < 400 and h.location), None)


# --- Rule 0. The replica's honest gap (prober/replica/behaviours/common.py `unmodelled`; a replay's "not recorded"):
# a 501 whose hop says `x-replica: unmodelled` is no vendor answer, so neither a server error nor evidence (issue 15).
def _unmodelled(answer: _Answer) -> Verdict | None:
    if answer.status != 501:
        return None
    last = answer.hops[-1].headers if answer.hops else ()
    if not any(k.lower() == "x-replica" and v.strip() == "unmodelled" for k, v in last):
        return None
    return OutcomeClass.UNMODELLED, "501: replica: not modelled" + (f": {said}" if (said := _said(answer)) else "")


# --- Rule 1. docs/vendor.md#login-hosts: a redirect to a passport host means the console wants a browser login.
def _redirect_to_login(answer: _Answer) -> Verdict | None:
    for hop in answer.hops:
        target = host(hop.location)
        if target is not None and target.lower() in LOGIN_HOSTS:
            return (
                OutcomeClass.REDIRECT_TO_LOGIN,
                f"{hop.status} → {target}: the console wants a browser login session",
            )
    first = _redirected(answer) if answer.shape == Shape.HTML_LOGIN else None
    if first is not None:
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


def explain_login(probe: Probe, outcome: Outcome) -> Outcome:
    """A console probe sent to login: say whether the CN ticket cookie was among the cookies sent (#612,
    docs/vendor.md#conflict-intl-cookies)."""
    if outcome.klass is not OutcomeClass.REDIRECT_TO_LOGIN or probe.auth is not Auth.COOKIES or not outcome.hops:
        return outcome
    sent = outcome.hops[0].cookies_sent
    if _TICKET in sent:
        why = f"{_TICKET} was sent, so the session itself was refused (expired or revoked)"
    elif sent:
        why = f"{_TICKET} absent from the {len(sent)} cookies sent: an INTL passport session has none (CodexBar #612)"
    else:
        why = "no cookie matched this host: the jar holds no session for it"
    return replace(outcome, explanation=f"{outcome.explanation}; {why}")


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
    if answer.status < 400 or not answer.words:  # no vendor code or message: no marker to find
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


def _names_key_error(code: str, words: str) -> bool:
    """The vendor's code or message names a refused or missing key (`code` lower-cased)."""
    return code in _INVALID_KEY_CODES or any(c in code for c in _DENIED_CODES) or any(m in words for m in _KEY_MESSAGES)


# --- Rule 7. docs/vendor.md#errors-inference, #errors-coding-plan and #x-api-key-note.
def _key_rejected(answer: _Answer) -> Verdict | None:
    words = answer.words
    code = (answer.code or "").lower()
    # No vendor code or message (most answers): no key error can be named, and the searches are skipped.
    if answer.status not in (401, 403) and not (words and _names_key_error(code, words)):
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
    _unmodelled,
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
