"""P1, latency-bound sweep: the shipped catalogue against `prober replica --latency 1`, as a user would run it.

Prints the wall time of `prober run` (1) with --per-host at least the busiest host's probe count and (2) with the
default limits, each beside the floor that physics allows: the longest redirect chain times the latency, and for the
default limits the bound they imply, latency x ceil(probes on the busiest host / per-host) + latency per extra hop.

    python bench/latency.py [--latency 1.0]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prober import catalogue  # noqa: E402
from prober.demo import DEMO_KEY, INTL_PASSPORT_COOKIES  # noqa: E402


def _cookie_file(directory: Path) -> Path:
    path = directory / "cookies.txt"
    expiry = int(time.time()) + 86400
    path.write_text(
        "".join(f".alibabacloud.com\tTRUE\t/\tTRUE\t{expiry}\t{name}\tbench-{name}-value\n" for name, _ in
                INTL_PASSPORT_COOKIES)
    )
    return path


def _start_replica(latency: float, directory: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "prober", "replica", "--port", "0", "--latency", str(latency), "--dir", str(directory)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert proc.stdout is not None
    connect_to = cacert = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (connect_to and cacert):
        line = proc.stdout.readline()
        if match := re.search(r"--connect-to (\S+) --cacert (\S+)", line):
            connect_to, cacert = match.group(1), match.group(2)
    if not connect_to:
        proc.kill()
        raise SystemExit("the replica did not start")
    return proc, connect_to, cacert


def _sweep(connect_to: str, cacert: str, cookies: Path, out: Path, per_host: int | None) -> float:
    args = [sys.executable, "-m", "prober", "run", "--billable", "--connect-to", connect_to, "--cacert", cacert,
            "--cookies", str(cookies), "--out", str(out), "--format", "json"]
    if per_host is not None:
        args += ["--per-host", str(per_host), "--concurrency", str(max(16, per_host * 16))]
    env = {**os.environ, "DASHSCOPE_API_KEY": DEMO_KEY}
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    latency = parser.parse_args().latency

    probes = catalogue.load(ROOT / "probes.yaml").probes
    per_host = Counter(urlsplit(p.url).hostname for p in probes)
    busiest, count = per_host.most_common(1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        proc, connect_to, cacert = _start_replica(latency, directory)
        try:
            cookies = _cookie_file(directory)
            _sweep(connect_to, cacert, cookies, directory, count)  # warm-up: imports, page cache
            wide = _sweep(connect_to, cacert, cookies, directory, count)
            default = _sweep(connect_to, cacert, cookies, directory, None)
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    # Redirect chains on the replica are at most two answers (302, then the login page), each delayed.
    chain = 2
    floor = chain * latency
    default_bound = latency * math.ceil(count / 4) + latency * (chain - 1) + latency
    print(f"catalogue: {len(probes)} probes; busiest host {busiest} with {count}; longest chain {chain} answers")
    print(f"{'case':<34} {'wall s':>8} {'floor s':>8} {'ratio':>6} {'bound s':>8}")
    print(f"{'--per-host ' + str(count):<34} {wide:8.2f} {floor:8.2f} {wide / floor:6.2f} {'':>8}")
    print(f"{'default limits (16, per-host 4)':<34} {default:8.2f} {floor:8.2f} {default / floor:6.2f} "
          f"{default_bound:8.2f}")
    print("wall time is the whole `prober run` command, interpreter start-up and report writing included")


if __name__ == "__main__":
    main()
