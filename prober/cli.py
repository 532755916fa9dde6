"""Click commands only: parse flags -> options -> one core call -> exit code. The only module that prints."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from prober import __version__, flags
from prober.errors import CatalogueError, ExitCode, ProberError

if TYPE_CHECKING:
    from prober.credentials import Credentials
    from prober.expectations import FailOn
    from prober.model import Catalogue, Outcome, Probe, Sweep
    from prober.plan import RunOptions
    from prober.redact import Redactor


@functools.cache
def _scrubber() -> Redactor:
    """The redactor for everything printed: key shapes from the start, the run's own secrets once they are read."""
    from prober.redact import Redactor

    return Redactor()


def _put(text: str, err: bool = False, nl: bool = True) -> None:
    """click.echo, but a reader that went away (`prober run | head -1`) is no error: the rest of that stream goes
    to /dev/null, so the reports are still written and the exit code still says what the sweep found."""
    try:
        click.echo(text, err=err, nl=nl)
    except BrokenPipeError:
        stream = sys.stderr if err else sys.stdout
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Print text that may hold outside text (server answers, report and cookie files, paths): every control
    character and escape sequence but newline and tab is shown escaped, so nothing printed can set the window
    title, write the clipboard (OSC 52), clear the screen or overwrite a line with a carriage return."""
    from prober import inert

    _put(inert.block(text, sys.maxsize), err=err, nl=nl)


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


@cli.command()
@click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False))
@flags.ALLOW_KEY_HOST
@click.option("--allow-insecure", is_flag=True, help="Allow credentials over plain http (local test servers).")
@click.option("--strict", is_flag=True, help="Also require source:, tags.region and tags.surface on every probe.")
def check(catalogue: Path | None, allow_key_hosts: tuple[str, ...], allow_insecure: bool, strict: bool) -> None:
    """Validate CATALOGUE (default ./probes.yaml) without sending anything; every problem in one pass."""
    from prober.catalogue import Rules, load

    loaded = load(catalogue or flags.default_catalogue(), Rules(allow_key_hosts, allow_insecure, strict))
    _say(f"{loaded.path}: OK, {len(loaded.probes)} probes after expansion")


@cli.command(name="list")
@click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False))
@flags.SELECT
@flags.EXCLUDE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_(catalogue: Path | None, select: tuple[str, ...], exclude: tuple[str, ...], fmt: str) -> None:
    """Print what each probe of CATALOGUE would send, after expansion: the request line, headers and body, with
    $DASHSCOPE_API_KEY, $BAILIAN_CONSOLE_TOKEN, $COOKIE and ${CAPTURED} in place of every secret."""
    from prober.catalogue import listing

    probes = _selected(_load(catalogue or flags.default_catalogue()), select, exclude)
    # On a terminal long request lines fold to 100 columns; piped, every line stays whole to copy.
    width = listing.WIDTH if sys.stdout.isatty() else None
    _say((listing.text(probes, width) if fmt == "text" else listing.json_text(probes)).rstrip("\n"))


def _selected(loaded: Catalogue, select: tuple[str, ...], exclude: tuple[str, ...]) -> tuple[Probe, ...]:
    from prober.catalogue import select as chosen

    return chosen(loaded.probes, select, exclude)


@cli.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of a catalogue, for editors: `prober schema > probes.schema.json`."""
    import json

    from prober.catalogue import schema as schema_mod

    _say(json.dumps(schema_mod.schema(), indent=2))


def _colour(no_color: bool) -> bool:
    """Colour by class only on a terminal, and never with --no-color or NO_COLOR set (https://no-color.org)."""
    return sys.stdout.isatty() and not no_color and not os.environ.get("NO_COLOR")


def _width() -> int:
    """100 columns, or fewer when the terminal is narrower."""
    import shutil

    from prober.report import terminal

    if not sys.stdout.isatty():
        return terminal.WIDTH
    return max(min(shutil.get_terminal_size((terminal.WIDTH, 24)).columns, terminal.WIDTH), 40)


def _styled(text: str, colour: bool) -> None:
    """Print terminal text (prober.report.terminal: every outside string in it is inert already). With colour, the
    colour codes are ours and must pass, so only the secrets are scrubbed; without, it is printed as any text."""
    if colour:
        _put(_scrubber().message(text))
    else:
        _say(text)


class _Live:
    """On a terminal, each probe's row on stderr as it finishes (in the order they finish); once the sweep is over
    they are cleared, if they are all still on the screen, for the table in catalogue order."""

    def __init__(self, probes: Sequence[Probe], colour: bool) -> None:
        from prober.report import terminal

        self.on = sys.stderr.isatty()
        self.total, self.done, self.lines, self.colour = len(probes), 0, 0, colour and self.on
        self.width = _width()
        self.id_col = terminal.id_width(p.id for p in probes)

    def tick(self, outcome: Outcome) -> None:
        from prober.report import terminal

        self.done += 1
        count = f"[{self.done}/{self.total}] "
        row = terminal.row(outcome.probe_id, outcome, self.id_col, self.width - len(count), self.colour)
        self.lines += row.count("\n") + 1
        _put(_scrubber().message(count + row.replace("\n", "\n" + " " * len(count))), err=True)

    def clear(self) -> None:
        import shutil

        if self.on and 0 < self.lines < shutil.get_terminal_size((80, 24)).lines - 1:
            _put(f"\x1b[{self.lines}F\x1b[J", err=True, nl=False)  # up to the first row, erase to the end


def _print_table(loaded: Sweep, colour: bool = False) -> None:
    from prober.report import terminal

    _styled(terminal.table(loaded, _width(), colour), colour)


def _print_findings(loaded: Sweep, colour: bool = False) -> None:
    from prober.report import terminal
    from prober.report.found import findings_of

    _styled("\n" + terminal.findings(findings_of(loaded), _width(), colour), colour)


@cli.command()
@flags.run_options
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
    no_credentials: bool,
    name: str | None,
    **kwargs: Any,
) -> None:
    """Run every probe of CATALOGUE (default ./probes.yaml) and write the reports."""
    if name is not None and (not name or name != Path(name).name or name.startswith(".")):
        raise click.BadParameter("a file name without a directory, such as sweep", param_hint="--name")
    from prober.credentials import TokenSource
    from prober.expectations import FailOn
    from prober.plan import RunOptions

    options = RunOptions(
        catalogue=catalogue or flags.default_catalogue(),
        select=kwargs["select"],
        exclude=kwargs["exclude"],
        key_env=key_env,
        key_file=key_file,
        token=TokenSource(env=console_token_env, file=console_token_file, home=Path.home()),
        cookies=flags.cookie_source(kwargs),
        allow_key_hosts=allow_key_hosts,
        connect_to=connect_to,
        cacert=cacert,
        concurrency=kwargs["concurrency"],
        per_host=kwargs["per_host"],
        settings=flags.settings(kwargs, proxy, allow_insecure),
        baseline=baseline,
        out=kwargs["out"],
        formats=flags.formats(kwargs["formats"]),
        stem=name,
        fail_on=FailOn(fail_on),
        no_credentials=no_credentials,
    )
    _execute(options, no_color=kwargs["no_color"])


def _execute(options: RunOptions, creds: Credentials | None = None, no_color: bool = False) -> None:
    """The one path of `prober run` and `prober demo`: prepare (every check), run, print, write, exit code.

    From the sweep to the last report written, a signal is noted, not fatal: the sweep stops early (and is marked
    incomplete), the writing finishes, then the exit code says it was interrupted.
    """
    import asyncio

    from prober import plan as plan_mod
    from prober import store, sweep

    plan = plan_mod.prepare(options, os.environ, creds)
    # What this module prints is our own text and outcomes already scrubbed: it needs the credentials given
    # directly (a key or proxy password in an error line), not a browser-sized jar's values.
    _scrubber().add(trusted=plan_mod.given(plan))
    for note in plan.creds.notes:
        _say(f"Note: {note}", err=True)
    for warning in plan_mod.missing(plan):
        _say(f"Warning: {warning}", err=True)
    colour = _colour(no_color)
    live = _Live(plan.probes, colour)
    with sweep.Deferred() as signals:
        data = asyncio.run(sweep.run(plan, live.tick if live.on else None))
        live.clear()
        _print_table(data, colour)
        stem = plan.stem or sweep.stamp()
        written = store.write_reports(
            data, plan.out, stem, plan.formats, replace=plan.stem is not None, fail_on=plan.fail_on
        )
        for path in written:
            _say(f"wrote {path}")
        _github_summary(data)
        _print_findings(data, colour)
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


def _exit_for(result: Sweep, fail_on: FailOn, changes: bool = True) -> None:
    """Name every probe behind the exit code (prober/verdict.py decides it), then exit with it unless it is 0."""
    from prober import verdict
    from prober.report import terminal

    judged = verdict.judge(result, fail_on)
    closing = terminal.verdict(judged, _width(), changes=changes)
    if changes and result.baseline is not None and result.baseline.environment:  # `prober diff` printed them
        closing = "\n".join([*terminal.differences(result.baseline, _width()), closing]).strip("\n")
    if closing:
        _say(closing, err=True)
    if judged.code is not ExitCode.OK:
        sys.exit(judged.code)


@cli.command()
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["md", "json", "junit", "ticket"]), default="md", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(["changed", "unexpected", "none"]),
    default="unexpected",
    show_default=True,
    help="For junit: the run's --fail-on (with changed, a change since the baseline is a failure).",
)
def render(report: Path, fmt: str, fail_on: str) -> None:
    """Re-render a stored JSON REPORT to stdout (`--format ticket`: the short form for a GitHub comment)."""
    from prober import serial, store
    from prober.expectations import FailOn
    from prober.report import Format, renderer

    sweep = serial.load(store.read(report), str(report))
    _echo(renderer(Format(fmt), FailOn(fail_on))(sweep), nl=False)


@cli.command(name="cookies")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@flags.cookie_options
@click.option(
    "--catalogue",
    "catalogue",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The catalogue whose console probes and hosts to check (default ./probes.yaml).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the diagnosis here.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md"]),
    default="text",
    show_default=True,
    help="Terminal text, or Markdown to attach to a ticket (printed and written with --out alike).",
)
def cookies_(source: Path | None, catalogue: Path | None, out: Path | None, fmt: str, **kwargs: Any) -> None:
    """Diagnose a cookie jar: login scheme, what each console probe lacks, what each host receives.

    SOURCE is a cookie file or profile directory (or use --browser / --cookie-header-env). Values are never shown.
    """
    import time

    from prober import credentials, store
    from prober.cookies import diagnose
    from prober.report import terminal

    if source is not None:
        if kwargs["cookies"] is not None:
            raise click.UsageError("give the cookie source once: as SOURCE or as --cookies")
        kwargs["cookies"] = source
    cookie_source = flags.cookie_source(kwargs)
    if not cookie_source.given:
        raise click.UsageError("name a cookie source: SOURCE, --browser NAME or --cookie-header-env NAME")
    if out is not None:  # before anything is read: only a regular file or a new path is written
        store.check_writable(out.parent if str(out.parent) else Path())
        store.check_target(out)
    jar = credentials.load_jar(cookie_source, os.environ)
    _scrubber().add(jar.secrets())
    loaded = _load(catalogue or flags.default_catalogue())
    # Scrubbed like every other output, though the diagnosis holds cookie names and never a value.
    found = diagnose.diagnose(jar, loaded.probes, time.time())
    text = _scrubber().text(diagnose.markdown(found) if fmt == "md" else terminal.diagnosis(found, _width()) + "\n")
    _say(text.rstrip("\n"))
    if out is not None:
        store.check_target(out)  # again: the path may have changed while the jar was read
        store.write(out, text)
        _say(f"wrote {out}", err=True)


@cli.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@flags.FAIL_ON
def diff_(old: Path, new: Path, fmt: str, fail_on: str) -> None:
    """Show what changed between two JSON reports, OLD and NEW, probe by probe."""
    from dataclasses import replace

    from prober import diff, serial, store
    from prober.expectations import FailOn
    from prober.report import changes, terminal

    before = serial.load(store.read(old), str(old))
    after = serial.load(store.read(new), str(new))
    comparison = diff.compare(before, after)
    shown = {"text": lambda c: terminal.comparison(c, _width()) + "\n", "md": changes.markdown, "json": changes.json}
    _echo(shown[fmt](comparison), nl=False)
    _exit_for(replace(after, baseline=comparison), FailOn(fail_on), changes=False)


@cli.command(name="compare")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="NAME",
    help="Name the columns, in the order of the reports (repeatable); by default each is named from its "
    "environment: cookie verdict, credential fingerprint, start time.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
def compare_(reports: tuple[Path, ...], labels: tuple[str, ...], fmt: str) -> None:
    """Put two or more JSON REPORTS side by side: a column per sweep, a row per probe, rows that differ marked.

    For sweeps made on purpose from different places or accounts ("CN account vs INTL account", "runner in
    Singapore vs runner in Beijing", "last week vs today"); `prober diff` says what changed between two.
    """
    from prober import lineup, serial, store
    from prober.report import lineup as shown

    if len(reports) < 2:
        raise click.UsageError("give at least two reports to compare")
    if len(labels) > len(reports):
        raise click.UsageError(f"{len(labels)} labels for {len(reports)} reports: give at most one per report")
    table = lineup.build([serial.load(store.read(path), str(path)) for path in reports], labels)
    render = {"text": lambda t: shown.text(t, _width()) + "\n", "md": shown.markdown, "json": shown.json}
    _echo(render[fmt](table), nl=False)


@cli.command(cls=flags.ReplicaCommand)
@flags.replica_options
def replica(
    port: int, latency: float, directory: Path | None, scenario: str, reports: tuple[Path, ...], more: tuple[Path, ...]
) -> None:
    """Serve the local HTTPS replica of the Alibaba endpoints until Ctrl-C, or replay recorded reports (--from).

    Each scenario is listed below; those marked HYPOTHETICAL answer as nobody has seen Alibaba answer, for testing
    diffs and CI exit codes. A request no replayed report recorded gets 501 "not recorded" (class unmodelled).
    """
    from prober.replica import scenarios

    if scenario not in scenarios.SCENARIOS:
        raise ProberError(f"unknown scenario {scenario!r}", f"choose one of {', '.join(scenarios.SCENARIOS)}")
    if more and not reports:
        raise click.UsageError("report files follow --from: prober replica --from REPORT.json [MORE.json]...")
    if reports and scenario != scenarios.OBSERVED:
        raise click.UsageError("--scenario plays the modelled replica and --from replays reports: give one of them")
    import contextlib
    import tempfile

    from prober import serial, store
    from prober.replica import behaviours, browser, replay, server

    sweeps = [serial.load(store.read(path), str(path)) for path in (*reports, *more)]
    played = replay.replay(sweeps, behaviours.HOSTS) if sweeps else None
    what = f"replay of {len(sweeps)} report{'s' if len(sweeps) > 1 else ''}" if played else f"scenario {scenario}"

    def announce(rep: server.Replica) -> None:
        _say(f"replica listening on https://127.0.0.1:{rep.port} ({what}, latency {latency:g} s)")
        _say(f"CA file: {rep.ca_path}")
        _say(f"use: prober run --connect-to {rep.connect_to} --cacert {rep.ca_path}")
        for line in browser.instructions(rep.port, rep.ca_path, rep.ca_path.parent / "profiles"):
            _say(line)

    # --dir keeps the CA (a browser that trusts it keeps trusting the replica); a temporary one is removed at exit.
    with contextlib.ExitStack() as stack:
        where = directory or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="prober-replica-")))
        where.mkdir(parents=True, exist_ok=True)
        try:
            server.serve(where, announce, port=port, latency=latency, scenario=scenario, replay=played)
        except OSError as exc:
            raise ProberError(
                f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", "pick another --port, or --port 0 for a free one"
            ) from None


@cli.command()
@click.option(
    "--out",
    default=Path("reports") / "demo",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for demo.md, demo.json and demo.ticket.md (`--out reports` refreshes the committed example).",
)
@flags.NO_COLOR
def demo(out: Path, no_color: bool) -> None:
    """Run the shipped catalogue against the replica with a fake key, a fake console token and a synthetic INTL
    cookie jar: the same path as `prober run`, against a replica started for the purpose."""
    import tempfile
    import time

    from prober import demo as demo_mod
    from prober.replica import server

    with tempfile.TemporaryDirectory(prefix="prober-demo-") as tmp, server.running(Path(tmp)) as replica:
        _execute(demo_mod.options(flags.default_catalogue(), out, replica), demo_mod.credentials(time.time()), no_color)


@cli.command()
@click.argument("har_file", metavar="HAR", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write a new catalogue here.")
@click.option(
    "--append",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="CATALOGUE",
    help="Add the entries to this catalogue; a request it already makes is not added again, and no id repeats.",
)
@click.option("--expect-observed", is_flag=True, help="Give each entry the status and class the HAR saw as expect:.")
def learn(har_file: Path, out: Path | None, append: Path | None, expect_observed: bool) -> None:
    """Turn a HAR saved by the browser's devtools into catalogue entries (stdout, --out or --append).

    Documents, XHR and fetch to Alibaba's domains are kept; credentials become auth:, a value one answer delivers
    and a later request sends becomes a capture and a {{ name }} placeholder. No secret value is written or shown.
    """
    from datetime import UTC, datetime

    from prober.learn import files, summary

    if out is not None and append is not None:
        raise click.UsageError("give --out (a new catalogue) or --append (an existing one), not both")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    found, text = files.run(har_file, out=out, append=append, expect_observed=expect_observed, today=today)
    _scrubber().add(found.secrets)
    if append is None and out is None:
        _say(text.rstrip("\n"))
    for line in summary(found, str(append or out or "stdout")):
        _say(line, err=True)


def entry() -> NoReturn:
    """The `prober` command and `python -m prober`: main(), then the process ends without taking its heap apart.

    After a large sweep, the interpreter's exit spent 0.1-0.2 s releasing objects one by one (a 5,000-probe run,
    bench/PROFILE.md) that the operating system reclaims at once. By the time main() exits, every report is written
    and closed; the standard streams are flushed here. Only with no other thread running: one still working would
    be waited for by a normal exit. (mypy's command line ends the same way.)"""
    import contextlib
    import threading

    try:
        main()
    except SystemExit as exc:
        if not isinstance(exc.code, int) or threading.active_count() > 1:
            raise
        code = exc.code
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away, or a closed stream: nothing more can reach it.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    # Libraries' log records (aiohttp's "Can not load cookies: Illegal cookie name ..." quotes server text) would
    # reach stderr through logging's last-resort handler unscrubbed: only this module prints.
    import logging

    logging.getLogger().addHandler(logging.NullHandler())
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
