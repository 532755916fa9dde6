"""`prober compare`: sweeps side by side, a column per sweep and a row per probe, rows that differ marked; labels from
--label or from each sweep's environment; terminal, Markdown and JSON; and the command itself."""

from __future__ import annotations

import json
from pathlib import Path

from prober import lineup
from prober.model import Hop, Outcome, OutcomeClass, Probe, Sweep, Tags, VendorError
from prober.report import Format, renderer, terminal
from prober.report import lineup as shown
from tests.cli import prober
from tests.test_ticket import check_gfm

RPC = "https://bailian-singapore-cs.alibabacloud.com/data/api.json"
PASSPORT = "https://passport.alibabacloud.com/login/login.htm"
MODELS = "https://dashscope-intl.aliyuncs.com/api/v1/models"


def _env(verdict: str, fingerprint: str) -> tuple[tuple[str, str], ...]:
    return (
        ("Tool", "prober 0.1.0"),
        ("Catalogue", "probes.yaml (sha256 0123456789abcdef)"),
        ("Selection", "all"),
        ("API key", f"sk-sp-… (38 chars, fingerprint sha256:{fingerprint}) from env DASHSCOPE_API_KEY"),
        ("Console token", "none"),
        ("Cookies", "Netscape cookies.txt, 8 cookies"),
        ("Cookie verdict", f"{verdict}: because"),
        ("Connect-to", "none"),
    )


def _probe(pid: str, url: str) -> Probe:
    return Probe(pid, pid, "GET", url, tags=Tags(region="intl", surface="console"))


def _answer(pid: str, status: int, url: str = MODELS, **kw: object) -> Outcome:
    klass = kw.pop("klass", OutcomeClass.OK if status == 200 else OutcomeClass.KEY_REJECTED)
    return Outcome(pid, klass, f"{status}", status=status, hops=(Hop("GET", url, status, "x"),), **kw)  # type: ignore[arg-type]


def intl() -> Sweep:
    redirect = Outcome(
        "dashboard",
        OutcomeClass.REDIRECT_TO_LOGIN,
        "302 → passport",
        status=200,
        hops=(Hop("GET", RPC, 302, "Found", location=PASSPORT), Hop("GET", PASSPORT, 200, "OK")),
    )
    pairs = [
        (_probe("models", MODELS), _answer("models", 401, vendor_error=VendorError("flat", "InvalidApiKey"))),
        (_probe("dashboard", RPC), redirect),
        (_probe("token", RPC), Outcome("token", OutcomeClass.SKIPPED, "no console token: set BAILIAN_CONSOLE_TOKEN")),
        (_probe("intl-only", MODELS), _answer("intl-only", 200, expected=False, unexpected_reason="wanted 404")),
    ]
    return Sweep(
        _env("INTL passport session", "aaaaaaaaaa"),
        tuple(p for p, _ in pairs),
        tuple(o for _, o in pairs),
        "2026-12-01T08:00:00Z",
        "2026-12-01T08:00:09Z",
    )


def cn() -> Sweep:
    pairs = [
        (_probe("models", MODELS), _answer("models", 401, vendor_error=VendorError("flat", "InvalidApiKey"))),
        (_probe("dashboard", RPC), _answer("dashboard", 200, url=RPC)),
        (_probe("token", RPC), _answer("token", 200, url=RPC)),
        (_probe("cn-only", MODELS), _answer("cn-only", 404, klass=OutcomeClass.NOT_FOUND)),
    ]
    return Sweep(
        _env("CN ticket session", "bbbbbbbbbb"),
        tuple(p for p, _ in pairs),
        tuple(o for _, o in pairs),
        "2026-12-02T09:30:00Z",
        "2026-12-02T09:30:05Z",
    )


def test_rows_that_differ_are_marked_and_the_rest_are_same_or_not_compared() -> None:
    table = lineup.build([intl(), cn()], ["INTL", "CN"])
    assert [c.label for c in table.columns] == ["INTL", "CN"]
    rows = {r.id: r for r in table.rows}
    assert [r.id for r in table.rows] == ["models", "dashboard", "token", "intl-only", "cn-only"]
    assert (rows["models"].differs, rows["models"].compared) == (False, 2)
    assert (rows["dashboard"].differs, rows["dashboard"].compared) == (True, 2)
    # Skipped on one side, or in one sweep only: nothing to compare it with.
    assert [(rows[i].differs, rows[i].compared) for i in ("token", "intl-only", "cn-only")] == [(False, 1)] * 3
    assert rows["cn-only"].outcomes[0] is None
    assert (table.differing, table.uncompared) == (1, 3)


def test_labels_default_to_the_environment_and_stay_unique() -> None:
    table = lineup.build([intl(), cn(), intl()], ["INTL"])
    assert [c.label for c in table.columns] == [
        "INTL",
        "CN ticket session · key bbbbbb · 2026-12-02 09:30",
        "INTL passport session · key aaaaaa · 2026-12-01 08:00",
    ]
    same = lineup.build([intl(), intl()])
    assert [c.label for c in same.columns] == [
        "INTL passport session · key aaaaaa · 2026-12-01 08:00",
        "INTL passport session · key aaaaaa · 2026-12-01 08:00 #2",
    ]


def test_the_terminal_shows_one_table_with_a_column_per_sweep() -> None:
    text = shown.text(lineup.build([intl(), cn()], ["INTL", "CN"]))
    lines = text.splitlines()
    assert all(terminal.width_of(line) <= terminal.WIDTH for line in lines)
    header = next(line for line in lines if line.lstrip().startswith("Probe"))
    assert header.split() == ["Probe", "INTL", "CN"]
    row = next(line for line in lines if "dashboard" in line)
    assert row.startswith("≠ dashboard")
    assert "302 → passport.alibabacloud.com" in row and row.rstrip().endswith("200")
    assert next(line for line in lines if " models" in line).split()[1:] == ["401", "InvalidApiKey"] * 2
    assert "intl-only" in text and "200 ⚠" in text and "—" in next(line for line in lines if "cn-only" in line)
    assert "  INTL: started 2026-12-01T08:00:00Z; API key sk-sp-… (38 chars, fingerprint sha256:aaaaaaaaaa)" in text
    assert (
        lines[-1] == "5 probes in 2 sweeps: 1 differ, 1 the same, 3 not compared (answered in fewer than two sweeps)."
    )


def test_markdown_and_json() -> None:
    table = lineup.build([intl(), cn()], ["INTL", "CN"])
    md = shown.markdown(table)
    check_gfm(md)
    assert "| | Probe | INTL | CN |" in md
    assert "| ≠ | `dashboard` | 302 → `passport.alibabacloud.com` | 200 |" in md
    assert (
        "| Sweep | Started | API key | Console token | Cookie verdict | Catalogue | Selection | Tool | Connect-to |"
        in md
    )
    data = json.loads(shown.json(table))
    assert [s["label"] for s in data["sweeps"]] == ["INTL", "CN"]
    assert data["summary"] == {"probes": 5, "differ": 1, "same": 1, "not_compared": 3}
    dashboard = next(r for r in data["rows"] if r["probe_id"] == "dashboard")
    assert dashboard["differs"] is True
    assert [r["redirect_host"] for r in dashboard["results"]] == ["passport.alibabacloud.com", None]
    assert next(r for r in data["rows"] if r["probe_id"] == "cn-only")["results"][0] is None


def test_the_command(tmp_path: Path) -> None:
    paths = []
    for name, sweep in (("intl", intl()), ("cn", cn())):
        path = tmp_path / f"{name}.json"
        path.write_text(renderer(Format.JSON)(sweep))
        paths.append(str(path))
    result = prober("compare", paths[0], "--label", "INTL", paths[1], "--label", "CN")
    assert result.returncode == 0, result.stderr
    assert next(line for line in result.stdout.splitlines() if line.lstrip().startswith("Probe")).split() == [
        "Probe",
        "INTL",
        "CN",
    ]
    as_md = prober("compare", *paths, "--format", "md")
    assert "| | Probe | INTL passport session · key aaaaaa · `2026-12-01` `08:00` | CN ticket session" in as_md.stdout
    for args, needle in (
        ([paths[0]], "give at least two reports to compare"),
        ([*paths, "--label", "a", "--label", "b", "--label", "c"], "3 labels for 2 reports"),
        ([paths[0], "probes.yaml"], "is not JSON"),
    ):
        bad = prober("compare", *args)
        assert bad.returncode == 2 and needle in bad.stderr, bad.stderr


def test_hostile_ids_and_labels_stay_inert() -> None:
    """A report read back may hold anything: ids and labels cannot break the table, print escapes or open HTML."""
    from dataclasses import replace

    evil = "a|b`c\x1b]52;c;Zm9v\x07<img src=x>\n| forged |"
    sweep = intl()
    sweep = replace(
        sweep,
        probes=(replace(sweep.probes[0], id=evil), *sweep.probes[1:]),
        outcomes=(replace(sweep.outcomes[0], probe_id=evil), *sweep.outcomes[1:]),
    )
    table = lineup.build([sweep, cn()], [evil, "CN"])
    check_gfm(shown.markdown(table))  # every row keeps its cells; no HTML, only text and code spans
    text = shown.text(table)
    assert "\x1b" not in text and "\x07" not in text
    assert not any(line.lstrip().startswith("| forged") for line in text.splitlines())  # the newline stays escaped
    json.loads(shown.json(table))
