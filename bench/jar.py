"""The cookie-jar figure (issue 9, "Done when"): the shipped sweep against the replica with a small jar and with a
browser-sized jar of 3,000 cookies on Alibaba's domains, each a ratio to the small jar measured in the same run.

    python bench/jar.py              # starts the replica, prints the rows (about a minute on 2 cores)
    python bench/jar.py --write      # and prepends them to bench/RESULTS.md
    python bench/run.py              # the full benchmark includes these rows

Both jars hold the synthetic INTL passport session the demo uses, with random credential-shaped values. The big jar
adds 2,992 cookies as a browser keeps them for Alibaba's sites: most are host-only cookies of hosts the catalogue
does not probe (consoles, help and marketing pages), a few dozen are domain cookies every catalogue host of that site
receives. Every one is kept (they are all on Alibaba's domains), so every value is a secret the redactor knows and
every request picks its cookies out of 3,000. The answers must not change: the bench fails if any probe's class does.

Two figures per jar, both medians of interleaved runs:
- the whole `prober run` process (start-up, jar loading, the sweep, every report format written);
- in one process, for both jars alike, the sweep (to the last probe's outcome) and the post-sweep phase (from
  there: the environment with the jar's diagnosis, the results table, every report format rendered and written),
  which issue 9 found unbounded with a big jar.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from run import PY, ROOT, Row, _met, _ratio, machine, measure, prepend, prober_run, render, replica

from prober.demo import INTL_PASSPORT_COOKIES

JAR_SIZE = 3000
SITES = ("aliyun.com", "alibabacloud.com", "aliyuncs.com", "qwencloud.com")
DOMAIN_COOKIES_PER_SITE = 24  # sent to every catalogue host of the site, as a browser's `.aliyun.com` cookies are
HOST_NAMES = (
    "help", "www", "account", "usercenter2", "signin", "passport", "home", "market", "marketplace", "partner",
    "billing-cost", "ecs", "rds", "oss", "ram", "sls", "cdn", "dns", "vpc", "slb", "expense", "workorder", "ticket",
    "developer", "community", "edu", "tianchi", "modelscope", "pai", "dataworks", "maxcompute", "notice", "trace",
)  # fmt: skip
COOKIE_NAMES = (
    "cna", "isg", "tfstk", "l", "_ga", "_gid", "_gcl_au", "XSRF-TOKEN", "aliyun_lang", "aliyun_choice", "t",
    "_tb_token_", "cookie2", "sca", "atpsida", "yunpk", "aliyun_territory", "ck2", "bs_n_lang", "_samesite_flag_",
    "login_aliyunid_sc", "hssid", "hsite", "currentRegionId", "consoleRecentVisit", "activeRegionId", "JSESSIONID",
    "SERVERID", "acw_tc",
)  # fmt: skip
REPEATS = 5


def _value(rng: random.Random) -> str:
    """A cookie value of the shapes browsers hold: base64url tokens, hex ids, UUIDs, JWT-like and encoded JSON."""
    shape = rng.randrange(5)
    if shape == 0:
        return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=rng.randint(24, 160)))
    if shape == 1:
        return "".join(rng.choices("0123456789abcdef", k=rng.choice((16, 32, 40, 64))))
    if shape == 2:
        h = "".join(rng.choices("0123456789abcdef", k=32))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if shape == 3:
        parts = ("".join(rng.choices(string.ascii_letters + string.digits + "-_", k=n)) for n in (36, 120, 43))
        return "eyJ" + ".".join(parts)
    payload = "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(8, 40)))
    return f"%7B%22v%22%3A2%2C%22s%22%3A%22{payload}%22%2C%22t%22%3A{rng.randint(10**12, 10**13)}%7D"


def write_jars(directory: Path, seed: int = 612) -> tuple[Path, Path]:
    """The small jar (the INTL passport session) and the big one (the same session and 2,992 more), as Netscape
    cookies.txt files; the same seed writes the same jars."""
    rng = random.Random(seed)
    expiry = int(time.time()) + 30 * 86400
    session = [
        f"{'#HttpOnly_' if http_only else ''}.alibabacloud.com\tTRUE\t/\tTRUE\t{expiry}\t{name}\t{_value(rng)}\n"
        for name, http_only in INTL_PASSPORT_COOKIES
    ]
    more: list[str] = []
    for site in SITES:
        for n in range(DOMAIN_COOKIES_PER_SITE):
            more.append(f".{site}\tTRUE\t/\tTRUE\t{expiry}\t{COOKIE_NAMES[n % len(COOKIE_NAMES)]}_{n}\t{_value(rng)}\n")
    n = 0
    while len(session) + len(more) < JAR_SIZE:
        host = f"{HOST_NAMES[n % len(HOST_NAMES)]}{n // len(HOST_NAMES) or ''}.{SITES[n % len(SITES)]}"
        name = f"{COOKIE_NAMES[n % len(COOKIE_NAMES)]}_{n}"
        more.append(f"{host}\tFALSE\t/\tTRUE\t{expiry}\t{name}\t{_value(rng)}\n")
        n += 1
    small, big = directory / "jar-small.txt", directory / "jar-3000.txt"
    small.write_text("# Netscape HTTP Cookie File\n" + "".join(session))
    big.write_text("# Netscape HTTP Cookie File\n" + "".join(session + more))
    return small, big


# --- in one process: the sweep and the post-sweep phase --------------------------------------------------------


def phases(jars: Sequence[Path], connect_to: str, cacert: str, out: Path, repeats: int) -> dict[str, object]:
    """Per jar, the median seconds of loading it, the sweep (to the last probe's outcome), and the post-sweep phase
    (from there: the environment with the jar's diagnosis, the results table, every format rendered and written),
    measured alternately in this process; and each probe's class, to compare the answers."""
    from prober import catalogue, credentials, probe, routing, store, sweep
    from prober.plan import Plan
    from prober.report import Format
    from prober.report.markdown import result_text
    from prober.runner import Options

    loaded = catalogue.load(ROOT / "probes.yaml")
    options = Options(
        connect_to=(routing.parse(connect_to),), cacert=Path(cacert), settings=probe.Settings(billable=True)
    )
    times: dict[str, dict[str, list[float]]] = {j.name: {"load": [], "sweep": [], "post": []} for j in jars}
    classes: dict[str, dict[str, str]] = {}
    kept: dict[str, int] = {}
    for attempt in range(repeats + 1):  # the first round warms up (imports, TLS contexts, page cache)
        for jar in jars:
            started = time.perf_counter()
            creds = credentials.resolve(os.environ, None, None, credentials.CookieSource(path=jar))
            loaded_at = time.perf_counter()
            last: list[float] = []
            plan = Plan(loaded, loaded.probes, creds, options)
            data = asyncio.run(sweep.run(plan, lambda _, noted=last: noted.append(time.perf_counter())))
            swept = last[-1]  # the last probe's outcome: what follows it (environment, report) is post-sweep
            table = [(p.id, result_text(o)) for p, o in zip(data.probes, data.outcomes, strict=True)]
            store.write_reports(data, out, f"{jar.stem}-{attempt}", tuple(Format))
            finished = time.perf_counter()
            assert table and creds.jar is not None
            kept[jar.name] = len(creds.jar.cookies)
            classes[jar.name] = {o.probe_id: o.klass.value for o in data.outcomes}
            if attempt:
                times[jar.name]["load"].append(loaded_at - started)
                times[jar.name]["sweep"].append(swept - loaded_at)
                times[jar.name]["post"].append(finished - swept)
    medians = {name: {k: statistics.median(v) for k, v in parts.items()} for name, parts in times.items()}
    return {"medians": medians, "classes": classes, "kept": kept, "probes": len(loaded.probes)}


def rows(tmp: Path, connect_to: str, cacert: str, repeats: int = REPEATS) -> list[Row]:
    """The jar rows, against a running replica (`connect_to`, `cacert`)."""
    small, big = write_jars(tmp)
    shipped = ROOT / "probes.yaml"

    def whole(jar: Path, out: str) -> list[str | Path]:
        return [*prober_run(shipped, connect_to, cacert, tmp / out), "--billable", "--cookies", jar,
                "--format", "md,json,junit"]  # fmt: skip

    measure(whole(big, "jar-warm"))  # warm-up
    runs: dict[Path, list[float]] = {small: [], big: []}
    for n in range(repeats):  # interleaved: a burst of load elsewhere hits both alike
        for jar in (small, big):
            runs[jar].append(measure(whole(jar, f"jar-{jar.stem}-{n}")).wall)
    wall = {jar: statistics.median(times) for jar, times in runs.items()}
    child = measure(
        [PY, Path(__file__), "phases", small, big, connect_to, cacert, tmp / "jar-phases", "--repeats", str(repeats)]
    )
    found = json.loads(child.stdout)
    medians, classes = found["medians"], found["classes"]
    if classes[small.name] != classes[big.name]:
        changed = sorted(p for p in classes[small.name] if classes[small.name][p] != classes[big.name].get(p))
        raise SystemExit(f"jar: the 3,000-cookie jar changed the answers of {changed}")
    s, b = medians[small.name], medians[big.name]
    kept = f"{found['kept'][big.name]} of {JAR_SIZE} kept"
    what = f"{found['probes']} probes, --billable, md+json+junit"
    return [
        Row(
            f"Jar 3,000 cookies on Alibaba's domains ({kept}): `prober run` ({what}; median of {repeats})",
            f"{wall[big]:.2f} s",
            f"small jar ({found['kept'][small.name]} cookies) {wall[small]:.2f} s",
            _ratio(wall[big], wall[small]),
            "≤ 2.0",
            _met(wall[big] / wall[small], 2.0),
        ),
        Row(
            "Jar same, in one process: the sweep (jar read to the last probe's outcome)",
            f"{b['sweep']:.2f} s",
            f"small jar {s['sweep']:.2f} s",
            _ratio(b["sweep"], s["sweep"]),
            "",
            "",
        ),
        Row(
            "Jar same, in one process: post-sweep phase (environment and jar diagnosis, results table, "
            "md+json+junit rendered and written)",
            f"{b['post'] * 1000:.0f} ms",
            f"small jar {s['post'] * 1000:.0f} ms",
            _ratio(b["post"], s["post"]),
            "≤ 2.0",
            _met(b["post"] / s["post"], 2.0),
        ),
        Row(
            "Jar same, in one process: reading the jar (Netscape file; every cookie kept)",
            f"{b['load'] * 1000:.0f} ms",
            f"small jar {s['load'] * 1000:.1f} ms",
            _ratio(b["load"], s["load"]),
            "",
            "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("phases", help="(internal) time the phases in this process and print JSON")
    child.add_argument("jars", nargs=2, type=Path)
    child.add_argument("connect_to")
    child.add_argument("cacert")
    child.add_argument("out", type=Path)
    child.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="interleaved runs of each jar (median)")
    parser.add_argument("--write", action="store_true", help="prepend the rows to bench/RESULTS.md")
    args = parser.parse_args()
    if args.command == "phases":
        args.out.mkdir(parents=True, exist_ok=True)
        print(json.dumps(phases(args.jars, args.connect_to, args.cacert, args.out, args.repeats)))
        return
    load_before = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prober-bench-jar-") as name:
        tmp = Path(name)
        with replica(tmp / "replica") as (connect_to, cacert):
            found = rows(tmp, connect_to, cacert, args.repeats)
    load_after = os.getloadavg()
    notes = [
        f"`python bench/jar.py{' --write' if args.write else ''}`: the jar rows of `bench/run.py` alone, "
        f"{args.repeats} interleaved runs of each jar; took {time.perf_counter() - started:.0f} s",
        *machine(),
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after; other work shares this machine",
    ]
    section = render(found, notes, quick=False)
    print(section)
    if args.write:
        prepend(section)
        print("prepended to bench/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
