"""Table-driven tests of the sweep-to-sweep diff and its Markdown / JSON renderers, over hand-built sweeps."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from prober import serial
from prober.diff import CLASS_MEANINGS, compare
from prober.model import (
    Change,
    ChangeKind,
    Comparison,
    Hop,
    Outcome,
    OutcomeClass,
    Probe,
    Quota,
    QuotaWindow,
    Sweep,
    Tags,
    Timings,
    VendorError,
)
from prober.report import changes

USAGE = "https://coding-intl.dashscope.aliyuncs.com/compatible-mode/v1/usage"
RPC = "https://bailian-singapore-cs.alibabacloud.com/data/api.json"
PASSPORT = "https://passport.alibabacloud.com/login/login.htm?oauth_callback=x"
SIGNIN = "https://signin.aliyun.com/login/login.htm?oauth_callback=x"

OLD_START = "2026-01-01T00:00:00Z"
NEW_START = "2026-02-01T00:00:00Z"


def probe(pid: str, url: str = USAGE, surface: str = "api") -> Probe:
    return Probe(id=pid, description=pid, method="GET", url=url, tags=Tags(region="intl", surface=surface))


def outcome(
    pid: str = "p", klass: OutcomeClass = OutcomeClass.NOT_FOUND, status: int | None = 404, **kw: Any
) -> Outcome:
    hops = kw.pop("hops", None)
    if hops is None:
        hops = (Hop("GET", USAGE, status, "x"),) if status is not None else ()
    kw.setdefault("explanation", f"{status}: x")
    return Outcome(probe_id=pid, klass=klass, status=status, hops=hops, **kw)


def sweep(*pairs: tuple[Probe, Outcome], started: str = OLD_START, complete: bool = True) -> Sweep:
    return Sweep(
        environment=(("Tool", "prober test"),),
        probes=tuple(p for p, _ in pairs),
        outcomes=tuple(o for _, o in pairs),
        started_at=started,
        finished_at=started,
        complete=complete,
    )


def one(old: Outcome, new: Outcome, surface: str = "api") -> Comparison:
    p = probe(old.probe_id, surface=surface)
    return compare(sweep((p, old)), sweep((p, new), started=NEW_START))


REDIRECT_PASSPORT = (Hop("POST", RPC, 302, "Found", location=PASSPORT), Hop("GET", PASSPORT, 200, "OK"))
REDIRECT_SIGNIN = (Hop("POST", RPC, 302, "Found", location=SIGNIN), Hop("GET", SIGNIN, 200, "OK"))
QUOTA = Quota(plan="pro", status="VALID", windows=(QuotaWindow("5h", 120, 6000, "2026-01-01T05:00:00Z"),))
LIMITS = (("x-ratelimit-limit-requests", "6000"), ("x-ratelimit-remaining-requests", "5880"))

OK_200: dict[str, Any] = {"klass": OutcomeClass.OK, "status": 200}

# (name, old outcome fields, new outcome fields, surface, expected [(kind, before, after, label)])
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, list[tuple[ChangeKind, str | None, str | None, str]]]] = [
    (
        "endpoint appears",
        {},
        OK_200,
        "api",
        [
            (ChangeKind.STATUS, "404", "200", "404 → 200: the endpoint now exists"),
            (ChangeKind.CLASS, "not_found", "ok", "not_found → ok: the endpoint now exists"),
        ],
    ),
    (
        "endpoint gone",
        OK_200,
        {},
        "api",
        [
            (ChangeKind.STATUS, "200", "404", "200 → 404: the endpoint is gone"),
            (ChangeKind.CLASS, "ok", "not_found", "ok → not_found: the endpoint is gone"),
        ],
    ),
    (
        "key accepted, same status",
        {"klass": OutcomeClass.KEY_REJECTED, "status": 200},
        {"klass": OutcomeClass.OK, "status": 200},
        "api",
        [(ChangeKind.CLASS, "key_rejected", "ok", "key_rejected → ok: the key is now accepted")],
    ),
    (
        "vendor code appears",
        {"klass": OutcomeClass.KEY_REJECTED, "status": 401},
        {
            "klass": OutcomeClass.KEY_REJECTED,
            "status": 401,
            "vendor_error": VendorError("flat", "InvalidApiKey", "Invalid API-key provided.", "req-1"),
        },
        "api",
        [(ChangeKind.VENDOR_CODE, None, "InvalidApiKey", "the vendor now reports error InvalidApiKey")],
    ),
    (
        "vendor code changes",
        {"klass": OutcomeClass.KEY_REJECTED, "status": 401, "vendor_error": VendorError("flat", "InvalidApiKey")},
        {"klass": OutcomeClass.KEY_REJECTED, "status": 401, "vendor_error": VendorError("openai", "invalid_api_key")},
        "api",
        [
            (
                ChangeKind.VENDOR_CODE,
                "InvalidApiKey",
                "invalid_api_key",
                "the vendor's error code changed (InvalidApiKey → invalid_api_key)",
            )
        ],
    ),
    (
        "login host moves",
        {"klass": OutcomeClass.REDIRECT_TO_LOGIN, "status": 200, "hops": REDIRECT_PASSPORT},
        {"klass": OutcomeClass.REDIRECT_TO_LOGIN, "status": 200, "hops": REDIRECT_SIGNIN},
        "console",
        [
            (
                ChangeKind.REDIRECT_HOST,
                "passport.alibabacloud.com",
                "signin.aliyun.com",
                "console now redirects to a different login host (passport.alibabacloud.com → signin.aliyun.com)",
            )
        ],
    ),
    (
        "redirect starts",
        {"klass": OutcomeClass.OK, "status": 200, "hops": (Hop("POST", RPC, 200, "OK"),)},
        {"klass": OutcomeClass.OK, "status": 200, "hops": (Hop("POST", RPC, 200, "OK"), *REDIRECT_SIGNIN[1:])},
        "api",
        [],  # a second hop without a 3xx before it (a retried attempt) is no redirect
    ),
    (
        "redirect starts for real",
        {"klass": OutcomeClass.OK, "status": 200, "hops": (Hop("POST", RPC, 200, "OK"),)},
        {"klass": OutcomeClass.REDIRECT_TO_LOGIN, "status": 200, "hops": REDIRECT_SIGNIN},
        "api",
        [
            (ChangeKind.STATUS, "200", "302", "200 → 302: now redirects"),
            (ChangeKind.CLASS, "ok", "redirect_to_login", "ok → redirect_to_login: now redirects to a login page"),
            (ChangeKind.REDIRECT_HOST, None, "signin.aliyun.com", "now redirects to signin.aliyun.com"),
        ],
    ),
    (
        "rate-limit headers appear",
        OK_200,
        {**OK_200, "rate_limits": LIMITS},
        "api",
        [
            (
                ChangeKind.RATE_LIMITS_APPEARED,
                None,
                "x-ratelimit-limit-requests 6000, x-ratelimit-remaining-requests 5880",
                "rate-limit headers appeared",
            )
        ],
    ),
    (
        "rate-limit headers disappear",
        {**OK_200, "rate_limits": (("retry-after", "30"),)},
        OK_200,
        "api",
        [(ChangeKind.RATE_LIMITS_DISAPPEARED, "retry-after", None, "rate-limit headers disappeared")],
    ),
    (
        "rate-limit headers change",
        {**OK_200, "rate_limits": LIMITS},
        {**OK_200, "rate_limits": (("x-ratelimit-limit-requests", "1200"), ("retry-after", "1"))},
        "api",
        [
            (
                ChangeKind.RATE_LIMITS_CHANGED,
                "x-ratelimit-limit-requests 6000, x-ratelimit-remaining-requests 5880",
                "retry-after, x-ratelimit-limit-requests 1200",
                "rate-limit headers changed (+retry-after; -x-ratelimit-remaining-requests; "
                "x-ratelimit-limit-requests 6000 → 1200)",
            )
        ],
    ),
    (
        "quota becomes available",
        OK_200,
        {**OK_200, "quota": QUOTA},
        "console",
        [(ChangeKind.QUOTA_AVAILABLE, None, "available (pro)", "quota became available")],
    ),
    (
        "quota goes away",
        {**OK_200, "quota": QUOTA},
        OK_200,
        "console",
        [(ChangeKind.QUOTA_UNAVAILABLE, "available (pro)", None, "quota is no longer available")],
    ),
    (
        "transport failure",
        {},
        {"klass": OutcomeClass.DNS_ERROR, "status": None},
        "api",
        [
            (ChangeKind.STATUS, "404", None, "404 → no HTTP answer: the endpoint no longer answers over HTTP"),
            (ChangeKind.CLASS, "not_found", "dns_error", "not_found → dns_error: the host name no longer resolves"),
        ],
    ),
]


@pytest.mark.parametrize(("old", "new", "surface", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_kind(
    old: dict[str, Any],
    new: dict[str, Any],
    surface: str,
    expected: list[tuple[ChangeKind, str | None, str | None, str]],
) -> None:
    result = one(outcome(**old), outcome(**new), surface=surface)
    assert [(c.kind, c.before, c.after, c.label) for c in result.changes] == expected
    assert result.unchanged_count == (0 if expected else 1)
    assert result.changed_ids == (("p",) if expected else ())


def test_every_change_kind_is_exercised() -> None:
    seen = {kind for *_, expected in CASES for kind, *_ in expected}
    assert seen | {ChangeKind.ADDED, ChangeKind.REMOVED} == set(ChangeKind)


def test_every_class_has_a_meaning() -> None:
    assert set(CLASS_MEANINGS) == set(OutcomeClass)


# Everything that differs between two runs of the same answers: none of it may count as a change.
VOLATILE = {
    "explanation": "404: no such endpoint (request 123)",
    "reason": "Not Found at 12:00",
    "timings": Timings(total_ms=999.0, dns_ms=1.0, connect_ms=2.0, first_byte_ms=3.0),
    "remote_addr": "127.0.0.1:50123",
    "diagnostics": (("x-request-id", "req-2"), ("eagleeye-traceid", "trace-2"), ("req-cost-time", "9")),
    "body_excerpt": '{"request_id": "req-2"}',
    "body_bytes": 23,
    "body_truncated": True,
    "final_url": USAGE + "?t=2",
    "content_type": "application/json; charset=utf-8",
    "rate_limits": (("x-ratelimit-reset-requests", "59s"), ("retry-after", "12"), ("RateLimit-Reset", "3")),
    "vendor_error": VendorError("flat", "InvalidApiKey", "message with time 12:00:01", "req-2"),
    "quota": replace(QUOTA, windows=(QuotaWindow("5h", 999, 6000, "2026-02-01T05:00:00Z"),)),
    "expected": False,
    "unexpected_reason": "changed reason",
}


@pytest.mark.parametrize("field", sorted(VOLATILE))
def test_volatile_fields_never_count(field: str) -> None:
    base: dict[str, Any] = {
        "rate_limits": (("x-ratelimit-reset-requests", "1s"), ("retry-after", "1"), ("ratelimit-reset", "1")),
        "vendor_error": VendorError("flat", "InvalidApiKey", "message", "req-1"),
        "quota": QUOTA,
    }
    old = outcome(**base)
    new = outcome(**{**base, field: VOLATILE[field]})
    assert one(old, new).changes == ()


def test_hop_details_other_than_status_and_redirect_host_never_count() -> None:
    old = outcome(klass=OutcomeClass.REDIRECT_TO_LOGIN, status=200, hops=REDIRECT_PASSPORT)
    hops = (
        Hop("POST", RPC, 302, "Moved", location=PASSPORT + "&t=2", cookies_sent=("a",), cookies_set=("acw_tc",)),
        Hop("GET", PASSPORT + "&t=2", 200, "OK", key_sent=False),
    )
    assert one(old, replace(old, hops=hops)).changes == ()


def test_added_and_removed_follow_catalogue_order() -> None:
    a, b, c, d = (probe(x) for x in "abcd")
    old = sweep((a, outcome("a")), (b, outcome("b")), (c, outcome("c")))
    new = sweep((d, outcome("d", **OK_200)), (a, outcome("a")), (c, outcome("c", **OK_200)), started=NEW_START)
    result = compare(old, new)
    assert result.added == ("d",)
    assert result.removed == ("b",)
    assert result.unchanged_count == 1
    assert result.changed_ids == ("d", "c", "b")
    assert [(ch.probe_id, ch.kind) for ch in result.changes] == [
        ("d", ChangeKind.ADDED),
        ("c", ChangeKind.STATUS),
        ("c", ChangeKind.CLASS),
        ("b", ChangeKind.REMOVED),
    ]
    assert result.changes[0] == Change("d", ChangeKind.ADDED, None, "200 ok", "new probe: not in the old sweep")
    assert result.changes[-1] == Change("b", ChangeKind.REMOVED, "404 not_found", None, "not in the new sweep")
    assert (result.old_started_at, result.new_started_at) == (OLD_START, NEW_START)


def test_an_interrupted_sweep_says_why_probes_are_missing() -> None:
    a, b = probe("a"), probe("b")
    result = compare(sweep((a, outcome("a")), (b, outcome("b"))), sweep((a, outcome("a")), complete=False))
    assert result.changes == (
        Change("b", ChangeKind.REMOVED, "404 not_found", None, "not in the new sweep (it was interrupted)"),
    )


def test_a_sweep_compared_with_itself_after_a_json_round_trip_has_no_changes() -> None:
    s = sweep(
        (probe("a"), outcome("a", rate_limits=LIMITS, quota=QUOTA)), (probe("b", surface="console"), outcome("b"))
    )
    again = serial.load(json.loads(json.dumps(serial.dump(s))))
    result = compare(s, again)
    assert (result.changes, result.unchanged_count) == ((), 2)


# --------------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------------


def _example() -> Comparison:
    a, b = probe("coding-intl-compatible-usage"), probe("gone|piped")
    old = sweep((a, outcome(a.id)), (b, outcome(b.id)))
    new = sweep((a, outcome(a.id, **OK_200, rate_limits=LIMITS)), started=NEW_START)
    return compare(old, new)


def test_markdown_table() -> None:
    assert changes.markdown(_example()) == (
        "## Changes since 2026-01-01T00:00:00Z\n"
        "\n"
        "| Probe | Change | Before | After |\n"
        "|---|---|---|---|\n"
        "| `coding-intl-compatible-usage` | 404 → 200: the endpoint now exists | `404` | `200` |\n"
        "| `coding-intl-compatible-usage` | `not_found` → ok: the endpoint now exists | `not_found` | `ok` |\n"
        "| `coding-intl-compatible-usage` | rate-limit headers appeared | — "
        "| `x-ratelimit-limit-requests 6000, x-ratelimit-remaining-requests 5880` |\n"
        "| `gone\\|piped` | not in the new sweep | `404 not_found` | — |\n"
        "\n"
        "4 changes in 2 probes; 0 added, 1 removed, 0 unchanged. "
        "Old sweep started 2026-01-01T00:00:00Z, new sweep started 2026-02-01T00:00:00Z.\n"
    )


def test_markdown_without_changes() -> None:
    s = sweep((probe("a"), outcome("a")))
    assert changes.markdown(compare(s, replace(s, started_at=NEW_START))) == (
        "## Changes since 2026-01-01T00:00:00Z\n"
        "\n"
        "No changes.\n"
        "\n"
        "0 changes in 0 probes; 0 added, 0 removed, 1 unchanged. "
        "Old sweep started 2026-01-01T00:00:00Z, new sweep started 2026-02-01T00:00:00Z.\n"
    )


def test_json_is_stable_and_complete() -> None:
    text = changes.json(_example())
    assert text == changes.json(_example())
    data = json.loads(text)
    assert list(data) == [
        "old_started_at",
        "new_started_at",
        "summary",
        "environment",
        "added",
        "removed",
        "changes",
        "not_compared",
    ]
    assert data["summary"] == {
        "changes": 4,
        "changed_probes": 2,
        "added": 0,
        "removed": 1,
        "unchanged": 0,
        "not_compared": 0,
    }
    assert data["environment"] == data["not_compared"] == []
    assert data["removed"] == ["gone|piped"]
    assert data["changes"][0] == {
        "probe_id": "coding-intl-compatible-usage",
        "kind": "status",
        "before": "404",
        "after": "200",
        "label": "404 → 200: the endpoint now exists",
    }
    assert "→" in text  # written as UTF-8, not \u escapes


# --------------------------------------------------------------------------------------------------
# Issue 14: skipped probes are not compared; environment differences come first
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ({}, {"klass": OutcomeClass.SKIPPED, "status": None}, "skipped in the new sweep: None: x"),
        ({"klass": OutcomeClass.SKIPPED, "status": None}, OK_200, "skipped in the old sweep: None: x"),
        (
            {"klass": OutcomeClass.SKIPPED, "status": None},
            {"klass": OutcomeClass.SKIPPED, "status": None},
            "skipped in both sweeps: None: x",
        ),
        (
            {"klass": OutcomeClass.UNMODELLED, "status": 501},
            {"klass": OutcomeClass.SKIPPED, "status": None},
            "unmodelled in the old sweep: 501: x; skipped in the new sweep: None: x",
        ),
    ],
)
def test_a_probe_skipped_or_unmodelled_on_a_side_is_not_compared(
    old: dict[str, Any], new: dict[str, Any], why: str
) -> None:
    result = one(outcome(**old), outcome(**new, rate_limits=LIMITS))
    assert result.changes == ()
    assert result.not_compared == (("p", why),)
    assert result.unchanged_count == 0
    assert changes.count_line(result) == "0 changes in 0 probes; 0 added, 0 removed, 0 unchanged, 1 not compared."
    assert "Not compared (skipped or unmodelled on a side: nothing to compare):" in changes.markdown(result)
    assert f"- `p`: {why}" in changes.markdown(result)


KEY_A = "sk-sp-… (38 chars, fingerprint sha256:aaaaaaaaaa)"
KEY_B = "sk-sp-… (38 chars, fingerprint sha256:bbbbbbbbbb)"
INTL = "INTL passport session: passport cookies login_aliyunid_pk without login_aliyunid_ticket"
CN = "CN ticket session: login_aliyunid_ticket present"


def _env(**rows: str) -> tuple[tuple[str, str], ...]:
    base = {
        "Tool": "prober 0.1.0",
        "Catalogue": "probes.yaml (sha256 0123456789abcdef)",
        "Probes": "79",
        "Selection": "all",
        "API key": f"{KEY_A} from env DASHSCOPE_API_KEY",
        "Console token": "none",
        "Cookies": "Netscape cookies.txt, 8 cookies",
        "Connect-to": "none",
        "Proxy": "none",
        "Billable probes": "skipped",
    }
    pairs = [(k, v) for k, v in (base | rows).items() if v != "-"]
    pairs.insert(7, ("Cookie verdict", rows.get("verdict", INTL)))
    return tuple((k, v) for k, v in pairs if k != "verdict")


def test_the_same_key_from_another_source_is_the_same_environment() -> None:
    from prober.diff import environment_differences

    same = environment_differences(_env(), _env(**{"API key": f"{KEY_A} from file (--key-file)", "Probes": "3"}))
    assert same == ()


def test_every_environment_fact_that_makes_a_comparison_suspect_is_named() -> None:
    from prober.diff import environment_differences

    new = _env(
        **{
            "API key": f"{KEY_B} from env DASHSCOPE_API_KEY",
            "Console token": "other… (38 chars, fingerprint sha256:cccccccccc) from bl config",
            "verdict": CN,
            "Catalogue": "probes.yaml (sha256 fedcba9876543210)",
            "Selection": "--select region=cn",
            "Billable probes": "sent",
            "Tool": "prober 0.2.0",
            "Connect-to": "::127.0.0.1:8443",
            "Proxy": "HTTPS_PROXY from the environment",
        }
    )
    found = environment_differences(_env(), new)
    assert [(d.name, d.before, d.after) for d in found] == [
        ("API key", KEY_A, KEY_B),
        ("Console token", "none", "other… (38 chars, fingerprint sha256:cccccccccc)"),
        ("Cookie verdict", "INTL passport session", "CN ticket session"),
        ("Catalogue", "sha256 0123456789abcdef", "sha256 fedcba9876543210"),
        ("Selection", "all", "--select region=cn"),
        ("Billable probes", "skipped", "sent"),
        ("Tool", "prober 0.1.0", "prober 0.2.0"),
        ("Connect-to", "none", "::127.0.0.1:8443"),
        ("Proxy", "none", "HTTPS_PROXY from the environment"),
    ]
    assert found[0].label == "another key (or none): answers depend on whose key it is"
    # No cookies at all is a verdict of its own; a row an older report lacks is not compared.
    gone = environment_differences(_env(), _env(Cookies="none", Selection="-"))
    assert [(d.name, d.before, d.after) for d in gone] == [("Cookie verdict", "INTL passport session", "no cookies")]


def test_a_diff_of_sweeps_with_different_keys_warns_before_its_table() -> None:
    from prober.report import terminal

    p = probe("p")
    old = replace(sweep((p, outcome())), environment=_env())
    new = replace(
        sweep((p, outcome(**OK_200)), started=NEW_START),
        environment=_env(**{"API key": f"{KEY_B} from env DASHSCOPE_API_KEY"}),
    )
    result = compare(old, new)
    assert [d.name for d in result.environment] == ["API key"]
    text = terminal.comparison(result)
    assert text.index("Warning: the sweeps ran in different environments") < text.index("Changes since")
    assert "  - API key: another key (or none)" in text and "sha256:aaaaaaaaaa)" in text
    md = changes.markdown(result)
    assert md.index("**The sweeps ran in different environments**") < md.index("| Probe | Change |")
    assert "- API key: `sk-sp-… (38 chars, fingerprint sha256:aaaaaaaaaa)` → `sk-sp-… (38 chars" in md
    again = serial.load_comparison(serial.dump_comparison(result))
    assert again == result


def test_a_comparison_stored_before_issue_14_reads_back_and_renders_as_written() -> None:
    stored = serial.dump_comparison(_example())
    for key in ("environment", "not_compared"):
        del stored[key]
    del stored["summary"]["not_compared"]
    loaded = serial.load_comparison(stored)
    assert loaded == _example()
    assert "not compared" not in changes.markdown(loaded) and "environments" not in changes.markdown(loaded)


def test_prober_diff_of_sweeps_made_with_different_keys_warns_first(tmp_path: Path) -> None:
    from tests.cli import prober

    p = probe("p")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(serial.dump(replace(sweep((p, outcome())), environment=_env()))))
    other = _env(**{"API key": f"{KEY_B} from env DASHSCOPE_API_KEY"})
    new.write_text(json.dumps(serial.dump(replace(sweep((p, outcome()), started=NEW_START), environment=other))))
    result = prober("diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Warning: the sweeps ran in different environments")
    assert lines[1] == "  - API key: another key (or none): answers depend on whose key it is"
    warning = " ".join(line.strip() for line in lines[2 : lines.index("Changes since 2026-01-01T00:00:00Z")]).strip()
    assert warning == f"{KEY_A} → {KEY_B}"
    md = prober("diff", str(old), str(new), "--format", "md").stdout
    assert md.index("**The sweeps ran in different environments**") < md.index("No changes.")
    assert json.loads(prober("diff", str(old), str(new), "--format", "json").stdout)["environment"][0]["name"] == (
        "API key"
    )
