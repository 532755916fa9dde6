"""Issue 12, the catalogue's ergonomics: defaults, query maps, free tags, selection, strict checks, every problem in
one pass with its line, the two YAML readers agreeing, and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from prober.catalogue import Rules, listing, load, parse, reader, select
from prober.catalogue.schema import schema
from prober.errors import CatalogueError, ProberError
from prober.model import (
    Auth,
    Body,
    BodyExpect,
    BodyKind,
    Expect,
    HeaderExpect,
    KeyStyle,
    Matcher,
    OutcomeClass,
    Probe,
    Region,
    Surface,
    Tags,
)
from tests.cli import prober

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "catalogues"
SHIPPED = ROOT / "probes.yaml"
USER = DATA / "good" / "user.yaml"
CLASSES = ", ".join(klass.value for klass in OutcomeClass)


# --- strict and rules: each bad file paired with every message it gives ---------------------------------------

# The shipped catalogue's standard (`prober check --strict`): each file passes without it.
STRICT = {
    "bad_missing_source.yaml": [
        "3: probe 'policies': missing required key 'source' (where this endpoint is documented)"
    ],
    "bad_missing_tags.yaml": ["3: probe 'policies': missing required key 'tags' (like {region: intl, surface: api})"],
    "bad_tags_missing_region.yaml": ["6: probe 'policies': tags needs 'region': one of intl, cn, global"],
}

_OUTSIDE = "outside aliyuncs.com, alibabacloud.com, aliyun.com, qwencloud.com"
# Where credentials may go, found in the same pass as everything else (`Rules()`, as `check` and `run` load).
RULES = {
    "bad_key_elsewhere.yaml": [
        f"6: probe 'models': would send the API key to api.example.com, {_OUTSIDE}; "
        "pass --allow-key-host api.example.com if you mean it"
    ],
    "bad_token_elsewhere.yaml": [
        "3: probe 'models': would send the console token to dashscope-intl.aliyuncs.com, which is not a console "
        "gateway (*.console.aliyun.com, *.console.alibabacloud.com, *-cs.alibabacloud.com); "
        "use auth: key or cookies for other hosts"
    ],
    "bad_key_over_http.yaml": [
        "3: probe 'models': would send the API key over plain http; use https, "
        "or pass --allow-insecure for a local test server"
    ],
    # The "done when": an unknown key, a key bound for example.com, a misspelt value and an unknown
    # `needs`, all from one check, with "did you mean" for the value.
    "bad_four_problems.yaml": [
        f"7: probe 'models': expect.class 'key_rejeted' is not one of {CLASSES}; did you mean 'key_rejected'?",
        "8: probe 'models': unknown key 'metod', did you mean 'method'?",
        "9: probe 'elsewhere': needs 'model', which is not a probe id, did you mean 'models'?",
        f"9: probe 'elsewhere': would send the API key to api.example.com, {_OUTSIDE}; "
        "pass --allow-key-host api.example.com if you mean it",
    ],
}


def _problems(path: Path, rules: Rules | None) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load(path, rules)
    assert caught.value.hint
    return [problem.removeprefix(f"{path}:") for problem in caught.value.problems]


@pytest.mark.parametrize("name", sorted(STRICT))
def test_strict_requires_source_and_the_known_tags(name: str) -> None:
    path = DATA / "strict" / name
    assert _problems(path, Rules(strict=True)) == STRICT[name]
    assert load(path).probes  # a user's catalogue needs none of them


@pytest.mark.parametrize("name", sorted(RULES))
def test_where_credentials_go_is_checked_in_the_same_pass_with_lines(name: str) -> None:
    assert _problems(DATA / "rules" / name, Rules()) == RULES[name]


def test_every_strict_and_rules_file_has_its_messages() -> None:
    assert sorted(p.name for p in (DATA / "strict").glob("*.yaml")) == sorted(STRICT)
    assert sorted(p.name for p in (DATA / "rules").glob("*.yaml")) == sorted(RULES)


def test_allowed_hosts_and_insecure_lift_their_rules() -> None:
    assert load(DATA / "rules" / "bad_key_elsewhere.yaml", Rules(allow_key_hosts=("example.com",))).probes
    assert load(DATA / "rules" / "bad_key_over_http.yaml", Rules(allow_insecure=True)).probes


def test_check_prints_all_four_problems_at_once() -> None:
    path = DATA / "rules" / "bad_four_problems.yaml"
    result = prober("check", str(path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"Error: {path}:{message}" for message in RULES["bad_four_problems.yaml"]]


def test_a_probe_waiting_for_a_broken_probe_gets_no_second_hand_problems() -> None:
    """The dashboard's misspelt method is the one problem: the gateway's `needs` and `{{ sec_token }}` are not
    reported as unknown just because the probe they point at could not be read."""
    assert len(_problems(DATA / "bad_broken_needed_probe.yaml", None)) == 1


def test_a_problem_in_defaults_is_reported_once_for_all_probes() -> None:
    assert _problems(DATA / "bad_defaults_value.yaml", None) == [
        "3: defaults: method 'FECTH' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    ]


def test_the_shipped_catalogue_meets_the_strict_standard() -> None:
    assert len(load(SHIPPED, Rules(strict=True)).probes) == len(load(SHIPPED).probes)
    result = prober("check", "--strict", str(SHIPPED))
    assert result.returncode == 0, result.stderr


# --- defaults, query, free tags ----------------------------------------------------------------------------------


def test_a_user_catalogue_with_defaults_query_and_free_tags_needs_no_source() -> None:
    probes = {p.id: p for p in load(USER, Rules()).probes}
    assert probes["policies"] == Probe(
        id="policies",
        description="Billing policies on the Singapore host",
        method="GET",
        url="https://dashscope-intl.aliyuncs.com/api/v1/policies",
        headers=(("Accept", "application/json"),),
        auth=Auth.KEY,
        key_style=KeyStyle.BEARER,
        tags=Tags(region=Region.INTL, surface=None, extra=(("team", "payments"),)),  # no surface: untagged
        expect=Expect(statuses=(404,), headers=(HeaderExpect("x-ratelimit-remaining-requests", Matcher.ABSENT),)),
    )
    gateway = probes["gateway"]
    # Headers and tags merge key by key over the defaults; the query is percent-encoded where it must be.
    assert gateway.url == (
        "https://modelstudio.console.alibabacloud.com/data/api.json?action=IntlBroadScopeAspnGateway"
        "&api=zeldaHttp.apikeyMgr./tokenplan/personal/api/v2/usage&note=a%20b%26c%3Dd%2Be"
    )
    assert gateway.headers == (("Accept", "application/json"), ("X-Trace", "1"))
    assert gateway.tags == Tags(region=Region.INTL, surface=Surface.CONSOLE, extra=(("team", "platform"),))
    assert gateway.body == Body(BodyKind.JSON, '{"region":"ap-southeast-1"}')
    models = probes["models"]
    assert (models.auth, models.key_style) == (Auth.NONE, None)  # a probe's auth replaces the default
    assert models.tags.extra == (("team", "payments"), ("owner", "ops"))
    assert models.expect == Expect(
        vendor_code="InvalidApiKey",
        body=BodyExpect(contains="InvalidApiKey", regex='"code":\\s*"Invalid', json=(("code", '"InvalidApiKey"'),)),
    )


def test_query_keeps_placeholders_repeats_lists_and_joins_an_existing_query() -> None:
    text = """\
version: 1
probes:
  - id: token
    description: a captured value in the query
    url: https://dashscope.aliyuncs.com/x
    capture: {t: [{header: x-t}], csrf: [{header: x-csrf}]}
  - id: use
    description: the query of a dependant
    url: https://dashscope.aliyuncs.com/y?fixed=1
    query: {t: "{{ t }}", csrf: "{{ csrf? }}", id: [1, 2], flag: true, empty: null}
    needs: [token]
"""
    use = parse(text).probes[1]
    assert use.url == "https://dashscope.aliyuncs.com/y?fixed=1&t={{ t }}&csrf={{ csrf? }}&id=1&id=2&flag=true&empty="


# --- selection --------------------------------------------------------------------------------------------------


def _ids(patterns: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    return [p.id for p in select(load(USER).probes, patterns, exclude)]


@pytest.mark.parametrize(
    ("patterns", "exclude", "ids"),
    [
        ((), (), ["policies", "gateway", "models"]),
        (("team=payments",), (), ["policies", "models"]),
        (("team=pay*",), (), ["policies", "models"]),
        (("team=payments,owner=ops",), (), ["models"]),  # ',' joins conditions that must all hold
        (("team=platform", "owner=ops"), (), ["gateway", "models"]),  # patterns add up
        (("surface=console",), (), ["gateway"]),
        (("*s",), (), ["policies", "models"]),
        ((), ("team=payments",), ["gateway"]),
        (("region=intl",), ("mod*",), ["policies", "gateway"]),
    ],
)
def test_select_takes_id_globs_and_tag_filters_and_exclude(
    patterns: tuple[str, ...], exclude: tuple[str, ...], ids: list[str]
) -> None:
    assert _ids(patterns, exclude) == ids


def test_a_selection_brings_the_probes_it_needs_even_excluded() -> None:
    text = USER.read_text().replace("    auth: none\n", "    auth: none\n    needs: [gateway]\n")
    probes = parse(text).probes
    assert [p.id for p in select(probes, ("owner=ops",), ("gateway",))] == ["gateway", "models"]


def test_a_selection_of_nothing_names_a_misspelt_tag() -> None:
    with pytest.raises(ProberError) as caught:
        _ids(("teem=payments",))
    assert caught.value.message == (
        "--select teem=payments matches no probe; no probe has a tag 'teem', did you mean 'team'?"
    )
    assert caught.value.hint == "run `prober list` to see the probe ids and tags"


# --- prober list: what would be sent ------------------------------------------------------------------------------


def test_list_shows_each_request_with_placeholders_for_secrets() -> None:
    result = prober("list", str(USER), "--select", "gateway")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "# gateway · auth key (bearer) · tags region=intl surface=console cost=free team=platform",
        "POST https://modelstudio.console.alibabacloud.com/data/api.json?action=IntlBroadScopeAspnGateway"
        "&api=zeldaHttp.apikeyMgr./tokenplan/personal/api/v2/usage&note=a%20b%26c%3Dd%2Be",
        "Accept: application/json",
        "X-Trace: 1",
        "Authorization: Bearer $DASHSCOPE_API_KEY",
        "Content-Type: application/json",
        "",
        '{"region":"ap-southeast-1"}',
    ]


def test_list_json_selects_by_a_free_tag() -> None:
    result = prober("list", str(USER), "--select", "team=payments", "--format", "json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [p["id"] for p in listed] == ["policies", "models"]
    assert listed[0]["headers"] == [["Accept", "application/json"], ["Authorization", "Bearer $DASHSCOPE_API_KEY"]]
    assert listed[0]["tags"] == {"region": "intl", "cost": "free", "team": "payments"}


def test_list_writes_captured_values_and_every_credential_as_placeholders() -> None:
    probes = load(SHIPPED).probes
    text = listing.text(probes)
    assert "{{" not in text and "%7B%7B" not in text
    assert "${SEC_TOKEN}" in text and "Cookie: $COOKIE" in text and "Bearer $BAILIAN_CONSOLE_TOKEN" in text
    assert [p["id"] for p in listing.document(probes)] == [p.id for p in probes]


# --- the two readers agree --------------------------------------------------------------------------------------


def _located(value: Any) -> Any:
    """A read value with every line it remembers, to compare two readers' results exactly."""
    if isinstance(value, reader.Map):
        return ("map", value.line, [(k, value.lines[k], _located(v)) for k, v in value.items()])
    if isinstance(value, reader.Seq):
        return ("seq", list(value.lines), [_located(v) for v in value])
    return (type(value).__name__, value)


def _catalogues() -> list[Path]:
    return [SHIPPED, *sorted(DATA.rglob("*.yaml"))]


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_event_reader_and_the_composer_read_every_catalogue_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    plain = reader.read_plain(text)
    if plain is None:
        return  # anchors, aliases, merge keys or a syntax error: only the composer reads these
    value, line, duplicates = reader.read_composed(text, str(path))
    assert (_located(plain[0]), plain[1], plain[2]) == (_located(value), line, duplicates)


def test_most_catalogues_take_the_event_reader() -> None:
    plain = [p for p in _catalogues() if reader.read_plain(p.read_text(encoding="utf-8")) is not None]
    assert len(plain) > len(_catalogues()) * 3 // 4


# --- the JSON Schema ----------------------------------------------------------------------------------------------

_VALIDATOR = jsonschema.Draft202012Validator(schema())

# Bad files whose problem a schema can tell (the rest need `prober check`: ids, needs, scopes, YAML itself).
SCHEMA_CATCHES = [
    "bad_auth_kind.yaml",
    "bad_auth_style.yaml",
    "bad_auth_typo.yaml",
    "bad_body_json_and_form.yaml",
    "bad_cost.yaml",
    "bad_credential_header.yaml",
    "bad_defaults_id.yaml",
    "bad_empty_probes.yaml",
    "bad_expect_body_key.yaml",
    "bad_expect_class.yaml",
    "bad_expect_class_typo.yaml",
    "bad_expect_status.yaml",
    "bad_headers_type.yaml",
    "bad_id_pattern.yaml",
    "bad_key_style_typo.yaml",
    "bad_method.yaml",
    "bad_missing_id.yaml",
    "bad_missing_version.yaml",
    "bad_not_mapping.yaml",
    "bad_query_value.yaml",
    "bad_region.yaml",
    "bad_surface.yaml",
    "bad_tag_value.yaml",
    "bad_unknown_probe_key.yaml",
    "bad_unknown_top_key.yaml",
    "bad_unknown_top_key_close.yaml",
    "bad_url_scheme.yaml",
    "bad_version.yaml",
]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    "path",
    [SHIPPED, *sorted((DATA / "good").glob("*.yaml")), *sorted((DATA / "strict").glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_every_good_catalogue_validates_against_the_schema(path: Path) -> None:
    errors = [e.message for e in _VALIDATOR.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert errors == []


@pytest.mark.parametrize("name", SCHEMA_CATCHES)
def test_a_bad_catalogue_fails_the_schema_where_a_schema_can_tell(name: str) -> None:
    assert not _VALIDATOR.is_valid(yaml.safe_load((DATA / name).read_text(encoding="utf-8")))


def test_prober_schema_prints_it_and_the_shipped_copy_matches() -> None:
    result = prober("schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema()
    shipped = json.loads((ROOT / "probes.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema(), "the schema changed: run `prober schema > probes.schema.json`"
    assert SHIPPED.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=probes.schema.json\n")


def test_the_listing_folds_to_100_columns_on_a_terminal_and_keeps_lines_whole_when_piped() -> None:
    """Issue 13: terminal output fits 100 columns; piped, every request line stays whole to copy."""
    from prober import catalogue
    from prober.catalogue import listing

    probes = catalogue.load(ROOT / "probes.yaml").probes
    folded = listing.text(probes, listing.WIDTH)
    assert max(len(line) for line in folded.splitlines()) <= listing.WIDTH
    whole = listing.text(probes)
    assert max(len(line) for line in whole.splitlines()) > listing.WIDTH  # the shipped catalogue has long URLs
    assert folded.replace("\n  ↳ ", "") == whole
