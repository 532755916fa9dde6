"""The terminal (issue 13): 100 columns at most, colour by class only on a TTY and never with NO_COLOR or --no-color,
rows as probes finish, findings at the end, and `prober cookies` / `prober diff` as text unless `--format md`."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from prober import catalogue, findings, serial
from prober.cookies import diagnose
from prober.demo import intl_jar
from prober.model import Change, ChangeKind, Comparison
from prober.report import terminal
from tests.cli import prober
from tests.test_inert_output import HOSTILE
from tests.test_inert_output import _sweep as hostile_sweep
from tests.test_report import _sweep as small_sweep
from tests.test_ticket import big_sweep

ROOT = Path(__file__).resolve().parent.parent
SGR = re.compile(r"\x1b\[[0-9;]*m")
ANY_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _fits(text: str, width: int = terminal.WIDTH) -> None:
    for line in text.splitlines():
        assert terminal.width_of(line) <= width, (terminal.width_of(line), line)


@pytest.mark.parametrize("text", HOSTILE[:6] + ["界" * 300])
def test_every_table_and_findings_line_fits_100_columns(text: str) -> None:
    for sweep in (small_sweep(), big_sweep(200), hostile_sweep(text)):
        for colour in (False, True):
            out = terminal.table(sweep, colour=colour) + "\n" + terminal.findings(findings.find(sweep), colour=colour)
            _fits(SGR.sub("", out))
            # Without colour no escape at all; with it, only our SGR colours (outside text is inert).
            assert ANY_ESCAPE.search(out if colour is False else SGR.sub("", out)) is None
            assert (SGR.search(out) is not None) is colour


def test_a_row_is_the_probe_id_then_the_result() -> None:
    sweep = small_sweep()
    lines = terminal.table(sweep).splitlines()
    assert lines[0].startswith("Probe") and set(lines[1]) == {"-", " "}
    assert re.fullmatch(
        r"gateway/x-api-key +200 ConsoleNeedLogin · x-ratelimit-remaining-requests 17 ⚠ unexpected \(expected", lines[3]
    )
    assert re.fullmatch(r" {19}class ok, got console_login_required\)", lines[4])  # a second line, under the result
    assert re.fullmatch(r"rpc +302 → signin\.aliyun\.com", lines[6])


def test_a_long_result_takes_two_lines_at_most() -> None:
    from prober.model import Outcome, OutcomeClass

    outcome = Outcome("p", OutcomeClass.SKIPPED, "no sec_token: " + "dashboard redirected to login; " * 40)
    lines = terminal.row("p", outcome, 10).splitlines()
    assert len(lines) == terminal.ROW_LINES and lines[-1].endswith("…")
    _fits("\n".join(lines))


def test_colour_follows_the_class() -> None:
    sweep = small_sweep()
    col = terminal.id_width(p.id for p in sweep.probes)
    ok = terminal.row("messages", sweep.outcomes[4], col, colour=True)
    assert "\x1b[32m200 · quota" in ok
    unexpected = terminal.row("gateway/x-api-key", sweep.outcomes[1], col, colour=True)
    assert "\x1b[1;31m" in unexpected  # flagged in bold red whatever the class
    assert "\x1b[" not in terminal.row("messages", sweep.outcomes[4], col, colour=False)


def test_widths_count_columns_per_character() -> None:
    """ASCII text, control characters included, takes one column a character (counted without a look-up per
    character); wide East Asian characters take two and combining marks none."""
    ascii_text = "".join(map(chr, range(128)))
    assert terminal.width_of(ascii_text) == 128 == sum(terminal._char_width(ch) for ch in ascii_text)
    assert terminal.width_of("a界b\u0301c") == 5
    assert terminal.width_of("→ …") == 3
    assert terminal.width_of("") == 0


def test_long_words_are_shortened_and_wide_characters_counted() -> None:
    assert terminal.fit("界界界界", 5) == "界界…"
    assert terminal.width_of(terminal.fit("x" * 300, 100)) == 100
    wrapped = terminal.wrap("a " * 80 + "y" * 300, 40, "    ", "  - ")
    assert all(terminal.width_of(line) <= 40 for line in wrapped)
    assert wrapped[0].startswith("  - a a")


def test_the_cookie_diagnosis_as_text_fits_and_says_the_verdict() -> None:
    loaded = catalogue.load(ROOT / "probes.yaml")
    found = diagnose.diagnose(intl_jar(time.time()), loaded.probes, time.time())
    text = terminal.diagnosis(found)
    _fits(text)
    assert "  INTL passport session: passport cookies login_aliyunid_pk" in text
    assert "lacks: login_aliyunid_ticket absent: the CN-style gateway will redirect to login" in text
    assert "**" not in text and "|" not in text


def test_the_comparison_as_text_fits() -> None:
    long = "x-ratelimit-remaining " + "9" * 300
    change = Change(
        "coding-intl-compatible-usage", ChangeKind.STATUS, "404", "200", "404 → 200: the endpoint now exists"
    )
    other = Change(
        "coding-intl-compatible-usage", ChangeKind.RATE_LIMITS_APPEARED, None, long, "rate-limit headers appeared"
    )
    text = terminal.comparison(Comparison("2026-11-29T08:00:00Z", "2026-11-29T09:00:00Z", (change, other), (), (), 78))
    _fits(text)
    assert "  coding-intl-compatible-usage\n    - 404 → 200: the endpoint now exists\n      404 → 200" in text
    assert "2 changes in 1 probe; 0 added, 0 removed, 78 unchanged." in text


# --------------------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str], rows: int = 200) -> str:
    """Run prober with stdout and stderr on a pseudo-terminal of `rows` lines; everything it wrote."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 120, 0, 0))
    # The pseudo-terminal's size is the screen's: LINES and COLUMNS (pytest-xdist's workers set 24 and 80) would
    # override it, as they do for a user who sets them.
    unset = ("NO_COLOR", "GITHUB_STEP_SUMMARY", "LINES", "COLUMNS")
    full = {k: v for k, v in os.environ.items() if k not in unset} | env
    proc = subprocess.Popen(
        [sys.executable, "-m", "prober", *args], stdout=follower, stderr=follower, cwd=ROOT, env=full
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_rows_stream_then_the_table_in_catalogue_order_in_colour(tmp_path: Path) -> None:
    out = _on_a_terminal(["demo", "--out", str(tmp_path)], {})
    total = int(re.search(r"\[1/(\d+)\] \S+ +\S", out).group(1))  # type: ignore[union-attr]  # a row per probe
    clear = re.search(r"\x1b\[(\d+)F\x1b\[J", out)  # all on screen: cleared for the table
    assert clear and int(clear.group(1)) >= total
    table = out[clear.end() :]
    ids = re.findall(r"^(\S+) +\S", SGR.sub("", table), re.M)
    assert ids[0] == "Probe" and set(ids[1]) == {"-"}
    assert ids[2:4] == ["dashscope-intl-policies", "dashscope-intl-usage"]  # catalogue order
    assert "\x1b[32m200" in table and "\x1b[33m" in table
    assert table.rstrip().splitlines()[-1].startswith("  ")  # the findings end the output


@pytest.mark.parametrize(("flag", "env"), [(["--no-color"], {}), ([], {"NO_COLOR": "1"})])
def test_no_colour_with_no_color(tmp_path: Path, flag: list[str], env: dict[str, str]) -> None:
    out = _on_a_terminal(["demo", "--out", str(tmp_path), *flag], env, rows=24)
    assert SGR.search(out) is None
    assert re.search(r"\x1b\[\d+F", out) is None  # more rows than the screen: left as they are
    assert re.search(r"\[(\d+)/\1\] ", out)  # the last row


def test_demo_output_fits_100_columns_and_ends_with_the_findings(tmp_path: Path) -> None:
    result = prober("demo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    _fits(result.stdout)
    assert "\x1b" not in result.stdout + result.stderr  # not a terminal: no colour, no live rows
    findings_text = result.stdout.split("\nFindings\n")[1]
    assert "The console-token route works: 5h 120/6000 (rolling)" in findings_text
    assert "INTL passport session without login_aliyunid_ticket" in findings_text


def _jar(tmp_path: Path) -> Path:
    jar = tmp_path / "cookies.txt"
    jar.write_text(
        "".join(
            f".alibabacloud.com\tTRUE\t/\tTRUE\t0\t{name}\tvalue-{name}-0001\n"
            for name in ("login_current_pk", "login_aliyunid_pk", "cr_token", "x5sec")
        )
    )
    return jar


def test_cookies_prints_text_by_default_and_markdown_on_request(tmp_path: Path) -> None:
    jar = _jar(tmp_path)
    text = prober("cookies", str(jar), "--out", str(tmp_path / "d.txt"))
    assert text.returncode == 0, text.stderr
    _fits(text.stdout)
    assert text.stdout.startswith("Cookie diagnosis\n") and "**" not in text.stdout
    assert (tmp_path / "d.txt").read_text() == text.stdout
    md = prober("cookies", str(jar), "--format", "md")
    assert md.stdout.startswith("## Cookie diagnosis") and "**INTL passport session**" in md.stdout


def test_diff_prints_text_by_default_and_markdown_on_request(tmp_path: Path) -> None:
    sweep = small_sweep()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(serial.dump(sweep)))
    data = serial.dump(sweep)
    data["results"][0]["outcome"]["hops"][0]["status"] = 200
    new.write_text(json.dumps(data))
    text = prober("diff", str(old), str(new), "--fail-on", "none")
    assert text.returncode == 0, text.stderr
    _fits(text.stdout)
    assert text.stdout.startswith("Changes since 2026-11-29T08:00:00Z\n\n  policies\n    - 404 → 200")
    assert "1 change in 1 probe" in text.stdout
    md = prober("diff", str(old), str(new), "--fail-on", "none", "--format", "md")
    assert "| `policies` |" in md.stdout
