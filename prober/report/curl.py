"""A copy-pasteable curl command per probe, with `$DASHSCOPE_API_KEY` / `$BAILIAN_CONSOLE_TOKEN` in place of secrets.

`reproducer` is the form reports of layout 2 show (issue 13): it reaches the hosts the way the run did
(`--connect-to`, `--cacert`), reads the cookies from a `cookies.txt` jar with `-b` and says which cookie names
the probe sent, and says where each captured `${NAME}` comes from. `command` is the bare command of layout 1.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass

from prober import capture, inert
from prober.model import Auth, Outcome, Pairs, Probe

# The members a command is built on, looked up once: an attribute of an enum class is a slow lookup in Python 3.11
# (its metaclass has a `__getattr__`), and every command of a report asks for them.
_KEY, _COOKIES, _CONSOLE_TOKEN = Auth.KEY, Auth.COOKIES, Auth.CONSOLE_TOKEN

COOKIE_JAR = "cookies.txt"  # what a reproducer calls the user's jar: never the path it was read from
CA_BUNDLE = "ca.pem"  # likewise for the --cacert bundle


def _arg(text: str) -> str:
    """Shell-quote one argument; a captured {{ name }} becomes the shell variable $NAME, never its value."""
    # No `{` and no `%7` (either case): neither pattern can match, which the searches would only confirm.
    if ("{" not in text and "%7" not in text) or not (capture.PLACEHOLDER.search(text) or capture.ENCODED.search(text)):
        return shlex.quote(text)
    escaped = re.sub(r'(["\\$`])', r"\\\1", text)
    for pattern in (capture.PLACEHOLDER, capture.ENCODED):
        escaped = pattern.sub(lambda m: "${" + m.group(1).upper() + "}", escaped)
    return '"' + escaped + '"'


@dataclass(frozen=True, slots=True)
class Reach:
    """How the run reached the hosts: its --connect-to rules (curl's own syntax) and whether it trusted a --cacert
    bundle. Read from the sweep's environment, which records both without naming a file."""

    connect_to: tuple[str, ...] = ()
    cacert: bool = False


def reach(environment: Pairs) -> Reach:
    rows = dict(environment)
    rules = rows.get("Connect-to", "none")
    return Reach(
        connect_to=() if rules == "none" else tuple(r.strip() for r in rules.split(",") if r.strip()),
        cacert=rows.get("CA", "").startswith("--cacert"),
    )


def command(probe: Probe) -> str:
    """The bare command, as reports of layout 1 show it (`-H "Cookie: $COOKIE"`, no --connect-to)."""
    return _command(probe, Reach(), jar=False)


def reproducer(probe: Probe, outcome: Outcome, how: Reach) -> str:
    """Comment lines saying what to put in place (the jar, the CA bundle, captured values), then the command."""
    notes = []
    if probe.auth is _COOKIES:
        sent = ""
        if outcome.hops:
            names = ", ".join(inert.line(n, inert.NAME_CAP) for n in outcome.hops[0].cookies_sent)
            sent = f"; this probe sent {names}" if names else "; no cookie of the jar matched this URL"
        notes.append(
            f"# {COOKIE_JAR}: your cookie jar in Netscape format (as curl -c or a browser export writes it){sent}"
        )
    if how.cacert:
        notes.append(f"# {CA_BUNDLE}: the CA bundle the run trusted (--cacert)")
    captured = _placeholders(probe)
    if captured:
        needs = " or ".join(inert.line(n, inert.NAME_CAP) for n in probe.needs) or "the probes it needs"
        shown = ", ".join("${" + inert.line(n, inert.NAME_CAP).upper() + "}" for n in captured)
        notes.append(f"# {shown}: captured by {needs} in the same run (see their sections)")
    return "\n".join([*notes, _command(probe, how, jar=True)])


def _placeholders(probe: Probe) -> list[str]:
    """`capture.placeholders(probe)`. A placeholder needs a `{` in the URL, a header value or the body (where an
    encoded one is looked for too): a probe with neither a body nor a `{` has none, which the searches would only
    confirm (tests/test_report_cost.py checks it is the same)."""
    if probe.body is None and "{" not in probe.url and not (probe.headers and any("{" in v for _, v in probe.headers)):
        return []  # (most probes send no header of their own: no generator to build for them)
    return capture.placeholders(probe)


# A report's thousands of commands share the run's one Reach. Cached by its fields (a tuple and a flag, hashed in C)
# rather than by the Reach itself, whose dataclass hash is Python code run for every command.
@functools.lru_cache(maxsize=8)
def _start(connect_to: tuple[str, ...], cacert: bool) -> str:
    """The start of every command of a run: curl, its flags, and how the run reached the hosts (`Reach`)."""
    parts = ["curl", "-sS", "-i"]
    for rule in connect_to:
        parts += ["--connect-to", shlex.quote(rule)]
    if cacert:
        parts += ["--cacert", CA_BUNDLE]
    return " ".join(parts)


def _command(probe: Probe, how: Reach, jar: bool) -> str:
    parts = [_start(how.connect_to, how.cacert)]
    if probe.method == "HEAD":
        parts.append("--head")
    elif probe.method != "GET" or probe.body is not None:
        parts += ["-X", probe.method]
    parts.append(_arg(probe.url))
    for name, value in probe.headers:
        parts += ["-H", _arg(f"{name}: {value}")]
    auth = probe.auth
    if auth is _KEY and probe.key_style is not None:
        # Double quotes so the shell expands the variable; the value itself never appears here.
        parts += ["-H", f'"{probe.key_style.header}: {probe.key_style.header_value("$DASHSCOPE_API_KEY")}"']
    elif auth is _CONSOLE_TOKEN:
        parts += ["-H", '"Authorization: Bearer $BAILIAN_CONSOLE_TOKEN"']
    elif auth is _COOKIES and jar:
        parts += ["-b", COOKIE_JAR]  # curl sends the jar's cookies for this URL, as a browser would
    elif auth is _COOKIES:
        parts += ["-H", '"Cookie: $COOKIE"']
    if probe.body is not None:
        parts += ["-H", shlex.quote(f"Content-Type: {probe.body.kind.content_type}")]
        parts += ["--data-raw", _arg(probe.body.text)]
    return " ".join(parts)
