"""The one way the tests run the command line as a user does: `python -m prober ARGS` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the test run's own environment must not lend a command: credentials (a developer's real key or token), and
# the settings that change how output looks or where a job summary goes.
_UNSET = frozenset(
    {
        "DASHSCOPE_API_KEY",
        "ALIBABA_CODING_PLAN_API_KEY",
        "BAILIAN_CONSOLE_TOKEN",
        "NO_COLOR",
        "GITHUB_STEP_SUMMARY",
        "LINES",  # the terminal size a run assumes (pytest-xdist's workers set them)
        "COLUMNS",
    }
)


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a command gets: the test run's, less _UNSET, plus `env`."""
    full = {k: v for k, v in os.environ.items() if k not in _UNSET}
    full.update(env or {})
    return full


def prober(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `prober ARGS` in the repository (or `cwd`), with the test run's environment less _UNSET, plus `env`."""
    full = environment(env)
    return subprocess.run(
        [sys.executable, "-m", "prober", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )


@contextmanager
def serving(*args: str, until: Callable[[str], bool]) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`prober ARGS` left running, as a user starts `prober replica`: yields the process and the lines it printed up
    to the first one `until` accepts (newlines stripped). A process that never prints it is killed after 30 s, so
    the suite cannot hang; on exit it gets SIGTERM (not SIGINT: a shell that starts the suite in the background
    makes children ignore that), then SIGKILL if it has not ended within 15 s."""
    process = subprocess.Popen(
        [sys.executable, "-m", "prober", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=environment({"PYTHONUNBUFFERED": "1"}),
    )
    assert process.stdout is not None
    watchdog = threading.Timer(30, process.kill)
    watchdog.start()
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line.rstrip("\n"))
            if until(printed[-1]):
                break
    finally:
        watchdog.cancel()
    try:
        yield process, printed
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
