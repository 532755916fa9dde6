"""Reading and writing report files; writes are atomic (temporary file, then rename)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prober import inputs
from prober.errors import ReportError

if TYPE_CHECKING:
    from prober.expectations import FailOn
    from prober.model import Sweep
    from prober.report import Format

_ATTEMPTS = 1000  # numbered names tried for one stem before giving up


def check_writable(directory: Path) -> None:
    """Fail before any probe is sent if reports could not be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            f"cannot create report directory {directory}: {exc.strerror}",
            "pass --out with a writable directory",
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ReportError(f"report directory {directory} is not writable", "pass --out with a writable directory")


def write(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (a string, or pieces written one after another) to a temporary file beside `path`, then
    rename it over `path`: a reader sees the old file or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                handle.writelines(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> Any:
    """The JSON data of the report file `path` (a regular file of at most REPORT_LIMIT bytes)."""
    data = inputs.read_bytes(path, inputs.REPORT_LIMIT, "report", ReportError, "pass the path of a .json report")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} is not JSON: {exc}", "pass the .json report, not the .md") from None
    except RecursionError:
        raise ReportError(f"{path} is not a prober report: JSON nested too deeply", "pass a .json report") from None


def check_target(path: Path) -> None:
    """Refuse to write over anything at `path` but a regular file: the rename of an atomic write would replace
    a symbolic link (to /dev/stdout, say), a device or a FIFO with a file, and a directory cannot be replaced."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return  # a new file
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}", "pass a regular file or a new path") from None
    if stat.S_ISLNK(mode):
        raise ReportError(
            f"cannot write {path}: it is a symbolic link", "pass a regular file or a new path, not a link"
        )
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a special file (a device, FIFO or socket)"
        raise ReportError(f"cannot write {path}: it is {kind}, not a regular file", "pass a regular file or a new path")


def _claim(out: Path, stem: str, suffixes: Sequence[str]) -> list[Path]:
    """Create empty owner-only files `out/<stem><suffix>` for every suffix, each exclusively (O_EXCL); when any
    name is taken, try `<stem>-2`, `<stem>-3`, ... so that every format of one run shares one stem."""
    for attempt in range(1, _ATTEMPTS + 1):
        name = stem if attempt == 1 else f"{stem}-{attempt}"
        claimed: list[Path] = []
        try:
            for suffix in suffixes:
                path = out / f"{name}{suffix}"
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
                claimed.append(path)
            return claimed
        except FileExistsError:
            _release(claimed)
        except OSError as exc:
            _release(claimed)
            raise ReportError(
                f"cannot create report {out / name}: {exc.strerror}", "pass --out with a writable directory"
            ) from None
    raise ReportError(
        f"cannot name the report: {out / stem} and {_ATTEMPTS - 1} numbered names after it are taken",
        "pass another --out directory, or clear out old reports",
    )


def _release(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def write_reports(
    sweep: Sweep,
    out: Path,
    stem: str,
    formats: Iterable[Format],
    *,
    replace: bool = False,
    fail_on: FailOn | None = None,
) -> list[Path]:
    """Render the sweep in each format and write `out/<stem><suffix>` atomically; returns the paths written.

    Two runs in the same second get the same stamp for `stem`: the names are claimed first (see `_claim`), so
    the later run writes `<stem>-2.*` and neither overwrites the other. `replace` writes the names as given
    (the demo's `demo.md`, `--name`), replacing an earlier file. `fail_on` is the run's, for the JUnit report.
    """
    from prober.expectations import FailOn
    from prober.report import chunks

    chosen = list(formats)
    criterion = fail_on or FailOn.UNEXPECTED
    paths = (
        [out / f"{stem}{fmt.suffix}" for fmt in chosen]
        if replace
        else _claim(out, stem, [fmt.suffix for fmt in chosen])
    )
    written: list[Path] = []
    try:
        for fmt, path in zip(chosen, paths, strict=True):
            # Rendered a piece at a time into the temporary file; the rename replaces the empty claimed file.
            write(path, chunks(fmt, criterion)(sweep))
            written.append(path)
    except BaseException:
        if not replace:
            _release(paths[len(written) :])  # the claimed names not yet written are empty
        raise
    return written
