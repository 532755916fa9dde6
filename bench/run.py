"""The benchmark: start the replica, measure P1-P4, scaling and a 3,000-cookie jar, beside references from the same run.

    python bench/run.py            # full sizes (a few minutes on 2 cores); prepends the table to bench/RESULTS.md
    python bench/run.py --quick    # small sizes, a smoke check; same table, marked quick

Every figure is a whole process as a user runs it (interpreter start-up and report writing included), measured in a
subprocess so its peak RSS is its own (/usr/bin/time). The machines are shared and noisy, so each figure is reported
as a ratio to a reference measured in the same run, and repeated runs give the median. Where valgrind is installed,
P2 is also counted in instructions per probe (bench/instructions.py), which the machine's load does not move.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prober import __version__  # noqa: E402
from prober.demo import DEMO_KEY, INTL_PASSPORT_COOKIES  # noqa: E402
from prober.replica.behaviours import common as behaviours  # noqa: E402  (the host names)

PY = sys.executable
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
RESULTS = Path(__file__).with_name("RESULTS.md")
TITLE = "# Benchmark results\n\n"
INTRO = (
    "Written by `python bench/run.py` (newest first). Every figure is a whole process, interpreter start-up and\n"
    "report writing included, beside a reference measured in the same run; the ratio is what to compare between\n"
    "runs, since the machines are shared. Peak RSS is the child's own (`/usr/bin/time`). Where the time goes:\n"
    "`bench/PROFILE.md` (`python bench/hotspots.py`).\n"
)

# P2 and scaling: paths the replica answers at once with a bodiless 404, on four hosts. The query string makes
# every URL distinct (the replica matches on the path alone).
FAST_TARGETS = (
    (behaviours.DASHSCOPE_INTL, "/api/v1/policies"),
    (behaviours.DASHSCOPE_CN, "/api/v1/usage"),
    (behaviours.CODING_INTL, "/v1/models"),
    (behaviours.CODING_CN, "/api/v1/quota"),
)
CONCURRENCY = 16
PER_HOST = 4  # 4 hosts x 4 = 16: the per-host and global limits agree, so every client can use all 16 slots

BODY_HOST = "bodies.bench.test"
BODY_SIZE = 1024 * 1024

_CLEAN_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # the replica is local
ENV = {**_CLEAN_ENV, "DASHSCOPE_API_KEY": DEMO_KEY}


@dataclass(frozen=True, slots=True)
class Sizes:
    repeats: int
    startup_runs: int
    p2: int
    scaling: tuple[int, ...]
    bodies: int


FULL = Sizes(repeats=5, startup_runs=9, p2=5000, scaling=(100, 1000, 10000), bodies=1000)
QUICK = Sizes(repeats=1, startup_runs=3, p2=500, scaling=(100, 300, 1000), bodies=100)


@dataclass(frozen=True, slots=True)
class Run:
    wall: float  # seconds
    rss_mb: float  # peak resident set of the child
    code: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # the child's user + system CPU seconds


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    measured: str
    reference: str
    ratio: str
    goal: str
    met: str


def measure(args: Sequence[str | Path], check: bool = True) -> Run:
    """Run one command to completion: its wall time and its own peak RSS.

    The RSS comes from /usr/bin/time, which forks the command from its own small process: Linux counts the memory
    of the process that forked a child into the child's ru_maxrss, so os.wait4 from this (growing) process would
    report this process's size for small runs. Without /usr/bin/time, wait4 is the fallback.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        prefix = [TIME, "-f", "%U %S %M", "-o", rss.name] if TIME else []
        started = time.perf_counter()
        proc = subprocess.Popen([*prefix, *map(str, args)], stdout=out, stderr=err, cwd=ROOT, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        reported = rss.read().split()
        measured = TIME and len(reported) >= 3 and reported[-1].isdigit()
        kib = int(reported[-1]) if measured else usage.ru_maxrss
        cpu = float(reported[-3]) + float(reported[-2]) if measured else usage.ru_utime + usage.ru_stime
        out.seek(0)
        err.seek(0)
        run = Run(wall, kib / 1024, proc.returncode, out.read().decode(), err.read().decode(), cpu)
    if check and run.code != 0:
        raise SystemExit(f"failed ({run.code}): {' '.join(map(str, args))}\n{run.stderr[-2000:]}")
    return run


def median(args: Sequence[str | Path], times: int) -> Run:
    runs = [measure(args) for _ in range(times)]
    middle = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    return Run(middle.wall, max(r.rss_mb for r in runs), middle.code, middle.stdout, middle.stderr, middle.cpu)


# --- servers -------------------------------------------------------------------------------------------------


@contextmanager
def replica(directory: Path, latency: float = 0.0) -> Iterator[tuple[str, str]]:
    """`prober replica` in its own process (a core of its own); yields its --connect-to and --cacert values."""
    directory.mkdir(parents=True, exist_ok=True)
    args = [PY, "-m", "prober", "replica", "--port", "0", "--latency", str(latency), "--dir", str(directory)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    assert proc.stdout is not None
    found = None
    deadline = time.monotonic() + 30
    while found is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = re.search(r"--connect-to (\S+) --cacert (\S+)", line)
    try:
        if found is None:
            raise SystemExit("the replica did not start")
        yield found.group(1), found.group(2)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


class BodyServer:
    """A TLS aiohttp server in a thread answering every GET with 1 MB, for the memory figure (P4)."""

    def __init__(self, directory: Path) -> None:
        import trustme

        ca = trustme.CA()
        self.ca_path = directory / "bodies-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(BODY_HOST).configure_cert(self._context)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._main, daemon=True)

    def __enter__(self) -> BodyServer:
        self._thread.start()
        if not self._ready.wait(20):
            raise SystemExit("the 1 MB body server did not start")
        return self

    def __exit__(self, *_: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _main(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        from aiohttp import web

        body = os.urandom(BODY_SIZE // 2).hex().encode()  # 1 MB of text, incompressible enough to be real

        async def handle(_: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/plain")

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._context)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()


# --- inputs --------------------------------------------------------------------------------------------------


def fast_urls(count: int) -> list[str]:
    """`count` distinct URLs, round-robin over the fast targets."""
    return [f"https://{host}{path}?n={n}" for n in range(count) for host, path in (FAST_TARGETS[n % 4],)]


def catalogue(urls: Sequence[str]) -> str:
    """A generated catalogue, one GET per URL, no credentials (auth: none)."""
    lines = ["version: 1", "probes:"]
    lines += [
        f'  - {{id: bench-{n:05d}, description: generated, method: GET, url: "{url}", auth: none, '
        f"tags: {{region: intl, surface: api, cost: free}}, source: bench/run.py}}"
        for n, url in enumerate(urls)
    ]
    return "\n".join(lines) + "\n"


def write_catalogue(directory: Path, name: str, urls: Sequence[str]) -> Path:
    path = directory / name
    path.write_text(catalogue(urls))
    return path


def prober_run(catalogue_path: Path, connect_to: str, cacert: str, out: Path, *extra: str) -> list[str | Path]:
    return [
        PY,
        "-m",
        "prober",
        "run",
        catalogue_path,
        "--connect-to",
        connect_to,
        "--cacert",
        cacert,
        "--out",
        out,
        "--fail-on",
        "none",
        *extra,
    ]


def newest_report(out: Path) -> dict[str, object]:
    path = max(out.glob("*.json"), key=lambda p: p.stat().st_mtime)
    data: dict[str, object] = json.loads(path.read_text())
    return data


def statuses(out: Path) -> Counter[object]:
    results = newest_report(out)["results"]
    assert isinstance(results, list)
    return Counter(r["outcome"]["status"] for r in results)


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference else "n/a"


def _met(value: float, goal: float) -> str:
    return "yes" if value <= goal else "**no**"


# --- P1 ------------------------------------------------------------------------------------------------------


def _cookie_file(directory: Path) -> Path:
    path = directory / "cookies.txt"
    expiry = int(time.time()) + 86400
    path.write_text(
        "".join(
            f".alibabacloud.com\tTRUE\t/\tTRUE\t{expiry}\t{name}\tbench-{name}-value\n"
            for name, _ in INTL_PASSPORT_COOKIES
        )
    )
    return path


def p1_fixed(tmp: Path, sizes: Sizes, connect_to: str, cacert: str) -> list[Row]:
    """What P1 pays besides the endpoints' own time: the shipped catalogue against a replica with no latency
    (interpreter start-up, imports, catalogue checks, TLS set-up and handshakes, reports), beside the floor any
    aiohttp client pays before its first request: `python -c "import aiohttp"`."""
    shipped = ROOT / "probes.yaml"
    cookies = _cookie_file(tmp)
    args = [*prober_run(shipped, connect_to, cacert, tmp / "p1-fixed"), "--billable", "--cookies", cookies,
            "--format", "json"]  # fmt: skip
    measure(args)  # warm-up
    runs = max(sizes.startup_runs, 3)
    fixed = median(args, runs)
    floor = median([PY, "-c", "import aiohttp"], runs)
    results = newest_report(tmp / "p1-fixed")["results"]
    assert isinstance(results, list)
    return [
        Row(
            f"P1 fixed cost: `prober run probes.yaml` ({len(results)} probes, as in P1) against a replica with no "
            f"latency (median of {runs})",
            f"{fixed.wall:.2f} s",
            f'`python -c "import aiohttp"` {floor.wall * 1000:.0f} ms',
            _ratio(fixed.wall, floor.wall),
            "≤ 0.35 s",
            _met(fixed.wall, 0.35),
        )
    ]


def p1(tmp: Path, sizes: Sizes) -> list[Row]:
    latency = 1.0
    # One slow TLS handshake moves a single run by a whole latency step (5.58 s against 4.4-4.5 s in four runs
    # just after): the median of three, in a full run.
    runs = 3 if sizes.repeats > 1 else 1
    shipped = ROOT / "probes.yaml"
    cookies = _cookie_file(tmp)
    with replica(tmp / "replica-latency", latency) as (connect_to, cacert):

        def args(out: str) -> list[str | Path]:
            return [*prober_run(shipped, connect_to, cacert, tmp / out), "--billable", "--cookies", cookies,
                    "--format", "json"]  # fmt: skip

        measure(args("p1-warm"))  # warm-up (page cache, .pyc), and the shape of the sweep: hops per origin, chain
        report = newest_report(tmp / "p1-warm")
        results = report["results"]
        assert isinstance(results, list)
        hops = [h for r in results for h in r["outcome"]["hops"]]
        chain = max(len(r["outcome"]["hops"]) for r in results)
        origins = Counter(urlsplit(h["url"]).netloc for h in hops)
        busiest, busiest_count = origins.most_common(1)[0]
        wide_args = ["--per-host", str(busiest_count), "--concurrency", str(min(1000, len(hops)))]
        wide = median([*args("p1-wide"), *wide_args], runs)
        default = median(args("p1-default"), runs)
    # The sweep's own share: the slowest probe's time from its first request to its last byte, from the report.
    wide_results = newest_report(tmp / "p1-wide")["results"]
    assert isinstance(wide_results, list)
    slowest = max((r["outcome"]["timings"] or {}).get("total_ms", 0.0) for r in wide_results) / 1000
    floor = chain * latency
    # Each slot serves one answer per `latency`: the busiest origin needs ceil(n / per-host) rounds, the whole
    # sweep ceil(hops / concurrency), and no chain finishes sooner than its own length.
    bound = latency * max(chain, math.ceil(busiest_count / PER_HOST), math.ceil(len(hops) / CONCURRENCY))
    shape = f"{len(results)} probes, {len(hops)} answers, busiest {busiest} {busiest_count}, chain {chain}"
    return [
        Row(
            f"P1 latency 1 s, --per-host {busiest_count} ({shape}; median of {runs})",
            f"{wide.wall:.2f} s",
            f"longest chain {floor:.0f} s",
            _ratio(wide.wall, floor),
            "≤ 1.2",
            _met(wide.wall / floor, 1.2),
        ),
        Row(
            "P1 same run, slowest probe's own time (first request to last byte; no start-up or reports)",
            f"{slowest:.2f} s",
            f"longest chain {floor:.0f} s",
            _ratio(slowest, floor),
            "",
            "",
        ),
        Row(
            f"P1 latency 1 s, default limits ({CONCURRENCY}, per-host {PER_HOST}; median of {runs})",
            f"{default.wall:.2f} s",
            f"bound of the limits {bound:.0f} s",
            _ratio(default.wall, bound),
            "≤ 1.2",
            _met(default.wall / bound, 1.2),
        ),
    ]


# --- P2 ------------------------------------------------------------------------------------------------------


def p2(tmp: Path, sizes: Sizes, connect_to: str, cacert: str) -> tuple[list[Row], dict[str, float]]:
    count = sizes.p2
    urls = fast_urls(count)
    cat = write_catalogue(tmp, "p2.yaml", urls)
    url_file = tmp / "p2-urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    curl_config = tmp / "p2-curl.cfg"
    curl_config.write_text("".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls))
    _, _, host, port = connect_to.rsplit(":", 3)
    commands: dict[str, list[str | Path]] = {
        "prober": prober_run(
            cat, connect_to, cacert, tmp / "p2", "--concurrency", str(CONCURRENCY), "--per-host", str(PER_HOST)
        ),
        "prober-json": prober_run(
            cat,
            connect_to,
            cacert,
            tmp / "p2j",
            "--concurrency",
            str(CONCURRENCY),
            "--per-host",
            str(PER_HOST),
            "--format",
            "json",
        ),
        "aiohttp": [
            PY,
            ROOT / "bench" / "raw_aiohttp.py",
            url_file,
            "--connect-host",
            host,
            "--connect-port",
            port,
            "--cacert",
            cacert,
            "--concurrency",
            str(CONCURRENCY),
            "--per-host",
            str(PER_HOST),
        ],
        "curl": [
            "curl",
            "-sS",
            "-Z",
            "--parallel-max",
            str(CONCURRENCY),
            "--cacert",
            cacert,
            "--connect-to",
            connect_to,
            "-K",
            curl_config,
        ],
    }
    measure(commands["prober"])  # warm-up
    seen = statuses(tmp / "p2")
    if seen != Counter({404: count}):
        raise SystemExit(f"P2: the replica did not answer every generated probe with 404: {seen}")
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(sizes.repeats):  # interleaved, so a burst of load elsewhere hits every client alike
        for name, args in commands.items():
            runs[name].append(measure(args))
    if runs["aiohttp"][0].stdout.strip() != str(count):
        raise SystemExit(f"P2: the aiohttp loop answered {runs['aiohttp'][0].stdout!r}, not {count}")
    wall = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    # Each round's own ratio: how far the machine's load moved the figure during this run.
    rounds = sorted(p.wall / a.wall for p, a in zip(runs["prober"], runs["aiohttp"], strict=True))
    rss = {name: max(r.rss_mb for r in rs) for name, rs in runs.items()}
    what = f"{count} GETs, 4 hosts, {CONCURRENCY} in flight"
    rows = [
        Row(
            f"P2 prober run, md+json ({what}; each round's ratio {rounds[0]:.2f} to {rounds[-1]:.2f})",
            f"{wall['prober']:.2f} s",
            f"aiohttp loop {wall['aiohttp']:.2f} s",
            _ratio(wall["prober"], wall["aiohttp"]),
            "≤ 1.5",
            _met(wall["prober"] / wall["aiohttp"], 1.5),
        ),
        Row(
            # Less sensitive to other work on the machine than wall time: when the replica (its own process) is
            # starved, both clients wait on it and the wall ratio drops toward 1 while the work per probe is the same.
            "P2 same runs, the client's CPU time (user + system)",
            f"{cpu['prober']:.2f} s",
            f"aiohttp loop {cpu['aiohttp']:.2f} s",
            _ratio(cpu["prober"], cpu["aiohttp"]),
            "",
            "",
        ),
        Row(
            "P2 prober run, md+json",
            f"{wall['prober']:.2f} s",
            f"curl -Z {wall['curl']:.2f} s",
            _ratio(wall["prober"], wall["curl"]),
            "≤ 2.5",
            _met(wall["prober"] / wall["curl"], 2.5),
        ),
        Row(
            "P2 prober run, json only",
            f"{wall['prober-json']:.2f} s",
            f"aiohttp loop {wall['aiohttp']:.2f} s",
            _ratio(wall["prober-json"], wall["aiohttp"]),
            "(≤ 1.5)",
            _met(wall["prober-json"] / wall["aiohttp"], 1.5),
        ),
        Row(
            "P2 aiohttp loop vs curl (the references)",
            f"{wall['aiohttp']:.2f} s",
            f"curl -Z {wall['curl']:.2f} s",
            _ratio(wall["aiohttp"], wall["curl"]),
            "",
            "",
        ),
    ]
    return rows, {"prober": rss["prober"], "aiohttp": rss["aiohttp"]}


# --- P3 ------------------------------------------------------------------------------------------------------


def p3(sizes: Sizes) -> list[Row]:
    n = sizes.startup_runs
    shipped = ROOT / "probes.yaml"
    measure([PY, "-m", "prober", "check", shipped])  # warm-up
    bare = median([PY, "-c", "pass"], n)
    ver = median([PY, "-m", "prober", "--version"], n)
    check = median([PY, "-m", "prober", "check", shipped], n)
    imports = measure([PY, "-X", "importtime", "-m", "prober", "--version"]).stderr
    aiohttp_loaded = re.search(r"\|\s+aiohttp$", imports, re.MULTILINE) is not None
    return [
        Row(
            f"P3 `prober --version` (median of {n}; imports aiohttp: {'yes' if aiohttp_loaded else 'no'})",
            f"{ver.wall * 1000:.0f} ms",
            f"`python -c pass` {bare.wall * 1000:.0f} ms",
            _ratio(ver.wall, bare.wall),
            "≤ 150 ms",
            _met(ver.wall, 0.150),
        ),
        Row(
            f"P3 `prober check probes.yaml` (median of {n})",
            f"{check.wall * 1000:.0f} ms",
            f"`python -c pass` {bare.wall * 1000:.0f} ms",
            _ratio(check.wall, bare.wall),
            "≤ 300 ms",
            _met(check.wall, 0.300),
        ),
    ]


# --- P4 and scaling ------------------------------------------------------------------------------------------


def scaling(tmp: Path, sizes: Sizes, connect_to: str, cacert: str) -> tuple[list[Row], dict[int, Run]]:
    runs: dict[int, Run] = {}
    for count in sizes.scaling:
        cat = write_catalogue(tmp, f"scale-{count}.yaml", fast_urls(count))
        out = tmp / f"scale-{count}"
        runs[count] = measure(
            prober_run(cat, connect_to, cacert, out, "--concurrency", str(CONCURRENCY), "--per-host", str(PER_HOST))
        )
        if statuses(out) != Counter({404: count}):
            raise SystemExit(f"scaling: not every probe of {count} was answered 404")
    small, *rest = sizes.scaling
    rows = [Row(f"Scaling {small} probes", f"{runs[small].wall:.2f} s, {runs[small].rss_mb:.0f} MB", "", "", "", "")]
    first: float | None = None
    previous = small
    for count in rest:
        # Marginal cost per probe from the size before, against the first such step: 1.0 is linear. Start-up and
        # other fixed costs cancel out of the differences.
        here = (runs[count].wall - runs[previous].wall) / (count - previous)
        first = here if first is None else first
        step = f"{small}→{sizes.scaling[1]}"
        rows.append(
            Row(
                f"Scaling {count} probes (ms per extra probe, {previous}→{count} vs {step})",
                f"{runs[count].wall:.2f} s, {runs[count].rss_mb:.0f} MB; {here * 1000:.3f} ms/probe",
                f"{first * 1000:.3f} ms/probe",
                _ratio(here, first),
                "≈ 1 (linear)",
                _met(here / first, 1.5),
            )
        )
        previous = count
    return rows, runs


def p4(tmp: Path, sizes: Sizes, largest: int, largest_run: Run, bare_rss: float) -> list[Row]:
    count = sizes.bodies
    with BodyServer(tmp) as server:
        urls = [f"https://{BODY_HOST}/body/{n}" for n in range(count)]
        cat = write_catalogue(tmp, "bodies.yaml", urls)
        out = tmp / "bodies"
        run = measure(
            prober_run(
                cat,
                f"::127.0.0.1:{server.port}",
                str(server.ca_path),
                out,
                "--concurrency",
                str(CONCURRENCY),
                "--per-host",
                str(CONCURRENCY),
            )
        )
    if statuses(out) != Counter({200: count}):
        raise SystemExit(f"P4: not every 1 MB body probe was answered 200: {statuses(out)}")
    return [
        Row(
            f"P4 peak RSS, {largest} probes",
            f"{largest_run.rss_mb:.0f} MB",
            f"`prober --version` {bare_rss:.0f} MB",
            _ratio(largest_run.rss_mb, bare_rss),
            "≤ 150 MB",
            _met(largest_run.rss_mb, 150),
        ),
        Row(
            f"P4 peak RSS, {count} probes with 1 MB bodies ({run.wall:.1f} s)",
            f"{run.rss_mb:.0f} MB",
            f"`prober --version` {bare_rss:.0f} MB",
            _ratio(run.rss_mb, bare_rss),
            "≤ 150 MB",
            _met(run.rss_mb, 150),
        ),
    ]


# --- the table -----------------------------------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown"
    ram = "unknown"
    with Path("/proc/cpuinfo").open() as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with Path("/proc/meminfo").open() as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=False).stdout.split()
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()
    return [
        f"machine: {os.cpu_count()} CPUs ({cpu}), {ram} RAM, {platform.system()} {platform.release()}",
        f"versions: prober {__version__} ({commit or 'no git'}), Python {platform.python_version()}, "
        f"aiohttp {version('aiohttp')}, PyYAML {version('PyYAML')}, curl {curl[1] if len(curl) > 1 else '?'}",
    ]


def render(rows: Sequence[Row], notes: Sequence[str], quick: bool) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {stamp}{' (--quick)' if quick else ''}", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", "| Figure | Measured | Reference (same run) | Ratio | Goal | Met |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.figure} | {r.measured} | {r.reference} | {r.ratio} | {r.goal} | {r.met} |" for r in rows]
    return "\n".join(lines) + "\n"


def prepend(section: str, path: Path = RESULTS) -> None:
    previous = ""
    if path.exists():
        text = path.read_text()
        start = text.find("\n## ")
        previous = text[start + 1 :] if start >= 0 else ""
    path.write_text(TITLE + INTRO + "\n" + section + ("\n" + previous if previous else ""))


def compile_bytecode() -> None:
    """Compile prober's bytecode before anything is timed, as `pip install` does and as aiohttp's already is: with
    PYTHONDONTWRITEBYTECODE set (as it is on some machines) a module changed since its last .pyc would otherwise be
    compiled again in every timed run of prober, and never in the loop's."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "prober")], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke check of the bench itself")
    parser.add_argument("--no-write", action="store_true", help="print the table; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    import instructions  # bench/instructions.py: P2 in instructions per probe (it imports this module's helpers)
    import jar  # bench/jar.py: the 3,000-cookie jar figure (it imports this module's helpers)

    sizes = QUICK if args.quick else FULL
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)  # the 1 MB server sees clients hang up mid-body
    compile_bytecode()
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="prober-bench-") as name:
        tmp = Path(name)
        print("P3 start-up ...", file=sys.stderr)
        rows += p3(sizes)
        bare_rss = measure([PY, "-m", "prober", "--version"]).rss_mb
        print("P1 latency-bound sweep ...", file=sys.stderr)
        rows += p1(tmp, sizes)
        with replica(tmp / "replica") as (connect_to, cacert):
            print("P1 fixed cost ...", file=sys.stderr)
            rows += p1_fixed(tmp, sizes, connect_to, cacert)
            print("P2 throughput ...", file=sys.stderr)
            p2_rows, p2_rss = p2(tmp, sizes, connect_to, cacert)
            rows += p2_rows
            if instructions.VALGRIND and not args.quick:
                print("P2 in instructions (valgrind) ...", file=sys.stderr)
                rows += instructions.rows(tmp, connect_to, cacert)
            print("scaling ...", file=sys.stderr)
            scale_rows, scale_runs = scaling(tmp, sizes, connect_to, cacert)
            print("jar of 3,000 cookies ...", file=sys.stderr)
            jar_rows = jar.rows(tmp, connect_to, cacert, sizes.repeats)
        print("P4 memory ...", file=sys.stderr)
        largest = sizes.scaling[-1]
        rows += p4(tmp, sizes, largest, scale_runs[largest], bare_rss)
        rows.append(
            Row(
                f"P4 peak RSS, P2 sweep of {sizes.p2}",
                f"{p2_rss['prober']:.0f} MB",
                f"aiohttp loop {p2_rss['aiohttp']:.0f} MB",
                _ratio(p2_rss["prober"], p2_rss["aiohttp"]),
                "",
                "",
            )
        )
        rows += scale_rows
        rows += jar_rows
    load_after = os.getloadavg()
    notes = [
        *machine(),
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after; other work shares this machine",
        f"sizes: P2 {sizes.p2} probes, median of {sizes.repeats} interleaved runs; start-up median of "
        f"{sizes.startup_runs}; scaling {', '.join(map(str, sizes.scaling))}; {sizes.bodies} bodies of 1 MB",
        "prober's bytecode compiled first (`compileall`), as aiohttp's is; "
        "the replica runs in its own process; prober, the aiohttp loop and curl each run as one child process; "
        f"peak RSS from {'/usr/bin/time' if TIME else 'os.wait4 (may include this process: no /usr/bin/time)'}",
        f"bench took {time.perf_counter() - started:.0f} s",
    ]
    section = render(rows, notes, args.quick)
    print(section)
    if not args.no_write:
        prepend(section)
        print(f"prepended to {RESULTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
