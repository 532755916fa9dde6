"""Reading and writing report files; writes are atomic (temporary file, then rename)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prober.errors import ReportError

if TYPE_CHECKING:
    from prober.model import Sweep
    from prober.report import Format


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


def write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read report {path}: {exc.strerror}", "pass the path of a .json report") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} is not JSON: {exc}", "pass the .json report, not the .md") from None


def write_reports(sweep: Sweep, out: Path, stem: str, formats: Iterable[Format]) -> list[Path]:
    """Render the sweep in each format and write `out/<stem><suffix>` atomically; returns the paths written."""
    from prober.report import renderer

    written = []
    for fmt in formats:
        path = out / f"{stem}{fmt.suffix}"
        write(path, renderer(fmt)(sweep))
        written.append(path)
    return written
