"""P2 in instructions: the work per probe of `prober run` against the aiohttp loop's work per request, counted.

    python bench/instructions.py            # prints the table (about a minute and a half; needs valgrind)

Wall and CPU time on a shared machine move by a third from one minute to the next; instruction counts do not.
Each client runs under valgrind's cachegrind (no cache simulation: it only counts the instructions executed) for
two catalogue sizes, and the difference divided by the difference in probes is the work of one more probe. What
every run does once (interpreter start-up, imports, TLS contexts) drops out of that slope, so the ratio is the
per-probe part of P2's wall-time ratio: catalogue, sweep, reports. Counts still vary by a few per cent between
runs, because how often the event loop wakes depends on timing.

bench/run.py adds these rows to its table when valgrind is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py, beside this file

SIZES = (200, 800)
VALGRIND = shutil.which("valgrind")


def counted(args: Sequence[str | Path]) -> int:
    """The instructions one command executes, start to exit, children not included."""
    assert VALGRIND is not None
    command = [VALGRIND, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=run.ROOT, env=run.ENV, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"failed under valgrind ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_probe(counts: dict[int, int]) -> float:
    small, large = SIZES
    return (counts[large] - counts[small]) / (large - small)


def rows(tmp: Path, connect_to: str, cacert: str) -> list[run.Row]:
    """The P2 rows in instructions per probe, measured against the running replica."""
    _, _, host, port = connect_to.rsplit(":", 3)
    counts: dict[str, dict[int, int]] = {"prober": {}, "loop": {}, "check": {}}
    for size in SIZES:
        urls = run.fast_urls(size)
        catalogue = run.write_catalogue(tmp, f"instructions-{size}.yaml", urls)
        url_file = tmp / f"instructions-{size}.txt"
        url_file.write_text("\n".join(urls) + "\n")
        limits = ("--concurrency", str(run.CONCURRENCY), "--per-host", str(run.PER_HOST))
        counts["prober"][size] = counted(run.prober_run(catalogue, connect_to, cacert, tmp / "instructions", *limits))
        counts["loop"][size] = counted(
            [run.PY, run.ROOT / "bench" / "raw_aiohttp.py", url_file, "--connect-host", host, "--connect-port", port]
            + ["--cacert", cacert, *limits]
        )
        counts["check"][size] = counted([run.PY, "-m", "prober", "check", catalogue])
    prober, loop, check = (per_probe(counts[name]) for name in ("prober", "loop", "check"))
    what = f"slope between {SIZES[0]} and {SIZES[1]} probes, valgrind cachegrind"
    return [
        run.Row(
            f"P2 work per probe: `prober run`, md+json ({what})",
            f"{prober / 1e3:.0f} k instructions",
            f"aiohttp loop {loop / 1e3:.0f} k",
            run._ratio(prober, loop),
            "",
            "",
        ),
        run.Row(
            "P2 work per probe, of which the catalogue read and checked (`prober check`)",
            f"{check / 1e3:.0f} k instructions",
            f"aiohttp loop {loop / 1e3:.0f} k",
            run._ratio(check, loop),
            "",
            "",
        ),
    ]


def main() -> None:
    if VALGRIND is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="prober-instructions-") as name:
        tmp = Path(name)
        with run.replica(tmp / "replica") as (connect_to, cacert):
            found = rows(tmp, connect_to, cacert)
    print(run.render(found, [f"sizes {SIZES[0]} and {SIZES[1]} probes"], quick=False))


if __name__ == "__main__":
    main()
