"""Bounded input: files named on the command line are regular files of bounded size, YAML aliases are limited,
keys are printable words, report names never collide and a malformed report is bad input, never a crash."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import socket
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prober import catalogue, credentials, inputs, serial, store
from prober.catalogue import reader
from prober.cli import main
from prober.cookies import snapshot
from prober.errors import CatalogueError, CredentialError, ReportError
from prober.report import Format
from tests.cli import prober

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden" / "report.json"
BOMB = DATA / "catalogues" / "bad_alias_bomb.yaml"
KEY = "sk-sp-0123456789abcdefABCDEF0123456789"
ZERO = Path("/dev/zero")  # an endless character device


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a run that exited 2 without a traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def sock() -> Iterator[Path]:
    # A short directory: a Unix socket path must fit in about 100 bytes.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "s"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        try:
            yield path
        finally:
            server.close()


def sparse(path: Path, size: int) -> Path:
    """A file that says it holds `size` bytes and takes no disk space."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


# --- prober/inputs.py ---------------------------------------------------------------------------------------


def _refusal(path: Path, limit: int = 1024) -> str:
    with pytest.raises(CredentialError) as caught:
        inputs.read_bytes(path, limit, "key file", CredentialError, "pass a key file")
    assert caught.value.hint == "pass a key file"
    return caught.value.message


def test_a_regular_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "exact"
    path.write_bytes(b"x" * 1024)
    assert inputs.read_bytes(path, 1024, "key file", CredentialError, "hint") == b"x" * 1024


@pytest.mark.timeout(10)
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(fifo: Path) -> None:
    assert _refusal(fifo) == f"cannot read key file {fifo}: a named pipe (FIFO), not a regular file"


def test_an_endless_device_is_refused() -> None:
    assert _refusal(ZERO) == f"cannot read key file {ZERO}: a character device, not a regular file"


def test_a_directory_and_a_socket_are_refused(tmp_path: Path, sock: Path) -> None:
    assert _refusal(tmp_path) == f"cannot read key file {tmp_path}: a directory, not a regular file"
    assert _refusal(sock) == f"cannot read key file {sock}: a socket, not a regular file"


def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = sparse(tmp_path / "big", 1025)
    assert _refusal(path) == f"cannot read key file {path}: larger than 1 KiB, the most prober reads as a key file"


def test_a_file_whose_size_says_nothing_is_still_bounded() -> None:
    # /proc files say they are empty (st_size 0) and hold more: at most limit + 1 bytes are read.
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        pytest.skip("needs Linux /proc")
    assert _refusal(maps, limit=16).endswith("larger than 16 bytes, the most prober reads as a key file")


def test_a_missing_file_names_the_reason(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "nope") == f"cannot read key file {tmp_path / 'nope'}: No such file or directory"


@pytest.mark.timeout(10)
def test_copy_refuses_what_read_refuses(tmp_path: Path, fifo: Path) -> None:
    for source in (fifo, ZERO, sparse(tmp_path / "big", 1025)):
        with pytest.raises(CredentialError):
            inputs.copy(source, tmp_path / f"copy-{source.name}", 1024, "cookie database", CredentialError, "h")
        assert not (tmp_path / f"copy-{source.name}").exists()


def test_the_limits_are_named_and_sized_for_their_files() -> None:
    assert (inputs.CATALOGUE_LIMIT, inputs.KEY_LIMIT) == (4 * 1024 * 1024, 64 * 1024)
    assert (inputs.COOKIE_LIMIT, inputs.REPORT_LIMIT) == (64 * 1024 * 1024, 256 * 1024 * 1024)
    assert [inputs.size(n) for n in (inputs.KEY_LIMIT, inputs.CATALOGUE_LIMIT, 300)] == ["64 KiB", "4 MiB", "300 bytes"]


# --- every file the CLI reads ---------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "{zero}"], "cannot read catalogue {zero}: a character device, not a regular file"),
        (["check", "{fifo}"], "cannot read catalogue {fifo}: a named pipe (FIFO), not a regular file"),
        (["list", "{big}"], "cannot read catalogue {big}: larger than 4 MiB, the most prober reads as a catalogue"),
        (["run", "--key-file", "{fifo}"], "cannot read key file {fifo}: a named pipe (FIFO), not a regular file"),
        (["run", "--key-file", "{zero}"], "cannot read key file {zero}: a character device, not a regular file"),
        (["run", "--key-file", "{big}"], "cannot read key file {big}: larger than 64 KiB"),
        (["run", "--cookies", "{fifo}"], "cannot read cookie file {fifo}: a named pipe (FIFO), not a regular file"),
        (["run", "--baseline", "{zero}"], "cannot read report {zero}: a character device, not a regular file"),
        (["render", "{zero}"], "cannot read report {zero}: a character device, not a regular file"),
        (["render", "{fifo}"], "cannot read report {fifo}: a named pipe (FIFO), not a regular file"),
        (["diff", "{golden}", "{fifo}"], "cannot read report {fifo}: a named pipe (FIFO), not a regular file"),
        (["cookies", "{fifo}"], "cannot read cookie file {fifo}: a named pipe (FIFO), not a regular file"),
        (["cookies", "{zero}"], "cannot read cookie file {zero}: a character device, not a regular file"),
        (["cookies", "{big}"], "cannot read cookie file {big}: larger than 64 MiB"),
    ],
)
def test_special_and_huge_files_are_one_line_and_exit_2(
    args: list[str], needle: str, tmp_path: Path, fifo: Path
) -> None:
    big = sparse(tmp_path / "big", inputs.COOKIE_LIMIT + 1)  # over every limit but the report's
    names = {"zero": str(ZERO), "fifo": str(fifo), "big": str(big), "golden": str(GOLDEN)}
    argv = [arg.format(**names) for arg in args]
    if argv[0] == "run":
        argv += ["--out", str(tmp_path / "reports"), "--connect-to", "::127.0.0.1:9"]
    assert needle.format(**names) in one_line_exit_2(prober(*argv))


def test_a_report_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.json", inputs.REPORT_LIMIT + 1)
    with pytest.raises(ReportError) as caught:
        store.read(big)
    assert caught.value.message == f"cannot read report {big}: larger than 256 MiB, the most prober reads as a report"


def test_a_deeply_nested_report_is_bad_input(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert "JSON nested too deeply" in one_line_exit_2(prober("render", str(deep)))


def _database(path: Path) -> Path:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE moz_cookies (id INTEGER)")
        connection.commit()
    return path


@pytest.mark.timeout(10)
def test_a_cookie_database_is_copied_only_when_regular_and_bounded(tmp_path: Path, fifo: Path) -> None:
    database = _database(tmp_path / "cookies.sqlite")
    with snapshot.open_copy(database, "cookies.sqlite") as connection:
        assert snapshot.tables(connection) == frozenset({"moz_cookies"})
    for bad, reason in ((fifo, "a named pipe (FIFO), not a regular file"), (ZERO, "a character device")):
        with pytest.raises(CredentialError) as caught, snapshot.open_copy(bad, str(bad)):
            pass
        assert reason in caught.value.message
    # The write-ahead log is copied with the database, under the same bound.
    sparse(tmp_path / "cookies.sqlite-wal", inputs.COOKIE_LIMIT + 1)
    with pytest.raises(CredentialError) as caught, snapshot.open_copy(database, "cookies.sqlite"):
        pass
    assert caught.value.message.endswith("larger than 64 MiB, the most prober reads as a cookie database")


def test_a_firefox_session_store_may_not_claim_gigabytes() -> None:
    from prober.cookies import firefox

    header = firefox.MOZLZ4 + (4 * inputs.COOKIE_LIMIT + 1).to_bytes(4, "little")
    with pytest.raises(CredentialError, match="more than 256 MiB"):
        firefox.read_session(header + b"\x00", "recovery.jsonlz4")


# --- YAML aliases -----------------------------------------------------------------------------------------------

_BOMB_MESSAGE = (
    f"{BOMB}:10:9: alias *f makes the aliases repeat more than 1,000,000 values in all "
    "(aliases of aliases multiply: a 'billion laughs')"
)


@pytest.mark.timeout(20)
def test_a_billion_laughs_is_refused_by_check_in_one_located_line() -> None:
    assert one_line_exit_2(prober("check", str(BOMB))) == (
        f"Error: {_BOMB_MESSAGE} (hint: write the repeated values out, or alias fewer, smaller nodes)"
    )


@pytest.mark.timeout(20)
def test_the_pure_python_composer_refuses_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml composes when installed; PyYAML's own loader is the fallback, and the limit holds for both.
    monkeypatch.setattr(reader, "_FAST", yaml.SafeLoader)
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(BOMB)
    assert caught.value.message == _BOMB_MESSAGE


def _merge_bomb(levels: int) -> str:
    lines = ["version: 1", "bases:", "  - &l0 {k0: lol, k1: lol, k2: lol, k3: lol, k4: lol, k5: lol}"]
    for level in range(1, levels + 1):
        merged = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"  - &l{level} {{<<: [{merged}], k: v}}")
    return "\n".join(lines) + "\nprobes: []\n"


@pytest.mark.timeout(20)
def test_merge_keys_of_merge_keys_are_refused_before_they_are_flattened() -> None:
    # Flattening `<<: [*a, *a, ...]` copies every merged pair: nine levels would be 9^9 copies.
    with pytest.raises(CatalogueError, match=r"^probes\.yaml:\d+:\d+: alias \*l\d makes the aliases repeat"):
        catalogue.parse(_merge_bomb(9))


def test_aliases_within_the_limit_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = "  - {{id: p{0}, description: d, url: 'https://x.aliyuncs.com/{0}', tags: *t, source: s}}"
    text = "version: 1\nt: &t {region: intl, surface: api}\nprobes:\n" + "\n".join(probe.format(n) for n in range(5))
    monkeypatch.setattr(reader, "ALIAS_LIMIT", 20)  # each *t repeats 5 values: a mapping and four scalars
    with pytest.raises(CatalogueError, match=r"probes\.yaml:8:\d+: alias \*t makes the aliases repeat more than 20"):
        catalogue.parse(text)
    monkeypatch.setattr(reader, "ALIAS_LIMIT", 25)
    with pytest.raises(CatalogueError, match="unknown key 't'"):  # read to the end: only the key is wrong
        catalogue.parse(text)


def test_an_alias_inside_its_own_anchor_counts_once() -> None:
    with pytest.raises(CatalogueError):
        catalogue.parse("version: 1\nprobes: &p [*p]\n")


# --- keys -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("\ufeff" + KEY, "contains a byte-order mark (U+FEFF)"),
        (KEY[:10] + "\ufeff" + KEY[10:], "contains a byte-order mark (U+FEFF)"),
        (KEY[:10] + " " + KEY[10:], "contains whitespace inside it"),
        (KEY[:10] + "\u00a0" + KEY[10:], "contains whitespace inside it"),
        (KEY + "\t" + KEY, "contains whitespace inside it"),
        (KEY[:10] + "\x1b" + KEY[10:], "contains a control or invisible character (U+001B)"),
        (KEY + "\x00", "contains a control or invisible character (U+0000)"),
        ("\x7f" + KEY, "contains a control or invisible character (U+007F)"),
        (KEY[:10] + "\u200b" + KEY[10:], "contains a control or invisible character (U+200B)"),
        (KEY + "\x0b\n", "contains whitespace inside it"),
    ],
)
def test_a_broken_key_is_refused_with_the_reason_never_the_value(raw: str, reason: str, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(raw.encode("utf-8"))
    for env, key_env, path, where in (
        ({"DASHSCOPE_API_KEY": raw}, None, None, "$DASHSCOPE_API_KEY"),
        ({}, None, key_file, ""),
    ):
        with pytest.raises(CredentialError) as caught:
            credentials.resolve_key(env, key_env, path, [])
        assert caught.value.message.startswith(f"the API key from {where}")
        assert caught.value.message.endswith(f" {reason}")
        assert KEY[6:16] not in caught.value.message + str(caught.value.hint)


def test_a_key_file_with_a_bom_is_refused_through_the_cli(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\n")
    line = one_line_exit_2(prober("run", "--key-file", str(key_file), "--out", str(tmp_path)))
    assert "contains a byte-order mark (U+FEFF)" in line and KEY[6:] not in line


def test_a_key_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"sk-\xff\xfe")
    with pytest.raises(CredentialError) as caught:
        credentials.resolve_key({}, None, key_file, [])
    assert caught.value.message == f"cannot read key file {key_file}: not UTF-8 text"


def test_surrounding_newlines_and_spaces_are_still_stripped(tmp_path: Path) -> None:
    notes: list[str] = []
    assert credentials.resolve_key({"DASHSCOPE_API_KEY": f" \t{KEY}\r\n"}, None, None, notes)[0] is not None
    assert notes == ["stripped surrounding whitespace from the API key in $DASHSCOPE_API_KEY"]


# --- prober cookies --out -------------------------------------------------------------------------------------


def _jar(tmp_path: Path) -> Path:
    jar = tmp_path / "cookies.txt"
    jar.write_text(".alibabacloud.com\tTRUE\t/\tTRUE\t0\tlogin_aliyunid_pk\tvalue-0123456789\n")
    return jar


@pytest.mark.timeout(30)
def test_cookies_out_refuses_links_fifos_and_directories(tmp_path: Path, fifo: Path) -> None:
    jar = _jar(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(os.devnull)
    directory = tmp_path / "directory"
    directory.mkdir()
    for target, reason in (
        (link, "it is a symbolic link"),
        (fifo, "it is a special file (a device, FIFO or socket), not a regular file"),
        (directory, "is a directory"),
    ):
        result = prober("cookies", str(jar), "--out", str(target))
        assert reason in one_line_exit_2(result)
        assert result.stdout == ""  # refused before the jar is read or anything printed
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode) and directory.is_dir()


def test_cookies_out_writes_a_regular_or_new_file(tmp_path: Path) -> None:
    jar = _jar(tmp_path)
    existing = tmp_path / "existing.md"
    existing.write_text("old\n")
    for target in (existing, tmp_path / "new.md"):
        result = prober("cookies", str(jar), "--out", str(target))
        assert result.returncode == 0, result.stderr
        assert target.read_text().rstrip("\n") == result.stdout.rstrip("\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_device_is_never_a_write_target() -> None:
    with pytest.raises(ReportError, match="special file"):
        store.check_target(Path(os.devnull))


# --- report names -------------------------------------------------------------------------------------------


def _sweep(started: str) -> Any:
    return replace(serial.load(json.loads(GOLDEN.read_text())), started_at=started)


def test_two_runs_in_the_same_second_never_overwrite_each_other(tmp_path: Path) -> None:
    formats = (Format.MD, Format.JSON, Format.JUNIT)
    first = store.write_reports(_sweep("2026-11-29T08:00:00Z"), tmp_path, "20261129T080000Z", formats)
    second = store.write_reports(_sweep("2026-11-29T08:00:00.5Z"), tmp_path, "20261129T080000Z", formats)
    assert [p.name for p in first] == ["20261129T080000Z.md", "20261129T080000Z.json", "20261129T080000Z.junit.xml"]
    assert [p.name for p in second] == [
        "20261129T080000Z-2.md",
        "20261129T080000Z-2.json",
        "20261129T080000Z-2.junit.xml",
    ]
    assert json.loads(first[1].read_text())["started_at"] == "2026-11-29T08:00:00Z"
    assert json.loads(second[1].read_text())["started_at"] == "2026-11-29T08:00:00.5Z"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in first + second)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first + second)


def test_one_taken_format_moves_every_format_of_the_run(tmp_path: Path) -> None:
    (tmp_path / "stamp.json").write_text("an earlier run's\n")
    written = store.write_reports(_sweep("2026-11-29T08:00:00Z"), tmp_path, "stamp", (Format.MD, Format.JSON))
    assert [p.name for p in written] == ["stamp-2.md", "stamp-2.json"]
    assert (tmp_path / "stamp.json").read_text() == "an earlier run's\n"
    assert not (tmp_path / "stamp.md").exists()


def test_a_failed_render_leaves_no_empty_claimed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import prober.report

    real = prober.report.chunks  # what store.write_reports writes, a piece at a time

    def failing(fmt: Format, *args: Any) -> Any:
        if fmt is Format.JSON:

            def pieces(_sweep: Any) -> Iterator[str]:
                yield "{\n"  # already in the temporary file when the render fails: never renamed into place
                raise RuntimeError("render failed")

            return pieces
        return real(fmt, *args)

    monkeypatch.setattr(prober.report, "chunks", failing)
    with pytest.raises(RuntimeError):
        store.write_reports(_sweep("2026-11-29T08:00:00Z"), tmp_path, "stamp", (Format.MD, Format.JSON))
    assert [p.name for p in tmp_path.iterdir()] == ["stamp.md"]


def test_replace_keeps_the_given_name(tmp_path: Path) -> None:
    for _ in range(2):
        written = store.write_reports(_sweep("2026-11-29T08:00:00Z"), tmp_path, "demo", (Format.MD,), replace=True)
        assert [p.name for p in written] == ["demo.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["demo.md"]


# --- malformed reports ------------------------------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in this process; its exit code and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exit_:
            return int(exit_.code or 0), err.getvalue()
    raise AssertionError("main() returned without exiting")


def test_a_type_confused_report_names_the_field_not_the_value(tmp_path: Path) -> None:
    data = json.loads(GOLDEN.read_text())
    data["results"][3]["outcome"]["hops"][0]["status"] = "302 but text"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    code, err = _run(["render", str(path)])
    assert (code, err) == (
        2,
        f"Error: {path}: not a prober report (results[3].outcome.hops[0].status is text, not an integer) "
        "(hint: pass an unmodified .json report)\n",
    )
    data["results"][3]["outcome"]["hops"][0]["status"] = 302
    data["finished_at"] = "2026-11-29T08:00:01"  # no zone: JUnit's elapsed time would mix naive and aware
    path.write_text(json.dumps(data))
    code, err = _run(["render", "--format", "junit", str(path)])
    assert code == 2 and "finished_at is not an ISO 8601 time with a zone" in err


_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["", "2026-11-29T08:00:00", "2026-11-29T09:00:00+05:00", "ok", "GET", "not_found", "302"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


_REPORT = json.loads(GOLDEN.read_text())
_PLACES = [path for path in _paths(_REPORT) if path]
_MUTATION = st.tuples(st.sampled_from(_PLACES), st.booleans(), _JSON)


def _mutate(report: Any, mutations: list[tuple[tuple[Any, ...], bool, Any]]) -> Any:
    """The report with each mutation applied: a key deleted, or a value replaced (a wrong type, null, anything)."""
    data = copy.deepcopy(report)
    for path, delete, value in mutations:
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if delete and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape above this path
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MUTATION, min_size=1, max_size=4) | st.builds(lambda v: [((), False, v)], _JSON))
def test_a_mutated_report_is_rendered_or_refused_never_a_crash(mutations: list[Any]) -> None:
    whole = [m for m in mutations if m[0] == ()]
    data = whole[0][2] if whole else _mutate(_REPORT, mutations)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "report.json"
        path.write_text(json.dumps(data))
        for argv in (
            ["render", str(path)],
            ["render", "--format", "junit", str(path)],
            ["render", "--format", "json", str(path)],
            ["diff", "--fail-on", "none", str(GOLDEN), str(path)],
            ["diff", "--fail-on", "none", "--format", "json", str(path), str(GOLDEN)],
        ):
            code, err = _run(argv)
            assert code in (0, 2), err
            if code == 2:
                assert len(err.strip().splitlines()) == 1 and err.startswith("Error: "), err
