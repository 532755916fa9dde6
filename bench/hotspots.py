"""Where the time goes in P2: `prober run` of the generated catalogue under cProfile, against the replica.

    python bench/hotspots.py [--probes 5000] [--top 40]

Prints the functions with the most own time and the most cumulative time, and the share of the run spent in each
stage (catalogue loading, the sweep, redaction, serialisation, rendering). Keeps the profile in bench/p2.prof
(ignored by git) for `python -m pstats` or snakeviz.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py, beside this file

PROFILE = Path(__file__).with_name("p2.prof")

# Stage -> the functions whose cumulative time is that stage (module path fragment, function name).
STAGES = (
    ("catalogue load + validate", "prober/catalogue/__init__.py", "load"),
    ("sweep (runner + aiohttp)", "prober/runner.py", "run"),
    ("one probe (probe.run, summed)", "prober/probe.py", "run"),
    ("server text kept (scrub, mask, inert)", "prober/intake.py", "line"),
    ("redaction of server text", "prober/redact.py", "text"),
    ("report JSON -> Sweep (serial.load)", "prober/serial.py", "load"),
    ("Sweep -> report JSON (serial.dump)", "prober/serial.py", "dump"),
    ("writing the reports", "prober/store.py", "write_reports"),
    ("the results table on stdout", "prober/cli.py", "_print_table"),
    ("expectations", "prober/expectations.py", "check"),
)


def stages(stats: pstats.Stats) -> list[tuple[str, float]]:
    table = stats.stats  # type: ignore[attr-defined]
    found = []
    for label, fragment, name in STAGES:
        total = sum(
            cumulative
            for (path, _, function), (_, _, _, cumulative, _) in table.items()
            if function == name and path.endswith(fragment)
        )
        found.append((label, total))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--probes", type=int, default=5000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prober-hotspots-") as name:
        tmp = Path(name)
        cat = run.write_catalogue(tmp, "p2.yaml", run.fast_urls(args.probes))
        with run.replica(tmp / "replica") as (connect_to, cacert):
            command = run.prober_run(
                cat, connect_to, cacert, tmp / "out", "--concurrency", str(run.CONCURRENCY), "--per-host", "4"
            )
            profiled = [run.PY, "-m", "cProfile", "-o", PROFILE, *command[1:]]
            result = run.measure(profiled)
    stats = pstats.Stats(str(PROFILE))
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{args.probes} probes: wall {result.wall:.2f} s under cProfile, profiled CPU {total:.2f} s\n")
    for label, seconds in stages(stats):
        print(f"  {label:<40} {seconds:7.2f} s  {seconds / total:6.1%}")
    print()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
