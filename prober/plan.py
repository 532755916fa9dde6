"""From what the user asked for to what will be run: `RunOptions` -> `prepare` (every pre-flight check) -> `Plan`.

Nothing is sent before `prepare` returns: a bad catalogue, credential, CA bundle, proxy, baseline or output
directory is a `ProberError` here, with its one-line message and hint. `prober run` and `prober demo` both go
through it; `sweep.run(plan)` then runs the plan into a Sweep.
"""

from __future__ import annotations

import platform
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from prober import __version__, catalogue, credentials, routing, serial, store
from prober.credentials import CookieSource, Credentials, TokenSource
from prober.errors import CredentialError
from prober.expectations import FailOn
from prober.model import Auth, Catalogue, Probe, Sweep
from prober.probe import Settings
from prober.proxies import Proxies
from prober.redact import Redactor, Secret, shape
from prober.report import Format
from prober.runner import Options, tls_context


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything a run is asked to do, as typed values: the flags of `prober run` (the demo fills in its own)."""

    catalogue: Path
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    key_env: str | None = None
    key_file: Path | None = None
    token: TokenSource = field(default_factory=TokenSource)
    cookies: CookieSource = field(default_factory=CookieSource)
    allow_key_hosts: tuple[str, ...] = ()
    connect_to: tuple[str, ...] = ()
    cacert: Path | None = None
    concurrency: int = 16
    per_host: int = 4
    settings: Settings = field(default_factory=Settings)
    baseline: Path | None = None
    out: Path = Path("reports")
    formats: tuple[Format, ...] = (Format.MD, Format.JSON)
    stem: str | None = None  # a fixed report name (the demo's, --name); None: a fresh, never-colliding stamp
    fail_on: FailOn = FailOn.UNEXPECTED
    # On purpose, no credential at all: none is read, and only the probes that need none are sent. Without it, a run
    # given no key, no console token and no cookies is refused (issue 14: missing CI secrets must not pass).
    no_credentials: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked run: the probes to send, the credentials and settings to send them with, and where reports go."""

    catalogue: Catalogue
    probes: tuple[Probe, ...]
    creds: Credentials
    options: Options
    baseline: Sweep | None = None
    out: Path = Path("reports")
    formats: tuple[Format, ...] = (Format.MD, Format.JSON)
    stem: str | None = None
    fail_on: FailOn = FailOn.UNEXPECTED
    select: tuple[str, ...] = ()  # the selection asked for, for the report's environment
    exclude: tuple[str, ...] = ()


def prepare(options: RunOptions, env: Mapping[str, str], creds: Credentials | None = None) -> Plan:
    """Every pre-flight check, in the order a user fixes things: catalogue, baseline, credentials, TLS, proxy,
    output directory. `creds` replaces the credential sources (the demo's fake ones)."""
    # One pass finds every problem, located: shape, needs, and where the key, the token and http may go.
    rules = catalogue.Rules(options.allow_key_hosts, allow_insecure=options.settings.allow_insecure)
    loaded = catalogue.load(options.catalogue, rules)
    probes = catalogue.select(loaded.probes, options.select, options.exclude)
    baseline = serial.load(store.read(options.baseline), str(options.baseline)) if options.baseline else None
    if creds is None:
        creds = _credentials(options, env)
    engine = Options(
        concurrency=options.concurrency,
        per_host=options.per_host,
        settings=options.settings,
        connect_to=tuple(routing.parse(spec) for spec in options.connect_to),
        cacert=options.cacert,
    )
    tls_context(engine.cacert)  # a bad --cacert is an error before anything is sent
    proxies(engine)  # so is a proxy URL that would be misread
    store.check_writable(options.out)
    return Plan(
        catalogue=loaded,
        probes=probes,
        creds=creds,
        options=engine,
        baseline=baseline,
        out=options.out,
        formats=options.formats,
        stem=options.stem,
        fail_on=options.fail_on,
        select=options.select,
        exclude=options.exclude,
    )


NO_CREDENTIAL = (
    "no credential given: set DASHSCOPE_API_KEY (the API key) or BAILIAN_CONSOLE_TOKEN (a console token), or pass "
    "--cookies (a console session)"
)


def _credentials(options: RunOptions, env: Mapping[str, str]) -> Credentials:
    """The credentials the options name; none at all is an error unless --no-credentials asks for exactly that."""
    if options.no_credentials:
        flags = (
            ("--key-env", options.key_env),
            ("--key-file", options.key_file),
            ("--console-token-env", options.token.env),
            ("--console-token-file", options.token.file),
            ("--cookies", options.cookies.path),
            ("--browser", options.cookies.browser),
            ("--cookie-header-env", options.cookies.header_env),
        )
        given = [flag for flag, value in flags if value is not None]
        if given:
            raise CredentialError(
                f"--no-credentials and {given[0]} both given", f"drop --no-credentials to use {given[0]}"
            )
        return Credentials()
    cookies = CookieSource(
        path=options.cookies.path,
        browser=options.cookies.browser,
        header_env=options.cookies.header_env,
        domain=options.cookies.domain,
        allow=(*options.cookies.allow, *options.allow_key_hosts),
    )
    creds = credentials.resolve(env, options.key_env, options.key_file, cookies, options.token)
    if creds.key is None and creds.console_token is None and creds.jar is None:
        # A CI job whose secrets are missing would otherwise skip every probe and pass.
        raise CredentialError(NO_CREDENTIAL, "or pass --no-credentials to send only the probes that need none")
    return creds


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def missing(plan: Plan) -> tuple[str, ...]:
    """A warning for each kind of credential the run lacks while probes it would send need it ("no cookies: 14
    console probes skipped"); a probe that needs a skipped one is skipped too, and not counted here."""
    billable = plan.options.settings.billable
    needs = Counter(p.auth for p in plan.probes if billable or not p.billable)
    creds, found = plan.creds, []
    if creds.key is None and needs[Auth.KEY]:
        found.append(
            f"no API key: {_plural(needs[Auth.KEY], 'key probe')} skipped "
            "(set DASHSCOPE_API_KEY, or pass --key-env or --key-file)"
        )
    if creds.console_token is None and needs[Auth.CONSOLE_TOKEN]:
        found.append(
            f"no console token: {_plural(needs[Auth.CONSOLE_TOKEN], 'console-token probe')} skipped (set "
            "BAILIAN_CONSOLE_TOKEN, pass --console-token-env or --console-token-file, or run `bl auth login --console`)"
        )
    if creds.jar is None and needs[Auth.COOKIES]:
        found.append(
            f"no cookies: {_plural(needs[Auth.COOKIES], 'console probe')} skipped "
            "(pass --cookies FILE or --browser NAME)"
        )
    return tuple(found)


def _selection(plan: Plan) -> str:
    """`all`, or the --select and --exclude patterns as given."""
    parts = [f"--select {', '.join(plan.select)}"] if plan.select else []
    parts += [f"--exclude {', '.join(plan.exclude)}"] if plan.exclude else []
    return "; ".join(parts) or "all"


def proxies(options: Options) -> Proxies:
    return Proxies(options.settings.proxy, options.settings.env_proxies)


def _aiohttp_version() -> str:
    import aiohttp  # loaded already by the sweep; its own attribute, not importlib.metadata (20-40 ms to import)

    return aiohttp.__version__


def environment(plan: Plan) -> tuple[tuple[str, str], ...]:
    """What a ticket needs to know about where the sweep ran, and nothing that names the person or the machine:
    no paths, user or host names, proxy hosts or NO_PROXY entries, no kernel release."""
    creds, options = plan.creds, plan.options
    key = f"{shape(creds.key.reveal()).describe()} from {creds.key_source}" if creds.key is not None else "none"
    cookies = "none"
    verdicts: list[tuple[str, str]] = []
    if creds.jar is not None:
        from prober.cookies import diagnose

        count = len(creds.jar.cookies)
        cookies = f"{creds.jar.kind}, {count} {'cookie' if count == 1 else 'cookies'}"
        if creds.jar.left_out:
            cookies += f" ({creds.jar.left_out:,} for other sites left out)"
        found = diagnose.diagnose(creds.jar, plan.probes, time.time())
        verdicts = [("Cookie verdict", f"{v.scheme.label}: {v.reason}") for v in found.verdicts]
        verdicts += [("Cookie warning", w) for w in found.warnings]
    return (
        ("Tool", f"prober {__version__}"),
        ("Catalogue", f"{Path(plan.catalogue.path).name} (sha256 {plan.catalogue.sha256[:16]})"),
        ("Probes", str(len(plan.probes))),
        ("Selection", _selection(plan)),
        ("API key", key),
        (
            "Console token",
            f"{shape(creds.console_token.reveal()).describe()} from {creds.console_token_source}"
            if creds.console_token is not None
            else "none",
        ),
        ("Cookies", cookies),
        *verdicts,
        ("Python", platform.python_version()),
        ("aiohttp", _aiohttp_version()),
        ("OS", f"{platform.system()} {platform.machine()}"),
        ("Connect-to", ", ".join(str(r) for r in options.connect_to) or "none"),
        ("CA", "--cacert file" if options.cacert else "system trust store"),
        ("Proxy", proxies(options).describe()),
        (
            "Limits",
            f"concurrency {options.concurrency}, per-host {options.per_host}, "
            f"timeout {options.settings.timeout:g} s, max redirects {options.settings.max_redirects}",
        ),
        ("Billable probes", "sent" if options.settings.billable else "skipped"),
        *((f"Note {n}", note) for n, note in enumerate(creds.notes, start=1)),
    )


def given(plan: Plan) -> list[Secret | str]:
    """The credentials the user gave directly, secret whatever their shape: the key, the console token and any proxy
    password."""
    creds = plan.creds
    given = [s for s in (creds.key, creds.console_token) if s is not None]
    return [*given, *proxies(plan.options).secrets()]


def redactor_for(plan: Plan) -> Redactor:
    """Every secret the sweep can send: the credentials given directly, and the values (that look like credentials)
    of the cookies the jar holds for the hosts of its cookie probes. Cookies go to nothing else (never across
    origins, request.py), so no server can echo another's value; a browser-sized jar then costs what the probed
    hosts' cookies cost (issue 9, finding 8)."""
    jar = plan.creds.jar
    sendable: list[Secret] = []
    if jar is not None:
        hosts = {urlsplit(p.url).hostname or "" for p in plan.probes if p.auth is Auth.COOKIES}
        sendable = [c.value for host in sorted(hosts) for c in jar.for_host(host)]
    return Redactor(sendable, trusted=given(plan))
