"""The console access token: where it is read from, where it may go (checked at the receiving server), and that it
never reaches an output."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from prober import credentials, scope
from prober.errors import CredentialError
from tests.cli import prober
from tests.conftest import Server, start_server

TOKEN = "CANARYconsoleToken+7Qx/9Zr=Lm42"
GATEWAY = "bailian-singapore-cs.alibabacloud.com"
HOSTS = (GATEWAY, "bailian-cs.console.aliyun.com", "dashscope-intl.aliyuncs.com", "passport.alibabacloud.com")

CATALOGUE = f"""\
version: 1
probes:
  - id: quota
    description: Coding Plan quota through the console-token route
    method: POST
    url: https://{GATEWAY}/cli/api.json?action=IntlBroadScopeAspnGateway
    body: {{form: {{params: '{{}}', region: ap-southeast-1}}}}
    auth: console-token
    tags: {{region: intl, surface: console}}
    source: test
  - id: bounce
    description: a gateway that redirects to an inference host
    url: https://{GATEWAY}/bounce
    auth: console-token
    tags: {{region: intl, surface: console}}
    source: test
"""


@pytest.fixture
def alibaba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A TLS server answering for real Alibaba host names (reached through --connect-to, never the network)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*HOSTS).configure_cert(context)
    path = tmp_path_factory.mktemp("alibaba-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))

    async def quota(request: web.Request) -> web.Response:
        ok = request.headers.get("Authorization") == f"Bearer {TOKEN}"
        body = {"echo": request.headers.get("Authorization", ""), "code": "200" if ok else "NoPermission"}
        return web.json_response(body, status=200)

    async def bounce(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("https://dashscope-intl.aliyuncs.com/api/v1/models")

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"code": "InvalidApiKey"}, status=401)

    routes = {f"{GATEWAY}/cli/api.json": quota, f"{GATEWAY}/bounce": bounce}
    routes["dashscope-intl.aliyuncs.com/api/v1/models"] = models
    server, stop = start_server(routes, context, path)
    yield server
    stop()


def _run(server: Server, tmp_path: Path, *flags: str, env: dict[str, str] | None = None) -> tuple[str, ...]:
    (tmp_path / "probes.yaml").write_text(CATALOGUE)
    out = tmp_path / "reports"
    result = prober(
        "run",
        str(tmp_path / "probes.yaml"),
        "--connect-to",
        server.connect_to,
        "--cacert",
        str(server.ca_path),
        "--out",
        str(out),
        "--format",
        "md,json,junit",
        "--fail-on",
        "none",
        *flags,
        env={"HOME": str(tmp_path), **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    rendered = prober("render", str(next(out.glob("*.json"))))
    return (result.stdout, result.stderr, rendered.stdout, *(p.read_text() for p in out.iterdir()))


def _authorizations(server: Server, host: str) -> list[str]:
    return [r["headers"].get("Authorization", "") for r in server.seen.for_host(host)]


def test_the_token_reaches_console_gateways_only_and_no_output(alibaba: Server, tmp_path: Path) -> None:
    outputs = _run(alibaba, tmp_path, env={"BAILIAN_CONSOLE_TOKEN": TOKEN})
    assert _authorizations(alibaba, GATEWAY) == [f"Bearer {TOKEN}"] * 2  # quota, bounce: not a vacuous pass
    # The 307 to an inference host is followed without the token, and the hop says it was withheld.
    assert _authorizations(alibaba, "dashscope-intl.aliyuncs.com") == [""]
    report = json.loads(next((tmp_path / "reports").glob("*.json")).read_text())
    hops = {r["probe"]["id"]: r["outcome"]["hops"] for r in report["results"]}
    assert hops["quota"][0]["sent"] == ["Authorization"]
    assert [h.get("withheld", []) for h in hops["bounce"]] == [[], ["Authorization"]]
    assert report["environment"]["Console token"].startswith("other… (31 chars, fingerprint sha256:")
    assert report["environment"]["Console token"].endswith(" from env BAILIAN_CONSOLE_TOKEN")
    for output in outputs:
        assert TOKEN not in output and TOKEN.replace("/", "\\/") not in output


def test_without_a_token_the_probes_say_how_to_get_one(alibaba: Server, tmp_path: Path) -> None:
    outputs = _run(alibaba, tmp_path, "--no-credentials")  # no credential at all is refused without it (issue 14)
    assert alibaba.seen.requests == []
    assert "no console token: set BAILIAN_CONSOLE_TOKEN" in outputs[0] + outputs[3]


def test_prober_check_refuses_the_token_for_any_other_host(tmp_path: Path) -> None:
    path = tmp_path / "probes.yaml"
    path.write_text(CATALOGUE.replace(f"https://{GATEWAY}/bounce", "https://dashscope-intl.aliyuncs.com/bounce"))
    result = prober("check", str(path))
    assert result.returncode == 2
    assert "would send the console token to dashscope-intl.aliyuncs.com, which is not a console gateway" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("bailian-singapore-cs.alibabacloud.com", True),
        ("pre-bailian-singapore-cs.alibabacloud.com", True),
        ("bailian-cs.console.aliyun.com", True),
        ("modelstudio-cs.console.aliyun.com", True),
        ("bailian-cs.console.alibabacloud.com", True),
        ("dashscope.aliyuncs.com", False),
        ("dashscope-intl.aliyuncs.com", False),
        ("passport.alibabacloud.com", False),
        ("alibabacloud.com", False),
        ("a.b-cs.alibabacloud.com", False),
        ("evil-cs.alibabacloud.com.evil.test", False),
        ("console.aliyun.com", False),
    ],
)
def test_token_hosts(host: str, ok: bool) -> None:
    assert scope.token_host(host) is ok


def _resolve(env: dict[str, str], source: credentials.TokenSource) -> tuple[str | None, str | None]:
    token, where = credentials.resolve_token(env, source, [])
    return (token.reveal() if token else None), where


def test_token_sources_in_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".bailian").mkdir(parents=True)
    config = {"access_token": "TopLevelToken12", "active_config": "work", "work": {"access_token": "WorkToken3456"}}
    (home / ".bailian" / "config.json").write_text(json.dumps(config))
    file = tmp_path / "token"
    file.write_text("FileToken7890ab\n")
    everything = {"BAILIAN_CONSOLE_TOKEN": "OursToken12ab", "DASHSCOPE_ACCESS_TOKEN": "BlEnvToken34cd", "X": "Xtok56ef"}
    assert _resolve(everything, credentials.TokenSource(file=file, home=home)) == (
        "FileToken7890ab",
        "file (--console-token-file)",
    )
    assert _resolve(everything, credentials.TokenSource(env="X", home=home)) == ("Xtok56ef", "env X")
    assert _resolve(everything, credentials.TokenSource(home=home)) == ("OursToken12ab", "env BAILIAN_CONSOLE_TOKEN")
    only_bl = {"DASHSCOPE_ACCESS_TOKEN": "BlEnvToken34cd"}
    assert _resolve(only_bl, credentials.TokenSource(home=home)) == ("BlEnvToken34cd", "env DASHSCOPE_ACCESS_TOKEN")
    # bl's own config: the active profile's token, then the top level; BAILIAN_CONFIG_DIR moves it.
    assert _resolve({}, credentials.TokenSource(home=home)) == ("WorkToken3456", "bl config (profile work)")
    del config["active_config"]
    (home / ".bailian" / "config.json").write_text(json.dumps(config))
    assert _resolve({}, credentials.TokenSource(home=home)) == ("TopLevelToken12", "bl config")
    elsewhere = tmp_path / "bl"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text(json.dumps({"access_token": "MovedToken99zz"}))
    assert _resolve({"BAILIAN_CONFIG_DIR": str(elsewhere)}, credentials.TokenSource(home=home)) == (
        "MovedToken99zz",
        "bl config",
    )
    assert _resolve({}, credentials.TokenSource(home=tmp_path / "nobody")) == (None, None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("\ufeffTokenWithBom123", "byte-order mark"),
        ("Token With Space", "whitespace inside it"),
        ("Token\x1b[31mRed", "control or invisible character"),
        ("   ", "is empty"),
    ],
)
def test_a_broken_token_is_refused_with_the_reason_not_the_value(raw: str, reason: str) -> None:
    with pytest.raises(CredentialError) as caught:
        credentials.resolve_token({"BAILIAN_CONSOLE_TOKEN": raw}, credentials.TokenSource(), [])
    assert reason in caught.value.message and "console token" in caught.value.message
    if raw.strip():
        assert raw.strip() not in caught.value.message + (caught.value.hint or "")
