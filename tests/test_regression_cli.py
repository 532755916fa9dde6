"""Regression use end to end: two sweeps against replica scenarios, `prober diff`, --baseline, exit codes, JUnit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema

from prober.demo import DEMO_KEY, INTL_PASSPORT_COOKIES

ROOT = Path(__file__).resolve().parent.parent
XSD = Path(__file__).parent / "data" / "junit.xsd"


def _prober(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "prober", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full,
        timeout=120,
        check=False,
    )


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(scenario: str) -> tuple[str, str]:
        directory = tmp_path / f"replica-{scenario}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "prober", "replica", "--port", "0", "--scenario", scenario, "--dir", str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        procs.append(proc)
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if match := re.search(r"--connect-to (\S+) --cacert (\S+)", line):
                return match.group(1), match.group(2)
        raise AssertionError("the replica did not print its flags")

    yield start
    for proc in procs:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes


def _sweep(tmp_path: Path, flags: tuple[str, str], name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "".join(f".alibabacloud.com\tTRUE\t/\tTRUE\t0\t{n}\ttest-{n}-value\n" for n, _ in INTL_PASSPORT_COOKIES)
    )
    out = tmp_path / name
    return _prober(
        "run",
        "--billable",
        "--connect-to",
        flags[0],
        "--cacert",
        flags[1],
        "--cookies",
        str(cookies),
        "--out",
        str(out),
        "--format",
        "md,json,junit",
        *extra,
        env={"DASHSCOPE_API_KEY": DEMO_KEY},
    )


def _report(tmp_path: Path, name: str, suffix: str) -> Path:
    (path,) = (tmp_path / name).glob(f"*{suffix}")
    return path


def test_a_changed_scenario_gives_a_diff_naming_exactly_the_changed_probes(replica, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = _sweep(tmp_path, replica("observed"), "before")
    assert before.returncode == 0, before.stderr
    after = _sweep(tmp_path, replica("usage-ratelimited"), "after")
    # The catalogue expects 404 there (CodexBar #612), so the default --fail-on unexpected already fails the run.
    assert after.returncode == 1, after.stderr
    assert "1 unexpected outcomes" in after.stderr

    old, new = _report(tmp_path, "before", ".json"), _report(tmp_path, "after", ".json")
    as_json = _prober("diff", str(old), str(new), "--format", "json", "--fail-on", "none")
    assert as_json.returncode == 0
    data = json.loads(as_json.stdout)
    assert {c["probe_id"] for c in data["changes"]} == {"coding-intl-compatible-usage"}
    labels = " | ".join(c["label"] for c in data["changes"])
    assert "404 → 200" in labels and "rate-limit headers appeared" in labels

    as_md = _prober("diff", str(old), str(new), "--fail-on", "changed")
    assert as_md.returncode == 1
    assert "| `coding-intl-compatible-usage` |" in as_md.stdout
    assert _prober("diff", str(old), str(old), "--fail-on", "changed").returncode == 0

    for junit in (_report(tmp_path, "before", ".junit.xml"), _report(tmp_path, "after", ".junit.xml")):
        xmlschema.XMLSchema(str(XSD)).validate(str(junit))


def test_run_with_baseline_reports_changes_and_fails_on_changed(replica, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flags = replica("observed")
    assert _sweep(tmp_path, flags, "base").returncode == 0
    baseline = _report(tmp_path, "base", ".json")
    changed = replica("console-moved")
    summary = tmp_path / "summary.md"
    result = _sweep(tmp_path, changed, "new", "--baseline", str(baseline), "--fail-on", "changed")
    assert result.returncode == 1, result.stderr
    assert "Failed (--fail-on changed)" in result.stderr
    markdown = _report(tmp_path, "new", ".md").read_text()
    assert "## Changes since" in markdown
    assert "dashboard-intl" in markdown.split("## Changes since")[1].split("## Results")[0]
    # The same run with --fail-on none exits 0, and the GitHub job summary gets the short report.
    again = _sweep(tmp_path, changed, "again", "--baseline", str(baseline), "--fail-on", "none")
    assert again.returncode == 0
    with_summary = subprocess.run(
        [sys.executable, "-m", "prober", "render", str(_report(tmp_path, "again", ".json"))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert with_summary.stdout == _report(tmp_path, "again", ".md").read_text()
    assert not summary.exists()


def test_github_step_summary_is_appended(replica, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flags = replica("observed")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    cookies = tmp_path / "c.txt"
    cookies.write_text(".alibabacloud.com\tTRUE\t/\tTRUE\t0\tcr_token\tsummary-test-value\n")
    result = _prober(
        "run",
        "--select",
        "dashscope-intl-*",
        "--connect-to",
        flags[0],
        "--cacert",
        flags[1],
        "--out",
        str(tmp_path / "r"),
        env={"DASHSCOPE_API_KEY": DEMO_KEY, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    assert text.startswith("earlier step\n# prober report")
    assert "| `dashscope-intl.aliyuncs.com/api/v1/policies` | 404 |" in text


def test_an_unexpected_outcome_exits_1_by_default(replica, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flags = replica("quota-exhausted")
    result = _sweep(tmp_path, flags, "q")
    # Under the default --fail-on unexpected, the anthropic probes' `expect: 200` now fails.
    assert result.returncode == 1, result.stdout + result.stderr
    assert _sweep(tmp_path, flags, "q2", "--fail-on", "none").returncode == 0


def test_reports_of_another_schema_version_fail_clearly(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema_version": 0, "results": []}))
    result = _prober("diff", str(old), str(old))
    assert result.returncode == 2
    assert "schema_version 0; this prober reads version 1" in result.stderr
