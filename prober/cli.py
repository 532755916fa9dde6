"""Click commands only: parse flags -> options -> one core call -> exit code. The only module that prints."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from prober import __version__
from prober.errors import CatalogueError, ExitCode, ProberError

if TYPE_CHECKING:
    from prober.credentials import CookieSource, Credentials
    from prober.expectations import FailOn
    from prober.model import Catalogue, Outcome, Sweep
    from prober.plan import RunOptions
    from prober.probe import Settings
    from prober.redact import Redactor

DEFAULT_CATALOGUE = "probes.yaml"


def _default_catalogue() -> Path:
    """./probes.yaml when present, else the catalogue shipped inside the package."""
    here = Path(DEFAULT_CATALOGUE)
    if here.exists():
        return here
    return Path(__file__).with_name("probes.yaml")


@functools.cache
def _scrubber() -> Redactor:
    """The redactor for everything printed: key shapes from the start, the run's own secrets once they are read."""
    from prober.redact import Redactor

    return Redactor()


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print text that may hold outside text (server answers, report and cookie files, paths): every control
    character and escape sequence but newline and tab is shown escaped, so nothing printed can set the window
    title, write the clipboard (OSC 52), clear the screen or overwrite a line with a carriage return."""
    from prober import inert

    click.echo(inert.block(text, sys.maxsize), err=err, nl=nl)


def _say(text: str, err: bool = False) -> None:
    # Even our own messages are scrubbed: an error, a warning or a hint must never carry a secret.
    _echo(_scrubber().message(text), err=err)


def _fail(exc: ProberError) -> NoReturn:
    if isinstance(exc, CatalogueError) and len(exc.problems) > 1:
        for problem in exc.problems:
            _say(f"Error: {problem}", err=True)
    else:
        _say(f"Error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), err=True)
    sys.exit(exc.exit_code)


def _load(path: Path) -> Catalogue:
    from prober import catalogue

    return catalogue.load(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="prober")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Probe Alibaba DashScope / Model Studio / Bailian endpoints and write redacted reports."""
    ctx.obj = {"debug": debug}


def _cookie_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--cookies",
            type=click.Path(path_type=Path),
            help="Cookie jar: Netscape cookies.txt, Firefox cookies.sqlite or profile, Chromium Cookies, "
            "Cookie-Editor/EditThisCookie JSON, HAR, or a Cookie: header file (detected by content). Only cookies "
            "for Alibaba's domains (aliyuncs.com, alibabacloud.com, aliyun.com, qwencloud.com) and --cookie-domain "
            "(with run, also --allow-key-host) are kept; the rest are counted and dropped.",
        ),
        click.option(
            "--browser",
            metavar="NAME[:PROFILE]",
            help="Read cookies from an installed browser's profile (Alibaba's domains only, as for --cookies).",
        ),
        click.option(
            "--cookie-header-env", metavar="NAME", help="Read a raw Cookie header from this environment variable."
        ),
        click.option(
            "--cookie-domain",
            metavar="DOMAIN",
            help="The domain a raw Cookie header belongs to, e.g. aliyun.com or alibabacloud.com; cookies for "
            "it are kept from any source besides Alibaba's (not a public suffix such as com or co.uk).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _cookie_source(kwargs: dict[str, Any], allow: tuple[str, ...] = ()) -> CookieSource:
    from prober.credentials import CookieSource

    return CookieSource(
        path=kwargs.pop("cookies"),
        browser=kwargs.pop("browser"),
        header_env=kwargs.pop("cookie_header_env"),
        domain=kwargs.pop("cookie_domain"),
        allow=allow,
    )


_FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["changed", "unexpected", "none"]),
    default="unexpected",
    show_default=True,
    help="Exit 1 on: an unexpected outcome (unexpected), that or any change since --baseline (changed), never (none).",
)

_ALLOW_KEY_HOST = click.option(
    "--allow-key-host",
    "allow_key_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow sending the API key to this host or domain outside Alibaba's (repeatable); its cookies are kept too.",
)


@cli.command()
@click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False))
@_ALLOW_KEY_HOST
def check(catalogue: Path | None, allow_key_hosts: tuple[str, ...]) -> None:
    """Validate CATALOGUE (default ./probes.yaml) without sending anything."""
    from prober import scope

    loaded = scope.check(_load(catalogue or _default_catalogue()), allow_key_hosts)
    _say(f"{loaded.path}: OK, {len(loaded.probes)} probes after expansion")


@cli.command(name="list")
@click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False))
def list_(catalogue: Path | None) -> None:
    """Print the probes of CATALOGUE after expansion, with their tags."""
    from tabulate import tabulate

    loaded = _load(catalogue or _default_catalogue())
    rows = [
        (
            p.id,
            p.method,
            p.url,
            p.auth.value + (f" ({p.key_style.value})" if p.key_style else ""),
            f"{p.tags.region} {p.tags.surface} {p.tags.cost}",
        )
        for p in loaded.probes
    ]
    _say(tabulate(rows, headers=["id", "method", "url", "auth", "tags"], tablefmt="simple"))


def _sweep_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--concurrency",
            default=16,
            show_default=True,
            type=click.IntRange(1, 1000),
            help="Requests in flight at once, over all hosts.",
        ),
        click.option(
            "--per-host",
            default=4,
            show_default=True,
            type=click.IntRange(1, 1000),
            help="Requests in flight at once to one host.",
        ),
        click.option(
            "--timeout",
            default=15.0,
            show_default=True,
            type=click.FloatRange(0.1, 600),
            help="Deadline per probe in seconds, redirects and body included.",
        ),
        click.option(
            "--max-redirects",
            default=10,
            show_default=True,
            type=click.IntRange(0, 50),
            help="Redirect hops to follow before giving up.",
        ),
        click.option("--billable", is_flag=True, help="Also send billable probes (inference; each asks for 1 token)."),
        click.option(
            "--rate", type=click.FloatRange(0.01, 10000), help="At most this many requests per second, in all."
        ),
        click.option(
            "--host-rate", type=click.FloatRange(0.01, 10000), help="At most this many requests per second per host."
        ),
        click.option(
            "--max-wait",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 3600),
            help="Seconds a probe may wait out 429 Retry-After answers (every attempt is recorded); 0 never retries.",
        ),
        click.option(
            "--select",
            "select",
            multiple=True,
            metavar="PATTERN",
            help="Only probes whose id matches this glob (repeatable).",
        ),
        click.option(
            "--out",
            default=Path("reports"),
            show_default=True,
            type=click.Path(path_type=Path, file_okay=False),
            help="Directory for the reports.",
        ),
        click.option(
            "--format",
            "formats",
            default="md,json",
            show_default=True,
            help="Report formats, comma-separated: md, json.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _formats(text: str) -> tuple[Any, ...]:
    from prober.report import Format

    chosen = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            chosen.append(Format(part))
        except ValueError:
            raise click.BadParameter(
                f"unknown format {part!r}; choose from {', '.join(f.value for f in Format)}",
                param_hint="--format",
            ) from None
    if not chosen:
        raise click.BadParameter("give at least one format", param_hint="--format")
    return tuple(dict.fromkeys(chosen))


def _progress(total: int) -> Callable[[Outcome], None] | None:
    if not sys.stderr.isatty():
        return None
    from prober import inert

    done = 0

    def tick(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        # The carriage return is ours; the probe id is made inert like everything else printed.
        click.echo(f"\r[{done}/{total}] {inert.line(outcome.probe_id, 60):<60}", err=True, nl=done == total)

    return tick


def _print_table(loaded: Sweep) -> None:
    from tabulate import tabulate

    from prober.report.markdown import result_text

    rows = [(p.id, result_text(o)) for p, o in zip(loaded.probes, loaded.outcomes, strict=True)]
    _say(tabulate(rows, headers=["Probe", "Result"], tablefmt="simple"))


def _settings(kwargs: dict[str, Any], proxy: str | None, allow_insecure: bool) -> Settings:
    from prober.probe import Settings

    return Settings(
        timeout=kwargs["timeout"],
        max_redirects=kwargs["max_redirects"],
        user_agent=f"prober/{__version__}",
        proxy=proxy,
        allow_insecure=allow_insecure,
        billable=kwargs["billable"],
        rate=kwargs["rate"],
        host_rate=kwargs["host_rate"],
        max_wait=kwargs["max_wait"],
    )


@cli.command()
@click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--key-env", metavar="NAME", help="Read the API key from this environment variable.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), help="Read the API key from a file.")
@click.option(
    "--console-token-env",
    metavar="NAME",
    help="Read the console access token from this variable (default BAILIAN_CONSOLE_TOKEN, then "
    "DASHSCOPE_ACCESS_TOKEN, then the token `bl auth login --console` saved).",
)
@click.option(
    "--console-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the console access token from a file.",
)
@_cookie_options
@click.option(
    "--connect-to",
    multiple=True,
    metavar="HOST:PORT:CONNECT_HOST:CONNECT_PORT",
    help="Connect to another address for HOST:PORT, as curl does (repeatable).",
)
@click.option(
    "--cacert",
    type=click.Path(path_type=Path, dir_okay=False, exists=False),
    help="Trust only this CA bundle (PEM), e.g. the replica's.",
)
@click.option("--proxy", metavar="URL", help="HTTP proxy; HTTPS_PROXY and friends are honoured without it.")
@click.option("--allow-insecure", is_flag=True, help="Allow credentials over plain http.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A previous JSON report; the new report then lists what changed since it.",
)
@_FAIL_ON
@_ALLOW_KEY_HOST
@_sweep_options
def run(
    catalogue: Path | None,
    key_env: str | None,
    key_file: Path | None,
    console_token_env: str | None,
    console_token_file: Path | None,
    connect_to: tuple[str, ...],
    cacert: Path | None,
    proxy: str | None,
    allow_insecure: bool,
    allow_key_hosts: tuple[str, ...],
    baseline: Path | None,
    fail_on: str,
    **kwargs: Any,
) -> None:
    """Run every probe of CATALOGUE (default ./probes.yaml) and write the reports."""
    from prober.credentials import TokenSource
    from prober.expectations import FailOn
    from prober.plan import RunOptions

    options = RunOptions(
        catalogue=catalogue or _default_catalogue(),
        select=kwargs["select"],
        key_env=key_env,
        key_file=key_file,
        token=TokenSource(env=console_token_env, file=console_token_file, home=Path.home()),
        cookies=_cookie_source(kwargs),
        allow_key_hosts=allow_key_hosts,
        connect_to=connect_to,
        cacert=cacert,
        concurrency=kwargs["concurrency"],
        per_host=kwargs["per_host"],
        settings=_settings(kwargs, proxy, allow_insecure),
        baseline=baseline,
        out=kwargs["out"],
        formats=_formats(kwargs["formats"]),
        fail_on=FailOn(fail_on),
    )
    _execute(options)


def _execute(options: RunOptions, creds: Credentials | None = None) -> None:
    """The one path of `prober run` and `prober demo`: prepare (every check), run, print, write, exit code.

    From the sweep to the last report written, a signal is noted, not fatal: the sweep stops early (and is marked
    incomplete), the writing finishes, then the exit code says it was interrupted.
    """
    import asyncio

    from prober import plan as plan_mod
    from prober import store, sweep

    plan = plan_mod.prepare(options, os.environ, creds)
    _scrubber().add(plan.creds.jar.secrets() if plan.creds.jar else (), trusted=plan_mod.given(plan))
    for note in plan.creds.notes:
        _say(f"Note: {note}", err=True)
    with sweep.Deferred() as signals:
        data = asyncio.run(sweep.run(plan, _progress(len(plan.probes))))
        _print_table(data)
        stem = plan.stem or sweep.stamp()
        for path in store.write_reports(data, plan.out, stem, plan.formats, replace=plan.stem is not None):
            _say(f"wrote {path}")
        _github_summary(data)
    if not data.complete or signals.received:
        _say("Interrupted: the reports hold the probes that finished, marked incomplete", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    _exit_for(data, plan.fail_on)


def _github_summary(data: Sweep) -> None:
    """In a GitHub Actions job, append the Markdown summary to the job's summary page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from prober.report import markdown

    text = markdown.summary(data)
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        _say(f"Warning: cannot append to GITHUB_STEP_SUMMARY {target}: {exc.strerror}", err=True)


def _exit_for(result: Sweep, fail_on: FailOn) -> None:
    from prober.expectations import failed

    if failed(result, fail_on):
        unexpected = sum(1 for o in result.outcomes if o.expected is False)
        changes = len(result.baseline.changes) if result.baseline is not None else 0
        _say(f"Failed (--fail-on {fail_on}): {unexpected} unexpected outcomes, {changes} changes", err=True)
        sys.exit(ExitCode.FAILED)


@cli.command()
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["md", "json", "junit"]), default="md", show_default=True)
def render(report: Path, fmt: str) -> None:
    """Re-render a stored JSON REPORT to stdout."""
    from prober import serial, store
    from prober.report import Format, renderer

    sweep = serial.load(store.read(report), str(report))
    _echo(renderer(Format(fmt))(sweep), nl=False)


@cli.command(name="cookies")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@_cookie_options
@click.option(
    "--catalogue",
    "catalogue",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The catalogue whose console probes and hosts to check (default ./probes.yaml).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the diagnosis here.")
def cookies_(source: Path | None, catalogue: Path | None, out: Path | None, **kwargs: Any) -> None:
    """Diagnose a cookie jar: login scheme, what each console probe lacks, what each host receives.

    SOURCE is a cookie file or profile directory (or use --browser / --cookie-header-env). Values are never shown.
    """
    import time

    from prober import credentials, store
    from prober.cookies import diagnose

    if source is not None:
        if kwargs["cookies"] is not None:
            raise click.UsageError("give the cookie source once: as SOURCE or as --cookies")
        kwargs["cookies"] = source
    cookie_source = _cookie_source(kwargs)
    if not cookie_source.given:
        raise click.UsageError("name a cookie source: SOURCE, --browser NAME or --cookie-header-env NAME")
    if out is not None:  # before anything is read: only a regular file or a new path is written
        store.check_writable(out.parent if str(out.parent) else Path())
        store.check_target(out)
    jar = credentials.load_jar(cookie_source, os.environ)
    _scrubber().add(jar.secrets())
    loaded = _load(catalogue or _default_catalogue())
    # Scrubbed like every other output, though the diagnosis holds cookie names and never a value.
    text = _scrubber().text(diagnose.markdown(diagnose.diagnose(jar, loaded.probes, time.time())))
    _say(text.rstrip("\n"))
    if out is not None:
        store.check_target(out)  # again: the path may have changed while the jar was read
        store.write(out, text)
        _say(f"wrote {out}", err=True)


@cli.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@_FAIL_ON
def diff_(old: Path, new: Path, fmt: str, fail_on: str) -> None:
    """Show what changed between two JSON reports, OLD and NEW, probe by probe."""
    from dataclasses import replace

    from prober import diff, serial, store
    from prober.expectations import FailOn
    from prober.report import changes

    before = serial.load(store.read(old), str(old))
    after = serial.load(store.read(new), str(new))
    comparison = diff.compare(before, after)
    _echo(changes.markdown(comparison) if fmt == "md" else changes.json(comparison), nl=False)
    _exit_for(replace(after, baseline=comparison), FailOn(fail_on))


class _ReplicaCommand(click.Command):
    """`prober replica`: its help lists the scenarios from their registry, read only when the help is shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from prober.replica import scenarios

        with formatter.section("Scenarios"):
            formatter.write_dl([(s.name, s.summary) for s in scenarios.SCENARIOS.values()])
        super().format_epilog(ctx, formatter)


@cli.command(cls=_ReplicaCommand)
@click.option(
    "--port",
    default=8443,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--latency", default=0.0, type=click.FloatRange(0, 60), help="Seconds to wait before every answer.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the replica's CA (default: a new temporary directory).",
)
@click.option(
    "--scenario",
    default="observed",
    show_default=True,
    metavar="NAME",
    help="Which behaviours to play: observed (the default, from the sources) or another scenario listed below.",
)
def replica(port: int, latency: float, directory: Path | None, scenario: str) -> None:
    """Serve the local HTTPS replica of the Alibaba endpoints until Ctrl-C.

    Each scenario is listed below; those marked HYPOTHETICAL answer as nobody has seen Alibaba answer, for testing
    diffs and CI exit codes.
    """
    from prober.replica import scenarios

    if scenario not in scenarios.SCENARIOS:
        raise ProberError(f"unknown scenario {scenario!r}", f"choose one of {', '.join(scenarios.SCENARIOS)}")
    import asyncio
    import tempfile

    from prober.replica import server

    where = directory or Path(tempfile.mkdtemp(prefix="prober-replica-"))
    where.mkdir(parents=True, exist_ok=True)

    async def serve() -> None:
        try:
            rep = await server.start(port=port, latency=latency, directory=where, scenario=scenario)
        except OSError as exc:
            raise ProberError(
                f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
                "pick another --port, or --port 0 for a free one",
            ) from None
        _say(f"replica listening on https://127.0.0.1:{rep.port} (scenario {scenario}, latency {latency:g} s)")
        _say(f"CA file: {rep.ca_path}")
        _say(f"use: prober run --connect-to {rep.connect_to} --cacert {rep.ca_path}")
        try:
            await asyncio.Event().wait()
        finally:
            await rep.close()

    asyncio.run(serve())


@cli.command()
@click.option(
    "--out",
    default=Path("reports"),
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for demo.md and demo.json.",
)
def demo(out: Path) -> None:
    """Run the shipped catalogue against the replica with a fake key, a fake console token and a synthetic INTL
    cookie jar: the same path as `prober run`, against a replica started for the purpose."""
    import tempfile
    import time

    from prober import demo as demo_mod
    from prober.replica import server

    with tempfile.TemporaryDirectory(prefix="prober-demo-") as tmp, server.running(Path(tmp)) as replica:
        _execute(demo_mod.options(_default_catalogue(), out, replica), demo_mod.credentials(time.time()))


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv) or ["--help"]
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="prober", standalone_mode=False)
    except ProberError as exc:
        if debug:
            raise
        _fail(exc)
    except click.UsageError as exc:
        hint = f"see `{exc.ctx.command_path} --help`" if exc.ctx else "see `prober --help`"
        _say(f"Error: {exc.format_message()} (hint: {hint})", err=True)
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        _say(f"Error: {exc.format_message()}", err=True)
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Abort:
        _say("Interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        _say("Interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as exc:  # a bug in prober, not bad input: say so in one line, keep the traceback for --debug
        if debug:
            raise
        _say(f"Error: internal error {type(exc).__name__}: {exc} (hint: rerun with --debug and report it)", err=True)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(ExitCode.OK)
