"""The domain model: frozen records that flow one way, catalogue -> probes -> outcomes -> sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Auth(StrEnum):
    """What credential a probe presents."""

    KEY = "key"
    COOKIES = "cookies"
    CONSOLE_TOKEN = "console-token"  # a console access token as a Bearer header (docs/vendor.md#console-token)
    NONE = "none"


class KeyStyle(StrEnum):
    """The header that carries the API key."""

    BEARER = "bearer"
    X_API_KEY = "x-api-key"
    X_DASHSCOPE_API_KEY = "x-dashscope-api-key"

    @property
    def header(self) -> str:
        return {
            KeyStyle.BEARER: "Authorization",
            KeyStyle.X_API_KEY: "x-api-key",
            KeyStyle.X_DASHSCOPE_API_KEY: "X-DashScope-API-Key",
        }[self]

    def header_value(self, key: str) -> str:
        return f"Bearer {key}" if self is KeyStyle.BEARER else key


class BodyKind(StrEnum):
    JSON = "json"
    FORM = "form"

    @property
    def content_type(self) -> str:
        if self is BodyKind.JSON:
            return "application/json"
        return "application/x-www-form-urlencoded"


class OutcomeClass(StrEnum):
    """What an outcome means for a human. The order is the rank used for sorting summaries."""

    OK = "ok"
    NOT_FOUND = "not_found"
    KEY_REJECTED = "key_rejected"
    CONSOLE_LOGIN_REQUIRED = "console_login_required"
    REDIRECT_TO_LOGIN = "redirect_to_login"
    AGENT_ONLY = "agent_only"
    QUOTA_EXHAUSTED = "quota_exhausted"
    RATE_LIMITED = "rate_limited"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    # The replica's honest gap: it models no answer for this request, or a replay recorded none (an `x-replica:
    # unmodelled` 501). No vendor said anything, so it is neither a server error nor evidence (issue 15).
    UNMODELLED = "unmodelled"
    REDIRECT_LOOP = "redirect_loop"
    DNS_ERROR = "dns_error"
    CONNECT_ERROR = "connect_error"
    TLS_ERROR = "tls_error"
    TIMEOUT = "timeout"
    RESET = "reset"
    PROTOCOL_ERROR = "protocol_error"
    SKIPPED = "skipped"

    @property
    def is_transport(self) -> bool:
        """True when no HTTP answer was received at all."""
        return self in TRANSPORT


# The classes of an outcome without any HTTP answer (`OutcomeClass.is_transport`), for a pass over many outcomes.
TRANSPORT = frozenset(
    {
        OutcomeClass.DNS_ERROR,
        OutcomeClass.CONNECT_ERROR,
        OutcomeClass.TLS_ERROR,
        OutcomeClass.TIMEOUT,
        OutcomeClass.RESET,
        OutcomeClass.PROTOCOL_ERROR,
    }
)


Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Body:
    """A request body exactly as it is sent."""

    kind: BodyKind
    text: str


class Region(StrEnum):
    """`tags.region`: which of the vendor's sites the endpoint belongs to."""

    INTL = "intl"
    CN = "cn"
    GLOBAL = "global"


class Surface(StrEnum):
    """`tags.surface`: what kind of endpoint it is."""

    API = "api"
    CONSOLE = "console"
    INFERENCE = "inference"
    LOGIN = "login"


class Cost(StrEnum):
    """`tags.cost`: billable probes are sent only with --billable."""

    FREE = "free"
    BILLABLE = "billable"


@dataclass(frozen=True, slots=True)
class Tags:
    """A probe's tags: the three checked ones (None: untagged) and the user's own."""

    region: Region | None = None
    surface: Surface | None = None
    cost: Cost = Cost.FREE
    extra: Pairs = ()  # the user's own tags (`team: payments`), in catalogue order; `--select team=payments`

    def __post_init__(self) -> None:
        # A JSON report gives the checked values as text (prober/serial.py), and "" for untagged: they are made
        # members here, so that a report reads back equal to the sweep that wrote it. Other text is a ValueError.
        for name, kind in (("region", Region), ("surface", Surface), ("cost", Cost)):
            value: object = getattr(self, name)
            if isinstance(value, str) and type(value) is not kind:
                object.__setattr__(self, name, kind(value) if value or kind is Cost else None)

    def get(self, key: str) -> str | None:
        """The value of tag `key` (region, surface, cost or one of the user's), or None when the probe has none."""
        if key == "region":
            return self.region
        if key == "surface":
            return self.surface
        if key == "cost":
            return self.cost
        return dict(self.extra).get(key)

    def items(self) -> Pairs:
        """Every tag that has a value, the three known ones first."""
        known = (("region", self.region), ("surface", self.surface), ("cost", self.cost))
        return tuple((key, value) for key, value in known if value is not None) + self.extra


class Matcher(StrEnum):
    """How an expected header is compared with the answer's."""

    ABSENT = "absent"
    PRESENT = "present"
    REGEX = "regex"  # written "/pattern/": searched in each value
    EQUALS = "equals"  # any other text: one value must equal it exactly


@dataclass(frozen=True, slots=True)
class HeaderExpect:
    name: str  # as written; compared case-insensitively
    matcher: Matcher
    value: str = ""  # the pattern (without slashes) or the exact text


@dataclass(frozen=True, slots=True)
class BodyExpect:
    """Matched against the body as the report keeps it (scrubbed, capped excerpt), never the raw answer."""

    contains: str | None = None
    regex: str | None = None
    json: Pairs = ()  # (dotted path, the expected value as compact JSON)


@dataclass(frozen=True, slots=True)
class Expect:
    """What the catalogue author expects; an outcome outside it is flagged unexpected."""

    statuses: tuple[int, ...] = ()
    klass: OutcomeClass | None = None
    headers: tuple[HeaderExpect, ...] = ()
    body: BodyExpect | None = None
    vendor_code: str | None = None


class CaptureSource(StrEnum):
    """Where a captured value is read from."""

    BODY = "body"  # a regex over the response body; the first group is the value
    JSON = "json"  # a key searched at any depth of a JSON body (JSON strings inside JSON expanded)
    HEADER = "header"  # a response header, by name
    SET_COOKIE = "set-cookie"  # a cookie the response sets, by name
    COOKIE = "cookie"  # a cookie from the user's jar that this probe's request carried, by name


@dataclass(frozen=True, slots=True)
class Capture:
    """One way to capture `name` from a probe's answer; a probe lists them in the order to try."""

    name: str
    source: CaptureSource
    arg: str


@dataclass(frozen=True, slots=True)
class Probe:
    """One HTTP exchange to make, after catalogue expansion."""

    id: str
    description: str
    method: str
    url: str
    headers: Pairs = ()
    body: Body | None = None
    auth: Auth = Auth.NONE
    key_style: KeyStyle | None = None
    tags: Tags = field(default_factory=lambda: Tags(region=Region.GLOBAL, surface=Surface.API))
    expect: Expect | None = None
    source: str = ""
    captures: tuple[Capture, ...] = ()
    needs: tuple[str, ...] = ()  # ids of probes to run first; their captures fill {{ name }} here

    @property
    def billable(self) -> bool:
        return self.tags.cost is Cost.BILLABLE


@dataclass(frozen=True, slots=True)
class Catalogue:
    path: str
    sha256: str
    probes: tuple[Probe, ...]


@dataclass(frozen=True, slots=True)
class Hop:
    """One request/response pair of a redirect chain (or one attempt, when a 429 was retried)."""

    method: str
    url: str
    status: int
    reason: str
    location: str | None = None
    cookies_sent: tuple[str, ...] = ()
    key_sent: bool = False
    cookies_set: tuple[str, ...] = ()
    # Names of the request parts that carried captured credentials on this hop (headers, "body"), and of everything
    # credential-bearing held back because the hop left the first origin or https ("Cookie", a key header, ...).
    sent: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    # Set when this answer was a 429 that the prober waited out and retried (`--max-wait`): the wait in seconds.
    # The attempt stays in the chain so a retry never hides a failure.
    retried_after_s: float | None = None
    # The answer's headers as received, kept like all server text (scrubbed, inert, capped), without the hop-by-hop
    # ones and without cookie values (prober/recording.py): what `prober replica --from` serves again. Reports of
    # schema_version 1 have none.
    headers: Pairs = ()


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds. dns/connect are None when a pooled connection was reused."""

    total_ms: float
    dns_ms: float | None = None
    connect_ms: float | None = None
    first_byte_ms: float | None = None


class Shape(StrEnum):
    """The vendor error body shapes prober/shapes.py recognises (docs/vendor.md#shapes)."""

    # Each shape is described under docs/vendor.md#shapes.
    FLAT = "flat"  # native DashScope: {code, message, request_id}
    OPENAI = "openai"  # OpenAI-compatible envelope: {error: {code, message, type}}
    ANTHROPIC = "anthropic"  # /apps/anthropic may answer {type: "error", error: {type, message}}
    CONSOLE = "console"  # {code: "ConsoleNeedLogin", ..., successResponse: false}
    GATEWAY = "gateway"  # data.errorCode (BailianGateway.Login.NotLogined ...), data.success false
    DATAV2 = "datav2"  # data.DataV2.ret[0] not starting with "SUCCESS::"
    NESTED = "nested"  # any other {success: false, code or message} object inside an envelope
    PLAIN = "plain"  # 405 {"error": "Coding Plan is currently only available for Coding Agents"}
    HTML_LOGIN = "html_login"  # an HTML login page instead of data
    TEXT = "text"  # anything else non-JSON on an error status


@dataclass(frozen=True, slots=True)
class VendorError:
    """An error as the vendor stated it, in one of the known body shapes."""

    shape: Shape
    code: str | None = None
    message: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class QuotaWindow:
    name: str  # "5h" | "week" | "month"
    used: int | None
    total: int | None
    resets_at: str | None  # ISO 8601 UTC
    # The share used, in percent, where the vendor gives only that (Token Plan: docs/vendor.md#token-plan-usage).
    percent: float | None = None
    # True for a window that slides instead of resetting: its vendor refresh time is the server's clock, so
    # resets_at is None rather than "now" (docs/vendor.md#five-hour-trailing).
    rolling: bool = False


@dataclass(frozen=True, slots=True)
class Quota:
    plan: str | None
    status: str | None
    windows: tuple[QuotaWindow, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything recorded about one probe. Every probe ends with exactly one."""

    probe_id: str
    klass: OutcomeClass
    explanation: str
    status: int | None = None
    reason: str = ""
    hops: tuple[Hop, ...] = ()
    final_url: str | None = None
    timings: Timings | None = None
    remote_addr: str | None = None
    rate_limits: Pairs = ()
    diagnostics: Pairs = ()
    content_type: str | None = None
    body_excerpt: str = ""
    body_bytes: int = 0
    body_truncated: bool = False
    vendor_error: VendorError | None = None
    quota: Quota | None = None
    error: str | None = None
    expected: bool | None = None
    unexpected_reason: str | None = None
    captured: tuple[str, ...] = ()  # names of the values this probe captured (values are secrets, never kept)
    # The final answer's headers that the probe's `expect.headers` names, kept like all server text (scrubbed,
    # inert, capped): what the header expectations are checked against (prober/expectations.py).
    checked_headers: Pairs = ()

    @property
    def first_status(self) -> int | None:
        """The status the user sees first: the first hop's (a 302 to a login page is the answer, not the 200)."""
        return self.hops[0].status if self.hops else self.status


class ChangeKind(StrEnum):
    """What changed about one probe. The order is the rank used to sort changes within a probe."""

    ADDED = "added"
    REMOVED = "removed"
    STATUS = "status"
    CLASS = "class"
    VENDOR_CODE = "vendor_code"
    REDIRECT_HOST = "redirect_host"
    RATE_LIMITS_APPEARED = "rate_limits_appeared"
    RATE_LIMITS_DISAPPEARED = "rate_limits_disappeared"
    RATE_LIMITS_CHANGED = "rate_limits_changed"
    QUOTA_AVAILABLE = "quota_available"
    QUOTA_UNAVAILABLE = "quota_unavailable"

    @property
    def rank(self) -> int:
        return list(ChangeKind).index(self)


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that differs for one probe id; before/after are display values (None: absent)."""

    probe_id: str
    kind: ChangeKind
    before: str | None
    after: str | None
    label: str


@dataclass(frozen=True, slots=True)
class Difference:
    """One fact of the environment that differs between two sweeps (the key's fingerprint, the catalogue's hash, the
    cookie verdict ...): a reason a change may come from who ran the sweep and how, not from the vendor."""

    name: str  # the environment row, as the report names it ("API key")
    before: str
    after: str
    label: str  # what the difference may explain, in plain words


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every change between two sweeps, in the new sweep's catalogue order (removed probes last)."""

    old_started_at: str
    new_started_at: str
    changes: tuple[Change, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged_count: int
    # Environment facts that differ (listed before the changes), and the probes skipped or unmodelled on either side:
    # nothing was sent or nothing answered, so they are "not compared" (probe id, why), never changes. Reports
    # written before issue 14 hold neither.
    environment: tuple[Difference, ...] = ()
    not_compared: Pairs = ()

    @property
    def changed_ids(self) -> tuple[str, ...]:
        """The probe ids with at least one change (added and removed included), in order, once each."""
        return tuple(dict.fromkeys(c.probe_id for c in self.changes))


@dataclass(frozen=True, slots=True)
class Sweep:
    """A finished (or interrupted) run: the environment, the probes and their outcomes, in catalogue order."""

    environment: Pairs
    probes: tuple[Probe, ...]
    outcomes: tuple[Outcome, ...]
    started_at: str
    finished_at: str
    complete: bool = True
    baseline: Comparison | None = None  # what changed since the --baseline report, when one was given
    # The Markdown layout the report was written with, so `prober render` reproduces an older report's `.md` byte for
    # byte: 1 before findings and the reproducers with --connect-to and `-b cookies.txt` (issue 13), 2 since.
    layout: int = 2
    # The report format the sweep was read from (prober/serial.py), written back unchanged so an older report
    # renders byte for byte: 1 before hops kept their headers (issue 15), 2 since.
    schema_version: int = 2
