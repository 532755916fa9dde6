"""Pure: a finished Sweep -> what it means, in plain words: a few findings, each with its evidence and a fix.

An ordered table of small rules, like the classifier's (`prober/vendor.py`): each looks at the outcomes, returns a
Finding or None, and cites where its reading comes from. Rules key on what every catalogue records (the credential a
probe presents, its surface tag, the class, the vendor code, the path), never on the shipped catalogue's probe ids,
so they hold for any catalogue. Findings are computed again whenever a report is rendered, from the sweep alone:
a report read back says the same as when it was written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from prober import quota as quotas
from prober import urls
from prober.model import TRANSPORT, Auth, Outcome, OutcomeClass, Probe, Shape, Surface, Sweep
from prober.words import Words, by_count, counted, join, listed, plain, plural, say

TICKET = "login_aliyunid_ticket"  # docs/vendor.md#session-cookies: the CN ticket cookie
PASSPORT = (  # docs/vendor.md#intl-passport-cookies: what a signed-in INTL browser holds instead
    "login_current_pk",
    "login_aliyunid_pk",
    "login_aliyunid",
    "aliyunid_third_login_state",
    "cr_token",
    "help_csrf",
    "x5sec",
    "last_u_intl-aliyun_intl-aliyun",
)
TOKEN_COMMAND = "bl auth login --console"  # docs/vendor.md#console-token: how the Bailian CLI makes a console token
TOKEN_ENV = "BAILIAN_CONSOLE_TOKEN"


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion: what the sweep shows, the probes it rests on (catalogue order), and what would fix it."""

    rule: str
    text: Words
    evidence: tuple[str, ...]
    fix: Words = ()

    @property
    def sentence(self) -> str:
        return plain(self.text)

    @property
    def remedy(self) -> str:
        return plain(self.fix)


# --------------------------------------------------------------------------------------------------
# What the rules look at
# --------------------------------------------------------------------------------------------------

Pair = tuple[Probe, Outcome]


def _path(probe: Probe) -> str:
    return urlsplit(probe.url).path or "/"


def _host(probe: Probe) -> str:
    return urls.host(probe.url) or "?"


def _code(outcome: Outcome) -> str:
    """What the vendor said, in one short value: its code, else the first status."""
    error = outcome.vendor_error
    if error is not None and error.code and error.shape != Shape.HTML_LOGIN:
        return error.code
    return str(outcome.first_status) if outcome.first_status is not None else outcome.klass.value


def _status_code(outcome: Outcome) -> str:
    """`401 InvalidApiKey`, or the status alone when the vendor gave no code."""
    code = _code(outcome)
    return code if code == str(outcome.first_status) else f"{outcome.first_status} {code}"


def _ids(pairs: Iterable[Pair]) -> tuple[str, ...]:
    return tuple(p.id for p, _ in pairs)


# Not a vendor's answer: skipped, a transport failure, or the replica's gap.
_UNANSWERED = TRANSPORT | {OutcomeClass.SKIPPED, OutcomeClass.UNMODELLED}


class Index:
    """The sweep's (probe, outcome) pairs in catalogue order, and the same pairs grouped by outcome class and by the
    credential the probe presents, each group in catalogue order. Made once per `find`: most rules read one group,
    where a pass of every rule over every outcome was most of a large sweep's findings time."""

    __slots__ = ("_by_auth", "_by_class", "all")

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.all: tuple[Pair, ...] = tuple(pairs)
        by_class: dict[OutcomeClass, list[Pair]] = {}
        by_auth: dict[Auth, list[Pair]] = {}
        for pair in self.all:
            by_class.setdefault(pair[1].klass, []).append(pair)
            by_auth.setdefault(pair[0].auth, []).append(pair)
        self._by_class = {klass: tuple(group) for klass, group in by_class.items()}
        self._by_auth = {auth: tuple(group) for auth, group in by_auth.items()}

    def of(self, klass: OutcomeClass) -> tuple[Pair, ...]:
        """The pairs whose outcome is of `klass`."""
        return self._by_class.get(klass, ())

    def presenting(self, auth: Auth) -> tuple[Pair, ...]:
        """The pairs whose probe presents `auth`."""
        return self._by_auth.get(auth, ())


def _answered(pairs: Sequence[Pair]) -> list[Pair]:
    """The outcomes with a vendor's answer: not skipped, not a transport failure, not the replica's gap."""
    return [(p, o) for p, o in pairs if o.klass not in _UNANSWERED]


def _key_shape(sweep: Sweep) -> str:
    """The key's prefix class as the environment records it (`sk-sp-`, `sk-`, ...), or "" when none was given."""
    value = dict(sweep.environment).get("API key", "")
    return value.split("…", 1)[0] if "…" in value else ""


# --------------------------------------------------------------------------------------------------
# The rules, each citing where its reading comes from
# --------------------------------------------------------------------------------------------------


def _incomplete(sweep: Sweep, seen: Index) -> Finding | None:
    # prober's own record (README "Exit codes", 130): an interrupted sweep keeps the probes that finished.
    if sweep.complete:
        return None
    return Finding(
        "incomplete",
        say("The sweep was interrupted: only {} finished", plural(len(seen.all), "probe")),
        (),
        say("run it again to completion"),
    )


def _unexpected(_sweep: Sweep, seen: Index) -> Finding | None:
    # The catalogue's `expect:` (README "The catalogue"): what its author saw or the sources say.
    off = [(p, o) for p, o in seen.all if o.expected is False]
    if not off:
        return None
    first_probe, first = off[0]
    many = "1 outcome is" if len(off) == 1 else f"{len(off):,} outcomes are"
    return Finding(
        "unexpected",
        say(f"{many} not what the catalogue expects (first {{}}: {{}})", first_probe.id, first.unexpected_reason or ""),
        _ids(off),
        say("if the endpoint changed, update its {} in the catalogue; if not, this report shows what broke", "expect:"),
    )


def _changed(sweep: Sweep, _seen: Index) -> Finding | None:
    # prober/diff.py: the changes since the --baseline report, with their plain-language labels.
    c = sweep.baseline
    if c is None or not c.changes:
        return None
    first = c.changes[0]
    return Finding(
        "changed",
        say(
            f"{plural(len(c.changes), 'change')} in {plural(len(c.changed_ids), 'probe')} since the baseline "
            "of {} (first {}: {})",
            c.old_started_at,
            first.probe_id,
            first.label,
        ),
        c.changed_ids,
    )


def _console_token(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#intl-quota, #cli-gateway: a console token on /cli/api.json is the documented INTL quota route;
    # docs/vendor.md#console-token-errors: an expired token gets NoPermission; #console-token: how to make one.
    token = seen.presenting(Auth.CONSOLE_TOKEN)
    if not token:
        return None
    missing = [(p, o) for p, o in token if o.klass is OutcomeClass.SKIPPED and o.explanation.startswith("no console")]
    if missing:
        return Finding(
            "console-token-missing",
            say(
                "No console token was given: the console-token route ({}) is the one that works for INTL accounts, "
                f"and its {plural(len(missing), 'probe')} were skipped",
                "/cli/api.json",
            ),
            _ids(missing),
            say("how to get one: {}, then set {}; see {}", TOKEN_COMMAND, TOKEN_ENV, "docs/vendor.md#console-token"),
        )
    read = [(p, o) for p, o in token if o.klass is OutcomeClass.OK and o.quota is not None and o.quota.windows]
    if read:
        probe, outcome = read[0]
        assert outcome.quota is not None
        others = len({(_host(p), _path(p)) for p, _ in read}) - 1
        more = f" (and {plural(others, 'other gateway')})" if others > 0 else ""
        return Finding(
            "console-token-works",
            say(
                "The console-token route works: {} on {}" + more,
                quotas.summary(outcome.quota),
                _host(probe) + _path(probe),
            ),
            _ids(read),
        )
    answered = _answered(token)
    if answered and not any(o.klass is OutcomeClass.OK for _, o in answered):
        return Finding(
            "console-token-refused",
            join(
                say(f"The console token was refused on all {plural(len(answered), 'console-token probe')} ("),
                counted(Counter(_code(o) for _, o in answered)),
                sep="",
            )
            + ((")", False),),
            _ids(answered),
            say(
                "tokens last one to four days: make a new one with {}; see {}",
                TOKEN_COMMAND,
                "docs/vendor.md#console-token",
            ),
        )
    return None


def _cookies(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#issue-612-intl-cookies, #intl-passport-cookies: an INTL passport session has no
    # login_aliyunid_ticket and the cookie route sends it to login; #session-cookies: the ticket is what counts.
    cookies = seen.presenting(Auth.COOKIES)
    refused = [
        (p, o)
        for p, o in cookies
        if o.klass in (OutcomeClass.REDIRECT_TO_LOGIN, OutcomeClass.CONSOLE_LOGIN_REQUIRED) and o.hops
    ]
    if not refused or any(o.klass is OutcomeClass.OK for _, o in cookies):
        return None
    sent = {name for _, o in refused for name in o.hops[0].cookies_sent}
    hosts = len({_host(p) for p, _ in refused})
    count = f"{plural(len(refused), 'probe')} on {plural(hosts, 'host')}"
    if TICKET in sent:
        return Finding(
            "cookies-refused",
            say(f"Your session was refused although {{}} was sent ({count})", TICKET),
            _ids(refused),
            say("sign in to the console again and export the cookies again"),
        )
    if not sent:
        return Finding(
            "cookies-none-sent",
            say(f"No cookie of the jar was sent to the console hosts ({count} asked for a login)"),
            _ids(refused),
            say("export the cookies from the console's domain while signed in, or pass {}", "--browser NAME"),
        )
    passport = [name for name in PASSPORT if name in sent]
    kind = "an INTL passport session" if passport else "a session"
    return Finding(
        "cookies-intl-passport" if passport else "cookies-no-ticket",
        say(f"Your cookies are {kind} without {{}}: the cookie route sends you to login ({count})", TICKET),
        _ids(refused),
        say(
            "no INTL cookie is known to replace it; read the quota with a console token instead ({}); see {}",
            TOKEN_COMMAND,
            "docs/vendor.md#intl-quota",
        ),
    )


def _key_on_console(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#issue-612-key-on-console: ConsoleNeedLogin for the key in each header style;
    # #console-token-errors: NoPermission for a sk-sp- key on /cli/api.json.
    console = [(p, o) for p, o in seen.presenting(Auth.KEY) if p.tags.surface is Surface.CONSOLE]
    refused = [(p, o) for p, o in _answered(console) if o.klass is not OutcomeClass.OK]
    if not refused or any(o.klass is OutcomeClass.OK for _, o in console):
        return None
    by_path: dict[str, list[Pair]] = {}
    for p, o in refused:
        by_path.setdefault(_path(p), []).append((p, o))
    parts: list[Words] = []
    for path, group in by_path.items():
        styles = {p.key_style for p, _ in group if p.key_style is not None}
        how = f" in all {len(styles)} header styles" if len(styles) > 1 else ""
        parts.append(listed([_code(o) for _, o in group]) + say(" on {}" + how, path))
    return Finding(
        "key-on-console",
        say("The key is not accepted by the console gateways: ") + join(*parts),
        _ids(refused),
        say("the key is an inference credential; the console reads quota with a console token ({})", TOKEN_COMMAND),
    )


def _no_quota_path(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#issue-612-table: no DashScope or Coding Plan host has a quota path for the key (404 each).
    key = [(p, o) for p, o in seen.presenting(Auth.KEY) if p.tags.surface is Surface.API]
    missing = [(p, o) for p, o in key if o.klass is OutcomeClass.NOT_FOUND]
    if not missing or any(o.quota is not None for _, o in key):
        return None
    hosts = [_host(p) for p, _ in missing]
    verb = by_count(len(missing), "answers", "answer")
    return Finding(
        "no-quota-path",
        say(f"No quota API on the key hosts: {plural(len(missing), 'path')} {verb} 404 on ") + listed(hosts),
        _ids(missing),
    )


def _key_refused(sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#errors-coding-plan: a sk-sp- key on a general DashScope base URL gets 403 invalid api-key;
    # #errors-inference: 401 InvalidApiKey.
    refused = [
        (p, o)
        for p, o in seen.of(OutcomeClass.KEY_REJECTED)
        if p.auth is Auth.KEY and p.tags.surface is not Surface.CONSOLE
    ]
    if not refused:
        return None
    fix: Words = ()
    if _key_shape(sweep) == "sk-sp-":
        fix = say(
            "a Coding Plan key ({}) is meant for the Coding Plan hosts only; see {}",
            "sk-sp-",
            "docs/vendor.md#errors-coding-plan",
        )
    return Finding(
        "key-refused",
        say(f"The key is refused on {plural(len(refused), 'request')} to the API hosts (")
        + counted(Counter(_status_code(o) for _, o in refused))
        + ((")", False),),
        _ids(refused),
        fix,
    )


def _inference(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#issue-612-inference: the key works for inference (200), with no rate-limit headers.
    works = [(p, o) for p, o in seen.of(OutcomeClass.OK) if p.auth is Auth.KEY and p.tags.surface is Surface.INFERENCE]
    if not works:
        return None
    hosts = listed([_host(p) for p, _ in works])
    return Finding(
        "key-inference",
        say(f"The key works for inference ({plural(len(works), 'answer')} 200 on ") + hosts + ((")", False),),
        _ids(works),
    )


def _agent_only(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#agent-gate: the coding hosts answer 405 "only available for Coding Agents" outside the agent APIs.
    gated = seen.of(OutcomeClass.AGENT_ONLY)
    if not gated:
        return None
    return Finding(
        "agent-only",
        say("The coding hosts serve coding agents only: ") + listed([_path(p) for p, _ in gated]) + say(" answers 405"),
        _ids(gated),
        say("call the agent APIs (such as {}) instead", "/apps/anthropic/v1/messages"),
    )


def _exhausted(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#errors-coding-plan: "<window> allocated quota exceeded"; #throttles: a throttle is not exhaustion.
    used = seen.of(OutcomeClass.QUOTA_EXHAUSTED)
    if not used:
        return None
    return Finding(
        "quota-exhausted",
        say("The quota is used up: ") + counted(Counter(o.explanation for _, o in used)),
        _ids(used),
        say("wait for the window to reset (the weekly one resets Monday 00:00 UTC+8)"),
    )


def _throttled(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#throttles: 429 throttles are short; prober waits them out with --max-wait.
    limited = seen.of(OutcomeClass.RATE_LIMITED)
    if not limited:
        return None
    return Finding(
        "throttled",
        say(f"{plural(len(limited), 'answer')} {'was' if len(limited) == 1 else 'were'} throttled (429)"),
        _ids(limited),
        say("slow down with {} or {}, or wait the throttles out with {}", "--rate", "--host-rate", "--max-wait"),
    )


def _rate_limit_headers(_sweep: Sweep, seen: Index) -> Finding | None:
    # docs/vendor.md#no-rate-limit-headers: no public source shows x-ratelimit-* on a DashScope answer.
    answered = [(p, o) for p, o in _answered(seen.all) if o.status is not None]
    if not answered:
        return None
    with_headers = [(p, o) for p, o in answered if o.rate_limits]
    if not with_headers:
        return Finding(
            "no-rate-limit-headers", say(f"No rate-limit headers on any answer ({plural(len(answered), 'answer')})"), ()
        )
    names = Counter(name.lower() for _, o in with_headers for name, _ in o.rate_limits)
    return Finding(
        "rate-limit-headers",
        say(f"Rate-limit headers came back on {plural(len(with_headers), 'answer')}: ") + counted(names),
        _ids(with_headers),
    )


_TRANSPORT_WORDS = {
    OutcomeClass.DNS_ERROR: "DNS",
    OutcomeClass.CONNECT_ERROR: "connection failed",
    OutcomeClass.TLS_ERROR: "TLS",
    OutcomeClass.TIMEOUT: "timeout",
    OutcomeClass.RESET: "connection reset",
    OutcomeClass.PROTOCOL_ERROR: "protocol error",
}
_TRANSPORT_FIX = {
    OutcomeClass.DNS_ERROR: "check the host names and your resolver, or route them with --connect-to",
    OutcomeClass.CONNECT_ERROR: "check the network and --proxy, or route the hosts with --connect-to",
    OutcomeClass.TLS_ERROR: "for a test server or the replica, trust its CA with --cacert",
    OutcomeClass.TIMEOUT: "raise --timeout, or lower --concurrency and --per-host",
    OutcomeClass.RESET: "the server or a proxy closed the connection: try again, or lower --per-host",
    OutcomeClass.PROTOCOL_ERROR: "the answer was not valid HTTP: check --proxy and --connect-to",
}


def _unreachable(_sweep: Sweep, seen: Index) -> Finding | None:
    # prober's transport classes (prober/model.py OutcomeClass.is_transport): no HTTP answer at all.
    failed = [(p, o) for p, o in seen.all if o.klass in TRANSPORT]
    if not failed:
        return None
    counts = Counter(o.klass for _, o in failed)
    words = ", ".join(
        _TRANSPORT_WORDS[k] + (f" ×{n:,}" if n > 1 and len(counts) > 1 else "") for k, n in counts.most_common()
    )
    return Finding(
        "unreachable",
        say(f"{plural(len(failed), 'probe')} could not be reached ({words})"),
        _ids(failed),
        say(_TRANSPORT_FIX[counts.most_common(1)[0][0]]),
    )


def _server_errors(_sweep: Sweep, seen: Index) -> Finding | None:
    # RFC 9110 §15.6: a 5xx is the server's own failure, not an answer about the credential.
    failed = seen.of(OutcomeClass.SERVER_ERROR)
    if not failed:
        return None
    verb = "was a server error" if len(failed) == 1 else "were server errors"
    return Finding(
        "server-errors",
        say(f"{plural(len(failed), 'answer')} {verb} (")
        + counted(Counter(_code(o) for _, o in failed))
        + ((")", False),),
        _ids(failed),
    )


def _unmodelled(_sweep: Sweep, seen: Index) -> Finding | None:
    # prober/replica/behaviours/common.py `unmodelled`, a replay's "not recorded" (issue 15): the replica's gaps,
    # which say nothing about the vendor.
    gaps = seen.of(OutcomeClass.UNMODELLED)
    if not gaps:
        return None
    verb = by_count(len(gaps), "has", "have")
    return Finding(
        "unmodelled",
        say(f"{plural(len(gaps), 'request')} {verb} no answer in the replica (not modelled or not recorded): ")
        + listed([_host(p) + _path(p) for p, _ in gaps]),
        _ids(gaps),
        say("a sweep of the real endpoints answers them; its JSON report replays with {}", "prober replica --from"),
    )


# The fix for each skip reason the runner gives (prober/probe.py skip_reason, prober/runner.py _inputs).
_SKIP_FIX = {
    "billable probe": ("pass {} to send the billable probes", "--billable"),
    "no API key": ("set {} (or pass --key-env or --key-file)", "DASHSCOPE_API_KEY"),
    "no cookie jar": ("pass {} or {}", "--cookies FILE", "--browser NAME"),
}


def _skipped(_sweep: Sweep, seen: Index) -> Finding | None:
    # prober's skip reasons (prober/probe.py skip_reason; a dependant's missing capture, prober/runner.py): the
    # console-token ones have their own finding above.
    skipped = [
        (p, o)
        for p, o in seen.of(OutcomeClass.SKIPPED)
        if not (p.auth is Auth.CONSOLE_TOKEN and o.explanation.startswith("no console"))
    ]
    if not skipped:
        return None
    heads = Counter(o.explanation.split(":", 1)[0].strip() or "no reason" for _, o in skipped)
    fixes = [say(*_SKIP_FIX[head]) for head in heads if head in _SKIP_FIX]
    verb = "was" if len(skipped) == 1 else "were"
    return Finding(
        "skipped",
        say(f"{plural(len(skipped), 'probe')} {verb} skipped: ") + counted(heads),
        _ids(skipped),
        join(*fixes),
    )


Rule = Callable[[Sweep, Index], Finding | None]

# The rules in the order findings are shown: what decides a ticket first, then what explains the rest.
RULES: tuple[Rule, ...] = (
    _incomplete,
    _unexpected,
    _changed,
    _console_token,
    _cookies,
    _key_on_console,
    _no_quota_path,
    _key_refused,
    _inference,
    _agent_only,
    _exhausted,
    _throttled,
    _rate_limit_headers,
    _unreachable,
    _server_errors,
    _unmodelled,
    _skipped,
)


def find(sweep: Sweep) -> tuple[Finding, ...]:
    """Every finding the sweep supports, in the order of RULES."""
    seen = Index(list(zip(sweep.probes, sweep.outcomes, strict=True)))
    return tuple(found for rule in RULES if (found := rule(sweep, seen)) is not None)
