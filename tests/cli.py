"""The one way the tests run the command line as a user does: `python -m prober ARGS` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
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


def prober(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `prober ARGS` in the repository (or `cwd`), with the test run's environment less _UNSET, plus `env`."""
    full = {k: v for k, v in os.environ.items() if k not in _UNSET}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "prober", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )
