"""The commands' flags: shared click options and decorators, and the pure conversions of flag values into the
option values the core takes (cookie source, probe settings, report formats). Defines flags; never prints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from prober import __version__

if TYPE_CHECKING:
    from prober.credentials import CookieSource
    from prober.probe import Settings

DEFAULT_CATALOGUE = "probes.yaml"


def default_catalogue() -> Path:
    """./probes.yaml when present, else the catalogue shipped inside the package."""
    here = Path(DEFAULT_CATALOGUE)
    if here.exists():
        return here
    return Path(__file__).with_name("probes.yaml")


def cookie_options(f: Callable[..., Any]) -> Callable[..., Any]:
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


def cookie_source(kwargs: dict[str, Any], allow: tuple[str, ...] = ()) -> CookieSource:
    from prober.credentials import CookieSource

    return CookieSource(
        path=kwargs.pop("cookies"),
        browser=kwargs.pop("browser"),
        header_env=kwargs.pop("cookie_header_env"),
        domain=kwargs.pop("cookie_domain"),
        allow=allow,
    )


FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["changed", "unexpected", "none"]),
    default="unexpected",
    show_default=True,
    help="Exit 1 on: an unexpected outcome (unexpected), that or any change since --baseline (changed), never (none).",
)

NO_COLOR = click.option(
    "--no-color", "no_color", is_flag=True, help="No colour, even on a terminal (as with NO_COLOR set)."
)

ALLOW_KEY_HOST = click.option(
    "--allow-key-host",
    "allow_key_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow sending the API key to this host or domain outside Alibaba's (repeatable); its cookies are kept too.",
)

SELECT = click.option(
    "--select",
    "select",
    multiple=True,
    metavar="PATTERN",
    help="Only probes matching this id glob or KEY=VALUE tag filter; ',' joins conditions (repeatable).",
)
EXCLUDE = click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="PATTERN",
    help="Leave out probes matching this pattern, written as for --select (repeatable).",
)


def sweep_options(f: Callable[..., Any]) -> Callable[..., Any]:
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
        SELECT,
        EXCLUDE,
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
            help="Report formats, comma-separated: md, json, junit, ticket (<stamp>.ticket.md, for a GitHub comment).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def formats(text: str) -> tuple[Any, ...]:
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


def settings(kwargs: dict[str, Any], proxy: str | None, allow_insecure: bool) -> Settings:
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


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The arguments and flags of `prober run`, in the order its help lists them."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("catalogue", required=False, type=click.Path(path_type=Path, dir_okay=False)),
        click.option("--key-env", metavar="NAME", help="Read the API key from this environment variable."),
        click.option(
            "--key-file", type=click.Path(path_type=Path, dir_okay=False), help="Read the API key from a file."
        ),
        click.option(
            "--console-token-env",
            metavar="NAME",
            help="Read the console access token from this variable (default BAILIAN_CONSOLE_TOKEN, then "
            "DASHSCOPE_ACCESS_TOKEN, then the token `bl auth login --console` saved).",
        ),
        click.option(
            "--console-token-file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Read the console access token from a file.",
        ),
        cookie_options,
        click.option(
            "--connect-to",
            multiple=True,
            metavar="HOST:PORT:CONNECT_HOST:CONNECT_PORT",
            help="Connect to another address for HOST:PORT, as curl does (repeatable).",
        ),
        click.option(
            "--cacert",
            type=click.Path(path_type=Path, dir_okay=False, exists=False),
            help="Trust only this CA bundle (PEM), e.g. the replica's.",
        ),
        click.option("--proxy", metavar="URL", help="HTTP proxy; HTTPS_PROXY and friends are honoured without it."),
        click.option("--allow-insecure", is_flag=True, help="Allow credentials over plain http."),
        click.option(
            "--baseline",
            type=click.Path(path_type=Path, dir_okay=False),
            help="A previous JSON report; the new report then lists what changed since it.",
        ),
        FAIL_ON,
        ALLOW_KEY_HOST,
        NO_COLOR,
        click.option(
            "--no-credentials",
            is_flag=True,
            help="Run on purpose with no credential: none is read, only the probes that need none are sent "
            "(without it, a run given no key, console token or cookies is refused).",
        ),
        click.option(
            "--name",
            metavar="STEM",
            help="Name the reports STEM.md, STEM.json, ... instead of a UTC stamp, replacing files of that name "
            "(for CI).",
        ),
        sweep_options,
    ]
    for option in reversed(options):
        f = option(f)
    return f


class ReplicaCommand(click.Command):
    """`prober replica`: its help lists the scenarios from their registry, read only when the help is shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from prober.replica import scenarios

        with formatter.section("Scenarios"):
            formatter.write_dl([(s.name, s.summary) for s in scenarios.SCENARIOS.values()])
        super().format_epilog(ctx, formatter)


def replica_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The flags and arguments of `prober replica`, in the order its help lists them."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option(
            "--port",
            default=8443,
            show_default=True,
            type=click.IntRange(0, 65535),
            help="Port on 127.0.0.1 (0 picks a free one).",
        ),
        click.option(
            "--latency", default=0.0, type=click.FloatRange(0, 60), help="Seconds to wait before every answer."
        ),
        click.option(
            "--dir",
            "directory",
            type=click.Path(path_type=Path, file_okay=False),
            help="Where to write the replica's CA (default: a new temporary directory).",
        ),
        click.option(
            "--scenario",
            default="observed",
            show_default=True,
            metavar="NAME",
            help="Which behaviours to play: observed (the default, from the sources) or another scenario listed below.",
        ),
        click.option(
            "--from",
            "reports",
            multiple=True,
            type=click.Path(path_type=Path, dir_okay=False),
            metavar="REPORT.json",
            help="Replay the answers this JSON report recorded instead of the modelled behaviours (more reports "
            "may follow; the first that recorded a request answers it).",
        ),
        click.argument("more", nargs=-1, type=click.Path(path_type=Path, dir_okay=False), metavar="[MORE.json]..."),
    ]
    for option in reversed(options):
        f = option(f)
    return f
