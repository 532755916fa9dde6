"""What makes speed possible, checked without a clock (bench/run.py measures the speed itself; issue 6).

- Start-up: `prober --version` imports no aiohttp (nor YAML); `prober check` imports no aiohttp; a cookie file
  loads no browser decryption.
- Connection reuse: the probes to one host share the pooled connections; the replica counts them.
- No quadratic work: loading the catalogue, redacting the report data and rendering it cost a number of function
  calls proportional to the number of probes. Calls (Python and C) are counted with sys.setprofile, which is
  deterministic; a quadratic pass (re-scanning all outcomes per probe, re-compiling a pattern per string) would
  multiply the count by 16 when the sweep grows 4x, a linear one by 4.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prober import catalogue, routing, serial, sweep
from prober.credentials import Credentials
from prober.model import Catalogue, Hop, Outcome, OutcomeClass, Sweep, Timings
from prober.plan import Plan
from prober.probe import Settings
from prober.redact import Redactor, Secret
from prober.replica import server as replica_server
from prober.replica.behaviours import common
from prober.report import json as json_report
from prober.report import markdown
from prober.runner import Options
from tests.conftest import Server
from tests.counting import calls

ROOT = Path(__file__).resolve().parent.parent

# Modules the sweep needs and start-up does not: the HTTP stack, YAML; and what only a cookie source needs:
# Chromium's decryption, Firefox's session-file decompression.
_HEAVY = ("aiohttp", "yarl", "multidict", "yaml", "cryptography", "lz4")

# main(), not `python -m prober`: the command ends its process with os._exit (cli.entry), before this could look.
_MODULES_AFTER = """
import sys
from prober.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = {HEAVY!r}
print("HEAVY:", *sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy)))
"""


def _heavy_modules_after(*args: str) -> set[str]:
    code = _MODULES_AFTER.format(HEAVY=_HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("HEAVY:")]
    return set(line.split()[1:])


def test_version_imports_no_http_stack_or_yaml() -> None:
    assert _heavy_modules_after("--version") == set()


def test_check_imports_no_http_stack() -> None:
    loaded = _heavy_modules_after("check", str(ROOT / "probes.yaml"))
    assert "yaml" in loaded  # the probe itself works: check has to read the catalogue
    assert loaded & {"aiohttp", "yarl", "multidict", "cryptography"} == set()


def test_a_cookie_file_loads_no_browser_decryption(tmp_path: Path) -> None:
    """Chromium's cookie decryption (the `cryptography` package, tens of ms) loads for a Chromium profile only."""
    jar = tmp_path / "cookies.txt"
    jar.write_text(".aliyun.com\tTRUE\t/\tTRUE\t4102444800\tlogin_aliyunid_ticket\tperf-ticket-value-1\n")
    assert "cryptography" not in _heavy_modules_after("cookies", str(jar))


def test_a_run_without_cookies_loads_no_cookie_file_reader(tmp_path: Path, serve: Callable[..., Server]) -> None:
    """The readers of cookie files (Firefox's LZ4 among them) load when a cookie file is read, not for every run."""
    server = serve({})
    catalogue_path = tmp_path / "probes.yaml"
    catalogue_path.write_text(_generated(1, host="api.example.test"))
    loaded = _heavy_modules_after(
        "run", str(catalogue_path), "--no-credentials", "--connect-to", server.connect_to,
        "--cacert", str(server.ca_path), "--out", str(tmp_path / "out"), "--fail-on", "none",
    )  # fmt: skip
    assert "aiohttp" in loaded  # the probe itself works: the run sent its request
    assert loaded & {"lz4", "cryptography"} == set()
    assert len(server.seen.requests) == 1


# --- connection reuse ----------------------------------------------------------------------------------------


def _generated(count: int, host: str = common.DASHSCOPE_INTL, path: str = "/api/v1/policies") -> str:
    lines = ["version: 1", "probes:"]
    lines += [
        f'  - {{id: p-{n:05d}, description: generated, method: GET, url: "https://{host}{path}?n={n}", '
        f"auth: none, tags: {{region: intl, surface: api, cost: free}}, source: tests}}"
        for n in range(count)
    ]
    return "\n".join(lines) + "\n"


async def _sweep_on_replica(loaded: Catalogue, per_host: int, directory: Path) -> tuple[int, Sweep]:
    replica = await replica_server.start(port=0, directory=directory)
    try:
        options = Options(
            concurrency=16,
            per_host=per_host,
            settings=Settings(user_agent="prober-test"),
            connect_to=(routing.parse(replica.connect_to),),
            cacert=replica.ca_path,
        )
        data = await sweep.run(Plan(loaded, loaded.probes, Credentials(), options))
        return replica.connections, data
    finally:
        await replica.close()


@pytest.mark.parametrize("per_host", [1, 4])
def test_probes_to_one_host_share_connections(tmp_path: Path, per_host: int) -> None:
    loaded = catalogue.parse(_generated(30))
    connections, result = asyncio.run(_sweep_on_replica(loaded, per_host, tmp_path))
    assert [o.status for o in result.outcomes] == [404] * 30
    # At most one connection per request in flight: 30 probes through `per_host` slots reuse the pool. Without
    # reuse this would be 30 (one TLS handshake per probe).
    assert 1 <= connections <= per_host


# --- no quadratic work ---------------------------------------------------------------------------------------


def _growth(work: Callable[[int], object], small: int = 200, factor: int = 4) -> float:
    work(small)  # warm caches (re, imports) so both counts see the same steady state
    return calls(lambda: work(small * factor)) / calls(lambda: work(small))


def test_catalogue_loading_is_linear_in_probes() -> None:
    texts = {n: _generated(n) for n in (200, 800)}
    growth = _growth(lambda n: catalogue.parse(texts[n]))
    assert growth < 4.5, f"loading 4x the probes made {growth:.1f}x the calls"


def _report_sweep(count: int) -> Sweep:
    loaded = catalogue.parse(_generated(count))
    outcomes = tuple(
        Outcome(
            probe_id=p.id,
            klass=OutcomeClass.NOT_FOUND,
            explanation="404: no such endpoint on this host",
            status=404,
            reason="Not Found",
            hops=(Hop(method="GET", url=p.url, status=404, reason="Not Found"),),
            final_url=p.url,
            timings=Timings(total_ms=1.0, first_byte_ms=1.0),
            remote_addr="127.0.0.1:443",
            diagnostics=(("server", "prober-replica"), ("x-request-id", f"req-{n}")),
            body_excerpt=f"echo sk-sp-{'x' * 24} cookie-value-{n:06d}",
            body_bytes=64,
        )
        for n, p in enumerate(loaded.probes)
    )
    return Sweep(
        environment=(("Tool", "prober test"),),
        probes=loaded.probes,
        outcomes=outcomes,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
    )


def test_scrubbing_a_string_costs_one_pass_whatever_its_length() -> None:
    """Server text is scrubbed as it enters an outcome, one normalising pass and one automaton scan per string:
    the number of calls does not grow with the string (only with the escapes and matches in it)."""
    redactor = Redactor([Secret("cookie-value-000001")], trusted=[Secret("sk-sp-" + "k" * 26)])
    short, long = "a" * 100, "a" * 100_000
    redactor.text(short)
    assert calls(lambda: redactor.text(long)) == calls(lambda: redactor.text(short))


@pytest.mark.parametrize("render", [markdown.render, json_report.render], ids=["markdown", "json"])
def test_rendering_is_linear_in_outcomes(render: Callable[[Sweep], str]) -> None:
    sweeps = {n: _report_sweep(n) for n in (200, 800)}
    growth = _growth(lambda n: render(sweeps[n]))
    assert growth < 4.5, f"rendering 4x the outcomes made {growth:.1f}x the calls"


def test_report_round_trip_is_linear_in_outcomes() -> None:
    data = {n: serial.dump(_report_sweep(n)) for n in (200, 800)}
    growth = _growth(lambda n: serial.load(data[n]))
    assert growth < 4.5, f"loading a report 4x the size made {growth:.1f}x the calls"
