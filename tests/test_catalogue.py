"""Catalogue loading: every feature of a valid catalogue, and each bad-input file paired with its exact message."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from prober import serial
from prober.catalogue import load, parse
from prober.errors import CatalogueError
from prober.model import Auth, Body, BodyKind, Cost, Expect, KeyStyle, OutcomeClass, Probe, Region, Surface, Tags
from prober.report import Format, renderer
from tests.builders import answer, make_probe, make_sweep

DATA = Path(__file__).parent / "data" / "catalogues"
CLASSES = ", ".join(klass.value for klass in OutcomeClass)  # every class, in the order messages list them

VALID = """\
version: 1
probes:
  - id: dashscope-intl-policies
    description: Billing policies on the PAYG Singapore host
    url: https://dashscope-intl.aliyuncs.com/api/v1/policies
    tags: {region: intl, surface: api}
    source: "CodexBar #612 table; reference A6"

  - id: chat
    description: A one-token chat completion on each host with each key header
    method: post
    url: https://{host}/compatible-mode/v1/chat/completions
    hosts: [dashscope.aliyuncs.com, dashscope-intl.aliyuncs.com]
    headers:
      X-Trace: on-demand
      Accept: application/json
      X-Retries: 0
      X-Stream: false
    body:
      json: {model: qwen-turbo, max_tokens: 1, messages: [{role: user, content: "héllo"}]}
    auth: {key: [bearer, x-dashscope-api-key]}
    tags: {region: global, surface: inference, cost: billable}
    expect: {status: [200, 401], class: ok}
    source: reference A2

  - id: token
    description: Console token exchange
    method: PUT
    url: http://127.0.0.1:8443/token
    body:
      form: {grant_type: client_credentials, scope: [a, b], options: {x: 1}, flag: true, empty: null}
    auth: cookies
    tags: {region: cn, surface: console}
    expect: {status: 302}
    source: reference C1

  - id: key-styles
    description: The same endpoint with each way of sending the key
    url: https://dashscope.aliyuncs.com/api/v1/models
    auth: {key: [x-api-key, bearer]}
    tags: {region: cn, surface: api}
    expect: {class: key_rejected}
    source: reference A3

  - id: quota.hosts
    description: Quota page per host, bearer key
    method: HEAD
    url: https://{host}/api/v1/quota
    hosts: [a.example.com, b.example.com:8443]
    auth: key
    tags: {region: intl, surface: login}
    source: reference B4
"""


@pytest.fixture(scope="module")
def probes() -> dict[str, Probe]:
    return {probe.id: probe for probe in parse(VALID).probes}


def test_a_probe_with_only_required_keys_gets_the_defaults(probes: dict[str, Probe]) -> None:
    assert probes["dashscope-intl-policies"] == Probe(
        id="dashscope-intl-policies",
        description="Billing policies on the PAYG Singapore host",
        method="GET",
        url="https://dashscope-intl.aliyuncs.com/api/v1/policies",
        headers=(),
        body=None,
        auth=Auth.NONE,
        key_style=None,
        tags=Tags(region=Region.INTL, surface=Surface.API, cost=Cost.FREE),
        expect=None,
        source="CodexBar #612 table; reference A6",
    )


def test_expansion_keeps_catalogue_order_hosts_outer_styles_inner() -> None:
    assert [probe.id for probe in parse(VALID).probes] == [
        "dashscope-intl-policies",
        "chat/dashscope.aliyuncs.com/bearer",
        "chat/dashscope.aliyuncs.com/x-dashscope-api-key",
        "chat/dashscope-intl.aliyuncs.com/bearer",
        "chat/dashscope-intl.aliyuncs.com/x-dashscope-api-key",
        "token",
        "key-styles/x-api-key",
        "key-styles/bearer",
        "quota.hosts/a.example.com",
        "quota.hosts/b.example.com:8443",
    ]


def test_hosts_and_styles_fill_url_and_key_style(probes: dict[str, Probe]) -> None:
    chat = probes["chat/dashscope-intl.aliyuncs.com/x-dashscope-api-key"]
    assert chat.url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions"
    assert (chat.method, chat.auth, chat.key_style) == ("POST", Auth.KEY, KeyStyle.X_DASHSCOPE_API_KEY)
    assert probes["key-styles/x-api-key"].key_style is KeyStyle.X_API_KEY
    assert probes["key-styles/x-api-key"].url == "https://dashscope.aliyuncs.com/api/v1/models"
    quota = probes["quota.hosts/b.example.com:8443"]
    assert (quota.url, quota.method, quota.auth, quota.key_style) == (
        "https://b.example.com:8443/api/v1/quota",
        "HEAD",
        Auth.KEY,
        KeyStyle.BEARER,
    )


def test_headers_keep_their_order_and_scalars_become_text(probes: dict[str, Probe]) -> None:
    assert probes["chat/dashscope.aliyuncs.com/bearer"].headers == (
        ("X-Trace", "on-demand"),
        ("Accept", "application/json"),
        ("X-Retries", "0"),
        ("X-Stream", "false"),
    )


def test_json_body_is_compact_and_keeps_unicode(probes: dict[str, Probe]) -> None:
    assert probes["chat/dashscope.aliyuncs.com/bearer"].body == Body(
        BodyKind.JSON,
        '{"model":"qwen-turbo","max_tokens":1,"messages":[{"role":"user","content":"héllo"}]}',
    )


def test_form_body_encodes_containers_as_json(probes: dict[str, Probe]) -> None:
    token = probes["token"]
    assert token.body == Body(
        BodyKind.FORM,
        "grant_type=client_credentials&scope=%5B%22a%22%2C%22b%22%5D&options=%7B%22x%22%3A1%7D&flag=true&empty=",
    )
    assert (token.auth, token.key_style, token.tags) == (Auth.COOKIES, None, Tags("cn", "console", "free"))


def test_expect_status_and_class(probes: dict[str, Probe]) -> None:
    assert probes["chat/dashscope.aliyuncs.com/bearer"].expect == Expect((200, 401), OutcomeClass.OK)
    assert probes["token"].expect == Expect((302,), None)
    assert probes["key-styles/bearer"].expect == Expect((), OutcomeClass.KEY_REJECTED)
    assert probes["chat/dashscope.aliyuncs.com/bearer"].billable


def test_single_key_style_does_not_expand() -> None:
    text = VALID.replace("auth: {key: [x-api-key, bearer]}", "auth: {key: x-api-key}")
    probes = {probe.id: probe for probe in parse(text).probes}
    assert probes["key-styles"].key_style is KeyStyle.X_API_KEY


def test_merge_keys_may_be_overridden_without_a_duplicate_key_problem() -> None:
    text = """\
version: 1
probes:
  - &base
    id: a
    description: first
    url: https://example.com/a
    tags: {region: intl, surface: api}
    source: reference A6
  - <<: *base
    id: b
    description: second, merged from the first
"""
    first, second = parse(text).probes
    assert (second.id, second.description, second.url) == ("b", "second, merged from the first", first.url)


def test_duplicate_keys_on_one_line_are_reported_shallowest_first() -> None:
    text = VALID.replace("tags: {region: intl, surface: api}", "tags: {x: {c: 1, c: 2}, region: intl, region: intl}", 1)
    with pytest.raises(CatalogueError) as caught:
        parse(text)
    duplicates = [problem for problem in caught.value.problems if "duplicate key" in problem]
    assert [problem.split("duplicate key ")[1][:3] for problem in duplicates] == ["'re", "'c'"]


def test_aliases_read_like_the_values_they_name() -> None:
    text = VALID.replace("tags: {region: cn, surface: console}", "tags: &cn {region: cn, surface: console}", 1)
    text = text.replace("tags: {region: cn, surface: api}", "tags: *cn", 1)
    tags = {probe.id: probe.tags for probe in parse(text).probes}
    assert tags["key-styles/bearer"] == tags["token"] == Tags(region="cn", surface="console")


def test_checked_tags_are_members_of_their_vocabularies_and_untagged_is_none() -> None:
    text = VALID.replace("tags: {region: intl, surface: api}", "tags: {surface: api}", 1)
    probe = parse(text).probes[0]
    assert probe.tags == Tags(region=None, surface=Surface.API, cost=Cost.FREE)
    assert (probe.tags.surface, probe.tags.cost) == (Surface.API, Cost.FREE)
    assert (probe.tags.get("region"), probe.tags.get("surface"), probe.tags.get("team")) == (None, "api", None)
    assert probe.tags.items() == (("surface", "api"), ("cost", "free"))
    # Members are their words wherever they are written: messages, listings, reports, JSON.
    assert f"{probe.tags.surface}, {probe.tags.cost}" == "api, free"
    assert json.dumps(dict(probe.tags.items())) == '{"surface": "api", "cost": "free"}'
    assert not probe.billable
    assert parse(VALID).probes[1].tags.cost is Cost.BILLABLE and parse(VALID).probes[1].billable


def test_tags_given_as_text_read_as_members_the_way_a_json_report_gives_them() -> None:
    assert Tags("intl", "console", "billable") == Tags(Region.INTL, Surface.CONSOLE, Cost.BILLABLE)
    assert type(Tags("cn", "api").region) is Region
    assert Tags("", "") == Tags()  # an untagged probe in a report written before the enums
    with pytest.raises(ValueError, match="'eu' is not a valid Region"):
        Tags("eu", "api")


def test_parse_names_the_text_and_hashes_it() -> None:
    catalogue = parse(VALID, name="inline.yaml")
    assert catalogue.path == "inline.yaml"
    assert catalogue.sha256 == hashlib.sha256(VALID.encode()).hexdigest()


def test_load_hashes_the_file_bytes_and_keeps_the_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "probes.yaml"
    path.write_bytes(VALID.encode())
    catalogue = load(str(path))
    assert catalogue.path == str(path)
    assert catalogue.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert catalogue.probes == parse(VALID).probes


def test_missing_file_names_the_path_and_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CatalogueError) as caught:
        load(path)
    assert caught.value.message == f"cannot read catalogue {path}: No such file or directory"
    assert caught.value.hint


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(CatalogueError) as caught:
        load(path)
    assert caught.value.message == f"{path}: not UTF-8 text (byte 16 is 0xe9)"


# Each bad file and its exact first message, after "<path>:".
BAD = {
    "bad_not_mapping.yaml": "2: the catalogue must be a mapping with 'version: 1' and 'probes:', not a list",
    "bad_empty_file.yaml": "1: the catalogue is empty; write 'version: 1' and a 'probes:' list",
    "bad_unknown_top_key.yaml": "8: unknown key 'settings'; known keys are version, defaults, probes",
    "bad_unknown_top_key_close.yaml": "2: unknown key 'probe', did you mean 'probes'?",
    "bad_unknown_probe_key.yaml": "8: probe 'policies': unknown key 'methd', did you mean 'method'?",
    "bad_missing_id.yaml": "8: probe #2: missing required key 'id' (a unique name like 'dashscope-intl-policies')",
    "bad_missing_url.yaml": "3: probe 'policies': missing required key 'url' (the http:// or https:// URL to probe)",
    "bad_missing_description.yaml": (
        "3: probe 'policies': missing required key 'description' (what the probe checks, in words)"
    ),
    "bad_duplicate_id.yaml": (
        "8: probe 'policies': duplicate id 'policies' (first at line 3); every probe id must be unique"
    ),
    "bad_duplicate_id_after_expansion.yaml": (
        "11: probe 'policies': duplicate id 'policies/dashscope.aliyuncs.com' (first at line 9); "
        "every probe id must be unique"
    ),
    "bad_duplicate_yaml_key.yaml": "8: probe 'policies': duplicate key 'url' (first at line 5); write each key once",
    "bad_url_scheme.yaml": (
        "5: probe 'policies': url 'ftp://dashscope.aliyuncs.com/policies' must be http:// or https:// with a host"
    ),
    "bad_url_without_host.yaml": (
        "5: probe 'policies': url 'https:///api/v1/policies' must be http:// or https:// with a host"
    ),
    "bad_method.yaml": (
        "8: probe 'policies': method 'FETCH' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; "
        "did you mean 'PATCH'?"
    ),
    "bad_body_on_get.yaml": (
        "8: probe 'policies': a body is not allowed on GET; use method: POST (or PUT, PATCH), or remove the body"
    ),
    "bad_body_json_and_form.yaml": (
        "9: probe 'policies': body has both 'json' and 'form'; give exactly one, like body: {json: {...}}"
    ),
    "bad_json_body_date.yaml": (
        "9: probe 'policies': body json cannot be sent as JSON "
        "(Object of type date is not JSON serializable); quote dates and binary"
    ),
    "bad_auth_style.yaml": (
        "8: probe 'policies': key style 'basic' is not one of bearer, x-api-key, x-dashscope-api-key"
    ),
    "bad_auth_kind.yaml": (
        "8: probe 'policies': auth 'token' is not one of none, cookies, console-token, key, {key: STYLE}, "
        "{key: [STYLE, ...]}, "
        "with STYLE one of bearer, x-api-key, x-dashscope-api-key"
    ),
    "bad_credential_header.yaml": (
        "10: probe 'policies': header 'authorization' is not allowed in headers: "
        "credentials come from auth:, never the catalogue"
    ),
    "bad_headers_type.yaml": (
        "8: probe 'policies': 'headers' must be a mapping of header names to values, like {Accept: application/json}"
    ),
    "bad_region.yaml": "6: probe 'policies': tags.region 'eu' is not one of intl, cn, global",
    "bad_surface.yaml": "6: probe 'policies': tags.surface 'web' is not one of api, console, inference, login",
    "bad_cost.yaml": "6: probe 'policies': tags.cost 'paid' is not one of free, billable",
    "bad_expect_status.yaml": "8: probe 'policies': expect.status 99 is not an HTTP status; use integers 100-599",
    "bad_expect_class.yaml": (
        "8: probe 'policies': expect.class 'missing' is not one of ok, not_found, key_rejected, "
        "console_login_required, redirect_to_login, agent_only, quota_exhausted, rate_limited, "
        "method_not_allowed, client_error, server_error, unmodelled, redirect_loop, dns_error, connect_error, "
        "tls_error, timeout, reset, protocol_error, skipped"
    ),
    "bad_version.yaml": "1: version must be 1, not 2",
    "bad_missing_version.yaml": "1: missing required key 'version'; add 'version: 1' at the top",
    "bad_empty_probes.yaml": "2: 'probes' is empty; add at least one probe",
    "bad_id_pattern.yaml": (
        "3: probe #1: id 'Policies_Intl' must be lowercase letters, digits, '.', '_' or '-', "
        "starting with a letter or digit, like 'dashscope-intl-policies'"
    ),
    "bad_host_without_hosts.yaml": (
        "5: probe 'policies': url 'https://{host}/api/v1/policies' contains {host} but there is no 'hosts' list; "
        "add hosts: [...]"
    ),
    "bad_hosts_without_placeholder.yaml": (
        "5: probe 'policies': url 'https://dashscope-intl.aliyuncs.com/api/v1/policies' must contain {host} "
        "when 'hosts' is given, like https://{host}/path"
    ),
    "bad_yaml_syntax.yaml": "4:25: mapping values are not allowed here",
    "bad_yaml_unclosed.yaml": "7:11: expected ',' or '}', but got ':' (while parsing a flow mapping at line 6)",
    "bad_tab_indent.yaml": "7:1: found character '\\t' that cannot start any token (while scanning for the next token)",
    "bad_three_problems.yaml": "8: probe 'policies': unknown key 'methd', did you mean 'method'?",
    "bad_alias_bomb.yaml": (
        "10:9: alias *f makes the aliases repeat more than 1,000,000 values in all "
        "(aliases of aliases multiply: a 'billion laughs')"
    ),
    # Issue 12: defaults, query, free tags, expectations, and "did you mean" for values as well as keys.
    "bad_defaults_id.yaml": "3: defaults cannot hold 'id': every probe names its own",
    "bad_defaults_value.yaml": "3: defaults: method 'FECTH' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    "bad_query_value.yaml": (
        "8: probe 'gateway': query 'params' must have a text value (or a list of them), not a mapping"
    ),
    "bad_tag_typo.yaml": (
        "6: probe 'policies': tag 'regoin', did you mean 'region'? "
        "(a tag of your own needs a name further from region, surface, cost)"
    ),
    "bad_tag_value.yaml": "8: probe 'policies': tag 'team' must have a text value, like team: payments, not a list",
    "bad_auth_typo.yaml": (
        "6: probe 'policies': auth 'kye' is not one of none, cookies, console-token, key, {key: STYLE}, "
        "{key: [STYLE, ...]}, with STYLE one of bearer, x-api-key, x-dashscope-api-key; did you mean 'key'?"
    ),
    "bad_key_style_typo.yaml": (
        "6: probe 'policies': key style 'barer' is not one of bearer, x-api-key, x-dashscope-api-key; "
        "did you mean 'bearer'?"
    ),
    "bad_expect_class_typo.yaml": (
        f"6: probe 'policies': expect.class 'notfound' is not one of {CLASSES}; did you mean 'not_found'?"
    ),
    "bad_expect_header_secret.yaml": (
        "8: probe 'dashboard': expect.headers 'set-cookie' can only be expected absent or present: "
        "its values are credentials"
    ),
    "bad_expect_header_regex.yaml": (
        "8: probe 'policies': expect.headers 'content-type' regex 'json(' is invalid: "
        "missing ), unterminated subpattern at position 4"
    ),
    "bad_expect_body_key.yaml": "7: probe 'policies': unknown key 'contians' in expect.body, did you mean 'contains'?",
    "bad_expect_json_path.yaml": (
        "8: probe 'policies': expect.body.json path 'data..code' must be keys joined by '.', like data.code"
    ),
    "bad_broken_needed_probe.yaml": (
        "5: probe 'dashboard': method 'GETT' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; "
        "did you mean 'GET'?"
    ),
}


@pytest.mark.parametrize(("file_name", "expected"), BAD.items(), ids=list(BAD))
def test_bad_catalogue_gives_its_exact_first_message(file_name: str, expected: str) -> None:
    path = DATA / file_name
    with pytest.raises(CatalogueError) as caught:
        load(path)
    assert caught.value.message == f"{path}:{expected}"
    assert caught.value.problems[0] == caught.value.message
    assert caught.value.hint


def test_every_bad_file_has_an_expected_message() -> None:
    assert sorted(path.name for path in DATA.glob("bad_*.yaml")) == sorted(BAD)


def test_every_problem_is_collected_and_located() -> None:
    path = DATA / "bad_three_problems.yaml"
    with pytest.raises(CatalogueError) as caught:
        load(path)
    assert caught.value.problems == (
        f"{path}:8: probe 'policies': unknown key 'methd', did you mean 'method'?",
        f"{path}:11: probe 'models': url 'ftp://dashscope.aliyuncs.com/models' must be http:// or https:// with a host",
        f"{path}:17: probe 'quota': tags.cost 'paid' is not one of free, billable",
    )
    assert caught.value.hint == f"3 problems in all; run `prober check {path}` to see every problem"


def test_a_syntax_error_hint_mentions_tabs() -> None:
    with pytest.raises(CatalogueError) as caught:
        load(DATA / "bad_tab_indent.yaml")
    assert caught.value.hint == "indent with spaces: YAML does not allow tabs for indentation"


def test_duplicate_key_inside_a_nested_mapping_names_its_probe() -> None:
    text = VALID.replace("tags: {region: intl, surface: api}", "tags: {region: intl, surface: api, region: cn}", 1)
    with pytest.raises(CatalogueError) as caught:
        parse(text)
    assert caught.value.problems == (
        "probes.yaml:6: probe 'dashscope-intl-policies': duplicate key 'region' (first at line 6); write each key once",
    )


# --- never anything but CatalogueError ----------------------------------------------------------------

_KEYS = st.sampled_from(
    ["version", "probes", "id", "description", "method", "url", "hosts", "headers", "body", "json", "form"]
    + ["auth", "key", "tags", "region", "surface", "cost", "expect", "status", "class", "source", "Cookie"]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-1000, max_value=1000)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["GET", "post", "https://{host}/x", "ftp://x", "a.example.com", "intl", "api", "free"])
    | st.sampled_from(["bearer", "key", "cookies", "none", "not_found", "p-1", "2024-13-01", "{host}"])
)
_VALUES: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_gives_a_catalogue_or_a_catalogue_error(text: str) -> None:
    try:
        parse(text)
    except CatalogueError as error:
        assert error.message.startswith("probes.yaml:")


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {"version": st.just(1) | _SCALARS, "probes": st.lists(st.dictionaries(_KEYS, _VALUES), max_size=3)}
    )
    | _VALUES
)
def test_any_yaml_structure_gives_a_catalogue_or_a_catalogue_error(value: Any) -> None:
    try:
        parse(yaml.safe_dump(value, allow_unicode=True))
    except CatalogueError as error:
        assert error.problems


def test_an_untagged_probe_is_written_as_before_and_loads_back() -> None:
    """Untagged is None in the model and "" in the report, as reports written before the tag enums have it."""
    probe = make_probe("untagged", "https://dashscope-intl.aliyuncs.com/api/v1/models", tags=Tags())
    sweep = make_sweep((probe, answer(probe, OutcomeClass.OK, 200)))
    data = json.loads(renderer(Format.JSON)(sweep))
    assert data["results"][0]["probe"]["tags"] == {"region": "", "surface": "", "cost": "free"}
    assert serial.load(data) == sweep
