"""The ticket form (`--format ticket`): under GitHub's 65,536-character comment limit for any sweep, valid GFM with
the right cell counts, unexpected rows kept first, and the same text when rendered again from the JSON (issue 13)."""

from __future__ import annotations

import json
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from prober import serial
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Change,
    ChangeKind,
    Comparison,
    Hop,
    KeyStyle,
    Outcome,
    OutcomeClass,
    Quota,
    QuotaWindow,
    Sweep,
    VendorError,
)
from prober.report import Format, renderer, ticket
from tests.builders import STAMP, make_probe, make_sweep, skipped

GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")
# Our own HTML, and nothing else: the details blocks, with the probe id escaped inside <code>.
OWN_HTML = re.compile(
    r"(?:</details>\n)?(?:<details><summary><code>[^<>\n]*</code> [a-z_]+(?: ⚠ unexpected)?</summary>\n)?"
)
ENVIRONMENT = (
    ("Tool", "prober 0.1.0"),
    ("Catalogue", "probes.yaml (sha256 c4c5b841ce18d95d)"),
    ("API key", "sk-sp-… (38 chars, fingerprint sha256:5f30bfba3c)"),
    ("Console token", "none"),
    ("Cookies", "netscape, 8 cookies"),
    ("Cookie verdict", "INTL passport session: passport cookies without login_aliyunid_ticket"),
    ("Python", "3.11.7"),
    ("Connect-to", "::127.0.0.1:8443"),
    ("CA", "--cacert file"),
    ("Limits", "concurrency 16, per-host 4, timeout 15 s, max redirects 10"),
)


def big_sweep(n: int = 2_000, text: str = "") -> Sweep:
    """`n` probes of every kind the catalogue has, with long URLs and bodies; every 500th is unexpected."""
    probes, outcomes = [], []
    for i in range(n):
        kind = i % 5
        url = f"https://host{i % 40}.dashscope.aliyuncs.com/api/v1/path/{i}{text}?q=" + "x" * 150
        if kind == 0:
            probe = make_probe(f"key-{i}{text}", url, description="d", region="global", source="s")
            outcome = Outcome(probe.id, OutcomeClass.NOT_FOUND, "404", status=404, hops=(Hop("GET", url, 404, "x"),))
        elif kind == 1:
            probe = make_probe(
                f"console-{i}",
                url,
                method="POST",
                description="d",
                body=Body(BodyKind.FORM, "params=" + "y" * 300),
                auth=Auth.COOKIES,
                surface="console",
            )
            hops = (
                Hop(
                    "POST",
                    url,
                    302,
                    "Found",
                    location="https://passport.alibabacloud.com/login?" + "z" * 300,
                    cookies_sent=("login_aliyunid_pk", "cr_token"),
                ),
                Hop("GET", "https://passport.alibabacloud.com/login", 200, "OK", withheld=("Cookie",)),
            )
            outcome = Outcome(
                probe.id,
                OutcomeClass.REDIRECT_TO_LOGIN,
                "302 → login" + text,
                status=200,
                hops=hops,
                body_excerpt=("<html>" + text + "\n") * 200,
                body_bytes=300_000,
                body_truncated=True,
            )
        elif kind == 2:
            probe = make_probe(
                f"token-{i}", url, method="POST", description="d", auth=Auth.CONSOLE_TOKEN, surface="console"
            )
            quota = Quota("pro", "VALID", (QuotaWindow("5h", 120, 6000, None, rolling=True),))
            outcome = Outcome(
                probe.id,
                OutcomeClass.OK,
                "200",
                status=200,
                hops=(Hop("POST", url, 200, "OK"),),
                quota=quota,
                rate_limits=(("x-ratelimit-remaining", "17" + text),),
            )
        elif kind == 3:
            probe = make_probe(
                f"gateway-{i}", url, method="POST", description="d", style=KeyStyle.X_API_KEY, surface="console"
            )
            outcome = Outcome(
                probe.id,
                OutcomeClass.CONSOLE_LOGIN_REQUIRED,
                "200 ConsoleNeedLogin",
                status=200,
                hops=(Hop("POST", url, 200, "OK", key_sent=True),),
                vendor_error=VendorError("console", "ConsoleNeedLogin" + text, "You need to log in."),
            )
        else:
            probe = make_probe(f"skipped-{i}", url, description="d", region="global")
            outcome = skipped(probe, "billable probe: pass --billable" + text)
        if i % 500 == 499:
            outcome = Outcome(
                probe.id,
                OutcomeClass.SERVER_ERROR,
                "500",
                status=500,
                hops=(Hop("GET", url, 500, "x"),),
                expected=False,
                unexpected_reason="expected 404" + text,
            )
        probes.append(probe)
        outcomes.append(outcome)
    change = Change(probes[1_001 % n].id, ChangeKind.STATUS, "404", "302", "404 → 302" + text)
    baseline = Comparison(STAMP, STAMP, (change,), (), (), n - 1)
    return make_sweep(*zip(probes, outcomes, strict=True), environment=ENVIRONMENT, baseline=baseline)


def _walk(tokens: list[Token]) -> list[Token]:
    out = []
    for t in tokens:
        out.append(t)
        out += _walk(t.children or [])
    return out


def check_gfm(text: str) -> list[Token]:
    """The ticket parses as GFM with every table row holding exactly its header's cells (an unescaped pipe from
    outside text would add one), only prober's own HTML, and only text and code inline."""
    tokens = GFM.parse(text)
    lines = text.split("\n")
    for t in tokens:
        if t.type == "table_open" and t.map:
            first, last = t.map
            cells = [len(re.findall(r"(?<!\\)\|", line)) for line in lines[first:last]]
            assert len(set(cells)) == 1, lines[first:last]
        if t.type == "html_block":
            assert OWN_HTML.fullmatch(t.content), t.content
    inline = {c.type for t in tokens if t.type == "inline" for c in t.children or []}
    assert inline <= {"text", "code_inline", "softbreak"}, inline
    rows = [t for t in _walk(tokens) if t.type == "tr_open"]
    assert rows
    return tokens


def _headings(tokens: list[Token]) -> list[str]:
    return [f"{t.tag} {tokens[i + 1].content}" for i, t in enumerate(tokens) if t.type == "heading_open"]


def test_a_2000_probe_sweep_fits_a_github_comment() -> None:
    sweep = big_sweep()
    text = ticket.render(sweep)
    assert len(text) <= ticket.LIMIT
    tokens = check_gfm(text)
    assert _headings(tokens) == [
        "h2 prober report",
        "h3 Findings",
        "h3 Environment",
        "h3 Changes since 2026-11-29T08:00:00Z",
        "h3 Results",
        "h3 Details",
    ]
    assert "<details><summary>" in text
    assert "Left out to stay under GitHub's 65,536-character limit:" in text
    # Unexpected rows are kept first, wherever they stand in the catalogue.
    for i in range(499, 2_000, 500):
        assert f"<code>{sweep.probes[i].id}</code>" in text
        assert f"(skipped-{i})" in text or f"{sweep.probes[i].id}" in text
    table = text.split("### Results")[1].split("### Details")[0]
    assert table.count("⚠ unexpected") == 4
    assert "are left out here (see the end)" in table


def test_hostile_text_everywhere_cannot_blow_the_limit() -> None:
    huge = "`|<&@#1*" * 20_000
    sweep = big_sweep(300, huge)
    text = ticket.render(sweep)
    assert len(text) <= ticket.LIMIT
    check_gfm(text)


def test_a_small_sweep_keeps_everything() -> None:
    sweep = big_sweep(10)
    text = ticket.render(sweep)
    assert text.count("<details><summary>") == 10
    assert "Left out" not in text
    check_gfm(text)


def test_rendering_again_from_the_json_gives_the_same_ticket() -> None:
    sweep = big_sweep(400)
    again = serial.load(json.loads(renderer(Format.JSON)(sweep)))
    assert renderer(Format.TICKET)(again) == renderer(Format.TICKET)(sweep)
    assert Format.TICKET.suffix == ".ticket.md"
