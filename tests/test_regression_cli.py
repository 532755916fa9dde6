"""Regression use end to end: two sweeps against replica scenarios, `prober diff`, --baseline, exit codes, JUnit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import xmlschema

from prober.demo import DEMO_KEY, INTL_PASSPORT_COOKIES
from tests.cli import prober
from tests.conftest import ScenarioReplica

ROOT = Path(__file__).resolve().parent.parent
XSD = Path(__file__).parent / "data" / "junit.xsd"


def _sweep(tmp_path: Path, flags: tuple[str, str], name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "".join(f".alibabacloud.com\tTRUE\t/\tTRUE\t0\t{n}\ttest-{n}-value\n" for n, _ in INTL_PASSPORT_COOKIES)
    )
    out = tmp_path / name
    return prober(
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


def test_a_changed_scenario_gives_a_diff_naming_exactly_the_changed_probes(
    scenario_replica: ScenarioReplica, tmp_path: Path
) -> None:
    before = _sweep(tmp_path, scenario_replica("observed"), "before")
    assert before.returncode == 0, before.stderr
    after = _sweep(tmp_path, scenario_replica("usage-ratelimited"), "after")
    # The catalogue expects 404 there (CodexBar #612), so the default --fail-on unexpected already fails the run.
    assert after.returncode == 1, after.stderr
    assert "drift: 1 unexpected outcome" in after.stderr
    assert "  - coding-intl-compatible-usage: expected" in after.stderr  # named at the end (issue 14)

    old, new = _report(tmp_path, "before", ".json"), _report(tmp_path, "after", ".json")
    as_json = prober("diff", str(old), str(new), "--format", "json", "--fail-on", "none")
    assert as_json.returncode == 0
    data = json.loads(as_json.stdout)
    assert {c["probe_id"] for c in data["changes"]} == {"coding-intl-compatible-usage"}
    labels = " | ".join(c["label"] for c in data["changes"])
    assert "404 → 200" in labels and "rate-limit headers appeared" in labels

    as_md = prober("diff", str(old), str(new), "--fail-on", "changed", "--format", "md")
    assert as_md.returncode == 1
    assert "| `coding-intl-compatible-usage` |" in as_md.stdout
    assert prober("diff", str(old), str(old), "--fail-on", "changed").returncode == 0

    for junit in (_report(tmp_path, "before", ".junit.xml"), _report(tmp_path, "after", ".junit.xml")):
        xmlschema.XMLSchema(str(XSD)).validate(str(junit))


def test_run_with_baseline_reports_changes_and_fails_on_changed(
    scenario_replica: ScenarioReplica, tmp_path: Path
) -> None:
    flags = scenario_replica("observed")
    assert _sweep(tmp_path, flags, "base").returncode == 0
    baseline = _report(tmp_path, "base", ".json")
    changed = scenario_replica("console-moved")
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


def test_github_step_summary_is_appended(scenario_replica: ScenarioReplica, tmp_path: Path) -> None:
    flags = scenario_replica("observed")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    cookies = tmp_path / "c.txt"
    cookies.write_text(".alibabacloud.com\tTRUE\t/\tTRUE\t0\tcr_token\tsummary-test-value\n")
    result = prober(
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


def test_an_unexpected_outcome_exits_1_by_default(scenario_replica: ScenarioReplica, tmp_path: Path) -> None:
    flags = scenario_replica("quota-exhausted")
    result = _sweep(tmp_path, flags, "q")
    # Under the default --fail-on unexpected, the anthropic probes' `expect: 200` now fails.
    assert result.returncode == 1, result.stdout + result.stderr
    assert _sweep(tmp_path, flags, "q2", "--fail-on", "none").returncode == 0


def test_reports_of_another_schema_version_fail_clearly(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema_version": 0, "results": []}))
    result = prober("diff", str(old), str(old))
    assert result.returncode == 2
    assert "schema_version 0; this prober reads versions 1 and 2" in result.stderr


def test_a_ticket_from_a_real_run_fits_reads_back_and_its_reproducers_work(
    scenario_replica: ScenarioReplica, tmp_path: Path
) -> None:
    """Issue 13 end to end: the INTL jar, the key and the console token against the replica; the ticket file is at
    most 65,536 characters, names the missing ticket cookie and the console-token route, and `prober render`
    reproduces it; curl runs the reproducers with `-b cookies.txt`, --connect-to and --cacert as the run did."""
    import shlex

    from prober import serial
    from prober.replica.behaviours.cligateway import REPLICA_CONSOLE_TOKEN
    from prober.report import curl, ticket
    from tests.test_ticket import check_gfm

    flags = scenario_replica("observed")
    token = {"BAILIAN_CONSOLE_TOKEN": REPLICA_CONSOLE_TOKEN}
    result = _sweep(tmp_path, flags, "t", "--format", "md,json,ticket", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    without = result.stdout.split("\nFindings\n")[1]
    assert "No console token was given: the console-token route (/cli/api.json) is the one that works for" in without
    assert "bl auth login --console" in without

    out = tmp_path / "with-token"
    result = prober(
        "run",
        "--billable",
        "--connect-to",
        flags[0],
        "--cacert",
        flags[1],
        "--cookies",
        str(tmp_path / "cookies.txt"),
        "--out",
        str(out),
        "--format",
        "md,json,ticket",
        "--fail-on",
        "none",
        env={"DASHSCOPE_API_KEY": DEMO_KEY, **token},
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split("\nFindings\n")[1]
    assert "The console-token route works: 5h" in printed
    assert "INTL passport session without login_aliyunid_ticket" in printed
    # Every line but the report paths (which are the user's own --out) fits 100 columns.
    assert all(len(line) <= 100 for line in result.stdout.splitlines() if not line.startswith("wrote "))

    text = _report(tmp_path, "with-token", ".ticket.md").read_text()
    assert len(text) <= ticket.LIMIT
    check_gfm(text)
    findings = text.split("### Findings")[1].split("### Environment")[0]
    assert "without `login_aliyunid_ticket`" in findings and "The console-token route works" in findings
    assert "| Cookie verdict | INTL passport session" in text and "<details><summary>" in text
    report = _report(tmp_path, "with-token", ".json")
    for fmt, suffix in (("ticket", ".ticket.md"), ("md", ".md")):
        rendered = prober("render", str(report), "--format", fmt)
        assert rendered.stdout == report.with_suffix(suffix).read_text(), fmt
    for path in out.iterdir():  # safe to paste: no local path names the jar, the CA or the reports
        assert str(tmp_path) not in path.read_text(), path.name

    # The reproducers, run by curl from a directory holding cookies.txt and ca.pem.
    work = tmp_path / "curl"
    work.mkdir()
    (work / "cookies.txt").write_text((tmp_path / "cookies.txt").read_text())
    (work / "ca.pem").write_text(Path(flags[1]).read_text())
    sweep = serial.load(json.loads(report.read_text()))
    how = curl.reach(sweep.environment)
    assert how.connect_to == (flags[0],) and how.cacert
    pairs = dict(zip((p.id for p in sweep.probes), zip(sweep.probes, sweep.outcomes, strict=True), strict=True))
    for probe_id in ("dashboard-intl", "dashscope-intl-policies", "cli-gateway-intl"):
        probe, outcome = pairs[probe_id]
        script = curl.reproducer(probe, outcome, how)
        if probe_id == "dashboard-intl":
            assert "-b cookies.txt" in script and "this probe sent login_current_pk" in script
        ran = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            cwd=work,
            env={"PATH": os.environ["PATH"], "DASHSCOPE_API_KEY": DEMO_KEY, **token},
            timeout=30,
            check=False,
        )
        assert ran.returncode == 0, (shlex.quote(script), ran.stderr)
        assert ran.stdout.startswith(f"HTTP/1.1 {outcome.first_status} "), (probe_id, ran.stdout[:200])
        if probe_id == "cli-gateway-intl":
            assert "codingPlanInstanceInfos" in ran.stdout
