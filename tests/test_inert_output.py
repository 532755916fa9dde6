"""Hostile text in every field of a sweep stays inert: Markdown structure, JUnit validity, terminal output.

Issue 9 finding 7: a vendor message with a newline forged an `## Environment` section; images, links, raw HTML,
@mentions, issue references and escape sequences reached reports, job summaries and the terminal. Each test here
feeds the same hostile strings into every text field of a hand-built sweep (server text, and everything a forged
report file can hold) and checks the output with a real parser: markdown-it-py for CommonMark with GFM tables,
ElementTree and the JUnit XSD for XML.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from prober import inert, serial
from prober.cli import cli
from prober.model import (
    Auth,
    Body,
    BodyKind,
    Change,
    ChangeKind,
    Comparison,
    Hop,
    Outcome,
    OutcomeClass,
    Quota,
    QuotaWindow,
    Shape,
    Sweep,
    Tags,
    Timings,
    VendorError,
)
from prober.report import Format, changes, junit, markdown, renderer, ticket
from prober.report.text import code, prose
from tests.builders import STAMP, make_probe, make_sweep, skipped

XSD = Path(__file__).parent / "data" / "junit.xsd"

HOSTILE = [
    "x\n## Environment\n\n| forged | row |",
    "x\r\n# Title",
    "![x](http://evil.test/i.png)",
    "[click](https://evil.test/)",
    "<img src=x onerror=alert(1)>",
    "</details><details open>",
    "@octocat please look",
    "fixes #1 and GH-2 and deadbeefcafe",
    "see www.evil.test and https://evil.test/x",
    "a`b",
    "``two``",
    "```three",
    "````",
    "`````five`````",
    "` leading and trailing `",
    "pipe | in | cell",
    "back\\slash\\|pipe\\",
    "*bold* _em_ ~~gone~~ $x$ :smile: &amp; &#64;",
    "- [ ] task\n1. item\n> quote",
    "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[32mall OK\x1b[0m\rcover",
    "\u202eevil\u202c \x9b31m \udcff",
    "",
    " ",
]

# Outside code spans and fenced blocks no hostile markup may survive: none of these may appear in plain text.
# (Plain words of a hostile string, such as "forged" or "Title", may: a word of letters is inert. Emphasis is
# checked by token type, since the report's own class names hold underscores.)
FORBIDDEN_OUTSIDE_CODE = [
    "<",
    ">",
    "[",
    "]",
    "!",
    "@",
    "`",
    "\\",
    "*",
    "~",
    "$",
    "&",
    "://",
    "www.",
    "#1",
    "GH-2",
    "deadbeef",
    "evil",
    "octocat",
    "\x1b",
    "\x07",
    "\r",
    "\x9b",
    "\u202e",
]

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
HEADINGS = ["Findings", "Environment", "Summary", "Changes", "Results", "Probes"]


def _sweep(text: str, stamp: str | None = None) -> Sweep:
    """Two probes and a baseline with `text` in every text field (ids get it after a valid prefix). The times
    hold it too unless `stamp` is given: a report file must carry real times, a sweep in memory need not."""
    url = "https://api.example.test/v1/" + text
    probes = (
        make_probe(
            "p1" + text,
            url,
            description=text,
            headers=(("x-h", text),),
            tags=Tags(extra=(("team", text),)),  # region, surface and cost hold only their vocabularies' words
            source=text,
        ),
        make_probe(
            "p2" + text,
            url,
            method="POST",
            description=text,
            body=Body(BodyKind.FORM, text),
            auth=Auth.COOKIES,
            surface="console",
            source=text,
        ),
    )
    hops = (
        Hop("GET", url, 302, text, location="https://" + text + "/next", cookies_sent=(text, "cna")),
        Hop("GET", "https://" + text + "/next", 429, text, cookies_set=(text,), retried_after_s=1.0),
        Hop("GET", "https://" + text + "/next", 500, text, key_sent=True),
    )
    outcomes = (
        Outcome(
            probes[0].id,
            OutcomeClass.SERVER_ERROR,
            f"500 {text}: {text}",
            status=500,
            reason=text,
            hops=hops,
            final_url=url,
            timings=Timings(1.0),
            remote_addr=text,
            rate_limits=((text, text), ("x-ratelimit-remaining", text)),
            diagnostics=((text, text),),
            content_type=text,
            body_excerpt=f"{text}\n{text}",
            body_bytes=9,
            vendor_error=VendorError(Shape.TEXT, text, text, text),  # a shape is an enum, never server text
            quota=Quota(text, text, (QuotaWindow(text, 1, 2, text),)),
            error=text,
            expected=False,
            unexpected_reason=text,
            captured=(text,),
        ),
        skipped(probes[1], text, expected=False, unexpected_reason=text),
    )
    baseline = Comparison(
        stamp or text,
        stamp or text,
        (Change(probes[0].id, ChangeKind.VENDOR_CODE, text, text, text),),
        added=(text,),
        removed=(text,),
        unchanged_count=0,
    )
    return make_sweep(
        *zip(probes, outcomes, strict=True),
        environment=((text, text), ("Tool", text)),
        started=stamp or text,
        finished=stamp or text,
        baseline=baseline,
    )


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _outside_code(tokens: list[Token]) -> str:
    """All text a reader sees as plain text (not in a code span or block), one token per line."""
    return "\n".join(t.content for t in _walk(tokens) if t.type == "text")


def _shape(tokens: list[Token]) -> list[str]:
    """The block structure: every block token's type, tag and nesting, without its text."""
    return [f"{t.type}:{t.tag}:{t.level}" for t in tokens if t.type != "inline"]


def _check(rendered: str, benign: str, text: str) -> None:
    tokens, expected = _MD.parse(rendered), _MD.parse(benign)
    # Same sections, lists, tables and fences as with harmless text: nothing was opened, closed or split.
    # (Blank text leaves the description paragraph out: a difference, but not one a server can choose.)
    if text.strip():
        assert _shape(tokens) == _shape(expected)
    assert [h.split(" ")[0] for h in _headings(tokens)] == HEADINGS
    # Inline, only plain text and code spans: no link, image, HTML, emphasis, strikethrough or line break.
    inline = {child.type for t in tokens if t.type == "inline" for child in t.children or []}
    assert inline <= {"text", "code_inline"}, inline
    outside = _outside_code(tokens)
    for fragment in FORBIDDEN_OUTSIDE_CODE:
        assert fragment not in outside, (fragment, outside)
    assert outside.count("Environment") == _outside_code(expected).count("Environment") == 1
    # The hostile text itself is all there, inert and on one line, in code spans and in the body's fence.
    if text.strip():
        spans = {t.content for t in _walk(tokens) if t.type == "code_inline"}
        assert inert.line(text) in spans
        # In table cells too (a pipe there is written `\|`, which GFM reads back as `|` inside a code span).
        assert inert.line(f"https://{text}/next") in spans
        fences = [t.content for t in tokens if t.type == "fence" and t.info == "text"]
        assert fences == [inert.block(f"{text}\n{text}", 10_000) + "\n"]


def _headings(tokens: list[Token]) -> list[str]:
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_report_keeps_its_structure_and_shows_hostile_text_only_as_code(text: str) -> None:
    _check(markdown.render(_sweep(text)), markdown.render(_sweep("benign")), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_job_summary_and_changes_keep_their_structure(text: str) -> None:
    sweep, benign = _sweep(text), _sweep("benign")
    for render in (markdown.summary, lambda s: changes.markdown(s.baseline)):
        tokens, expected = _MD.parse(render(sweep)), _MD.parse(render(benign))
        assert _shape(tokens) == _shape(expected)
        outside = _outside_code(tokens)
        for fragment in FORBIDDEN_OUTSIDE_CODE:
            assert fragment not in outside, (fragment, outside)


@pytest.mark.parametrize("text", HOSTILE)
def test_the_ticket_keeps_its_structure_and_its_only_html_is_its_own(text: str) -> None:
    from tests.test_ticket import OWN_HTML, check_gfm

    rendered, benign = ticket.render(_sweep(text)), ticket.render(_sweep("benign"))
    tokens = check_gfm(rendered)  # right cell counts, only prober's <details>, only text and code inline
    if text.strip():
        assert _shape(tokens) == _shape(_MD.parse(benign))
    outside = _outside_code(tokens)
    for fragment in FORBIDDEN_OUTSIDE_CODE:
        assert fragment not in outside, (fragment, outside)
    html = [t.content for t in tokens if t.type == "html_block"]
    assert html and all(OWN_HTML.fullmatch(block) for block in html)
    # The probe id in a <summary> is escaped HTML inside <code>: no tag, entity or mention of its own.
    assert all(inert.is_inert(block, multiline=True) for block in html)


def test_the_markdown_report_has_exactly_its_own_headings() -> None:
    tokens = _MD.parse(markdown.render(_sweep(HOSTILE[0])))
    levels = [t.tag for t in tokens if t.type == "heading_open"]
    assert levels == ["h1", "h2", "h2", "h2", "h2", "h2", "h2", "h3", "h3"]
    assert _headings(tokens)[0] == "Findings"
    assert [h.split(" ")[0] for h in _headings(tokens)] == HEADINGS


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("404 → 200: the endpoint now exists", "404 → 200: the endpoint now exists"),
        ("the vendor's error code changed (A → B)", "the vendor's error code changed (A → B)"),
        ("302 → signin.aliyun.com: login", "302 → `signin.aliyun.com`: login"),
        ("expected class ok, got console_login_required", "expected class ok, got `console_login_required`"),
        ("rate-limit headers changed (x-ratelimit-remaining 17 → 16)", None),
        ("gateway/x-api-key", "gateway/x-api-key"),
        ("at 2026-11-29T08:00:00Z", "at 2026-11-29T08:00:00Z"),
        ("ping @octocat", "ping `@octocat`"),
        ("fixes #1", "fixes `#1`"),
        ("GH-1 sha256 5h", "`GH-1` `sha256` `5h`"),
        ("commit deadbeef or defaced", "commit `deadbeef` or `defaced`"),
        ("12345678 items", "`12345678` items"),
        ("a\nb\tc", "`a\\x0ab\\x09c`"),
    ],
)
def test_prose_keeps_plain_words_and_codes_the_rest(text: str, shown: str | None) -> None:
    assert prose(text) == (text if shown is None else shown)


def test_prose_at_the_start_of_a_line_cannot_open_a_list() -> None:
    assert prose("1. item", start=True) == "`1`. item"
    assert prose("- item", start=True) == "`-` item"
    assert prose("1. item") == "1. item"


@pytest.mark.parametrize("text", ["", " ", "`", "a``b", " x ", "``", "` a `", "x\ny"])
def test_code_spans_round_trip_through_a_commonmark_parser(text: str) -> None:
    (paragraph,) = [t for t in _MD.parse(code(text)) if t.type == "inline"]
    (span,) = paragraph.children or []
    assert span.type == "code_inline"
    assert span.content == (inert.line(text) or " ")


@pytest.mark.parametrize("text", HOSTILE)
def test_junit_is_valid_xml_with_every_control_character_escaped(text: str) -> None:
    document = junit.render(_sweep(text))
    xmlschema.XMLSchema(str(XSD)).validate(document)
    root = ET.fromstring(document.encode())
    for element in root.iter():
        assert inert.is_inert(element.text or "", multiline=True), element.text
        assert all(inert.is_inert(value) for value in element.attrib.values()), element.attrib


@pytest.mark.parametrize("text", HOSTILE)
def test_json_report_round_trips_and_holds_no_raw_control_character(text: str) -> None:
    sweep = _sweep(text, STAMP)
    document = renderer(Format.JSON)(sweep)
    assert serial.load(json.loads(document)) == sweep
    assert inert.is_inert(document, multiline=True)
    document.encode("utf-8")  # a lone surrogate is written as an escape, so the file can always be written


# --------------------------------------------------------------------------------------------------
# The terminal: what `prober render`, `prober diff` and the results table print
# --------------------------------------------------------------------------------------------------

ESCAPES = "\x1b]0;pwned\x07 \x1b]52;c;ZXZpbA==\x07 \x1b[2J \x1b[32mall OK\x1b[0m \rcover \x9b2J \x1bP+q\x1b\\"
_RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _forged(tmp_path: Path, name: str = "forged.json") -> Path:
    """A report as an old prober, or an attacker, could have written it: raw escape bytes in server fields."""
    sweep = _sweep("ok", STAMP)
    outcome = sweep.outcomes[0]
    vendor = VendorError("flat", "Code" + ESCAPES, "message " + ESCAPES, "rid")
    hostile = Outcome(
        outcome.probe_id,
        outcome.klass,
        "explained " + ESCAPES,
        status=500,
        reason=ESCAPES,
        hops=outcome.hops,
        vendor_error=vendor,
        body_excerpt="body " + ESCAPES + "\nline two\ttabbed",
        body_bytes=40,
        rate_limits=(("x-ratelimit-remaining", ESCAPES),),
        expected=False,
        unexpected_reason="reason " + ESCAPES,
    )
    data = serial.dump(
        make_sweep(*zip(sweep.probes, (hostile, sweep.outcomes[1]), strict=True), environment=sweep.environment)
    )
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")  # \u escapes: json.load gives back the raw characters
    return path


@pytest.mark.parametrize("fmt", ["md", "json", "junit"])
def test_render_prints_no_escape_sequence(tmp_path: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["render", str(_forged(tmp_path)), "--format", fmt], catch_exceptions=False)
    assert result.exit_code == 0
    assert "message" in result.stdout and "pwned" in result.stdout  # the text is shown, escaped
    assert _RAW.search(result.stdout) is None, repr(_RAW.search(result.stdout))
    shown = "\\u001b]52;c;ZXZpbA==\\u0007" if fmt == "json" else "\\x1b]52;c;ZXZpbA==\\x07"
    assert shown in result.stdout  # escaped visibly, not dropped


def test_render_of_a_markdown_report_is_unchanged_when_nothing_needs_escaping(tmp_path: Path) -> None:
    sweep = _sweep("benign", STAMP)
    report = tmp_path / "r.json"
    report.write_text(renderer(Format.JSON)(sweep), encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(report)], catch_exceptions=False)
    assert result.stdout == markdown.render(sweep)


def test_diff_prints_no_escape_sequence(tmp_path: Path) -> None:
    old, new = _forged(tmp_path, "old.json"), _forged(tmp_path, "new.json")
    data = json.loads(new.read_text())
    data["results"][0]["outcome"]["vendor_error"]["code"] = "Other" + ESCAPES
    new.write_text(json.dumps(data))
    for fmt in ("md", "json"):
        result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", fmt, "--fail-on", "none"])
        assert result.exit_code == 0, result.output
        assert "Other" in result.stdout
        assert _RAW.search(result.stdout) is None


def test_the_results_table_prints_plain_text_with_no_escape_sequence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from prober.cli import _print_table

    _print_table(serial.load(json.loads(_forged(tmp_path).read_text())))
    printed = capsys.readouterr().out
    assert _RAW.search(printed) is None
    assert "500 Code\\x1b]0;pwned\\x07" in printed  # plain text: no code-span backticks, no doubled backslashes
    assert "`" not in printed and "\\\\" not in printed


def test_error_lines_print_no_escape_sequence(tmp_path: Path) -> None:
    missing = tmp_path / "x\x1b]0;pwned\x07\x1b[2J.json"
    result = CliRunner().invoke(cli, ["render", str(missing)])
    assert result.exit_code != 0
    assert _RAW.search(result.output) is None
