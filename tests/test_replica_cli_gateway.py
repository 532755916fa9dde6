"""The console CLI gateway `/cli/api.json` and its console access token, over real TLS: the replica's answers, and a
sweep with only a console token reading the INTL quota windows (docs/vendor.md#cli-gateway)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from prober import quota
from prober.replica import scenarios
from prober.replica.behaviours import cligateway
from prober.replica.server import Replica, start
from tests.cli import prober
from tests.test_replica import CN_TICKET_COOKIES, cookie_header, run

CODING_PLAN_API = "zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"
TOKEN_PLAN = "zeldaHttp.apikeyMgr./tokenplan/personal/api/v2/"
# The region x site table (docs/vendor.md#gateway-hosts): host -> (action, region, commodity code by site).
GATEWAYS = {
    "bailian-singapore-cs.alibabacloud.com": ("IntlBroadScopeAspnGateway", "ap-southeast-1", "intl"),
    "bailian-cs.console.alibabacloud.com": ("BroadScopeAspnGateway", "cn-beijing", "intl"),
    "bailian-cs.console.aliyun.com": ("BroadScopeAspnGateway", "cn-beijing", "cn"),
    "modelstudio-cs.console.aliyun.com": ("IntlBroadScopeAspnGateway", "ap-southeast-1", "cn"),
}
INTL = "bailian-singapore-cs.alibabacloud.com"
KEY = "sk-sp-replica-test-key"
# docs/vendor.md#choice-console-token: the gateway's failure envelope, as the replica sends NoPermission.
NO_PERMISSION = {
    "code": "200",
    "data": {"success": False, "httpStatus": 200, "errorCode": "NoPermission", "errorMsg": "NoPermission"},
    "httpStatusCode": "200",
    "successResponse": True,
}
WINDOWS = "5h 120/6000 (rolling) · week 3400/45000 · month 12000/90000"


def url(host: str, api: str = CODING_PLAN_API) -> str:
    action = GATEWAYS[host][0]
    return f"https://{host}/cli/api.json?action={action}&product=sfm_bailian&api={quote(api, safe='')}"


def form(host: str, api: str = CODING_PLAN_API, data: dict[str, object] | None = None) -> dict[str, str]:
    """bl's form (docs/vendor.md#cli-gateway): params and region only."""
    _, region, site = GATEWAYS[host]
    cornerstone = {"protocol": "V2", "console": "ONE_CONSOLE", "productCode": "p_efm", "consoleSite": "BAILIAN_ALIYUN"}
    request = {"queryCodingPlanInstanceInfoRequest": {"commodityCode": f"sfm_codingplan_public_{site}"}}
    payload = (
        data if data is not None else {**(request if api == CODING_PLAN_API else {}), "cornerstoneParam": cornerstone}
    )
    return {"params": json.dumps({"Api": api, "V": "1.0", "Data": payload}), "region": region}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(
    session: aiohttp.ClientSession, target: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    async with session.post(target, data=fields, headers=headers, allow_redirects=False) as response:
        return response.status, dict(response.headers), await response.text()


# ----------------------------------------------------------------------------------------------------
# The replica's answers.
# ----------------------------------------------------------------------------------------------------


def test_the_replica_token_reads_the_quota_on_every_gateway_of_the_table(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for host in GATEWAYS:
            status, headers, text = await post(session, url(host), form(host), bearer(cligateway.REPLICA_CONSOLE_TOKEN))
            assert (status, headers["x-replica-behaviour"]) == (200, "cli-gateway"), host
            body = json.loads(text)
            # The full DataV2 envelope (docs/vendor.md#shape-datav2-success), the payload at data.DataV2.data.data.
            assert (body["code"], body["successResponse"], body["data"]["success"]) == ("200", True, True)
            assert body["data"]["DataV2"]["ret"] == ["SUCCESS::接口调用成功"]
            assert "codingPlanInstanceInfos" in body["data"]["DataV2"]["data"]["data"]
            found = quota.parse(text)
            assert found is not None and quota.summary(found) == WINDOWS, host

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(bearer(KEY), id="sk-sp-key"),
        pytest.param(bearer("sk-" + "a" * 32), id="sk-key"),
        pytest.param(bearer(cligateway.REPLICA_EXPIRED_CONSOLE_TOKEN), id="expired-token"),
        pytest.param(bearer("someone-elses-console-token"), id="another-token"),
        pytest.param({}, id="no-credential"),
        pytest.param({"Cookie": cookie_header(CN_TICKET_COOKIES)}, id="browser-session-only"),
    ],
)
def test_anything_but_the_replica_token_gets_no_permission(tmp_path: Path, headers: dict[str, str]) -> None:
    """docs/vendor.md#console-token-errors (the key, an expired token: observed), #choice-console-token (the rest)."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for host in GATEWAYS:
            for api in (CODING_PLAN_API, TOKEN_PLAN + "usage", "someOther.api"):
                status, answer_headers, text = await post(session, url(host, api), form(host, api), headers)
                assert (status, json.loads(text)) == (200, NO_PERMISSION), (host, api)
                assert answer_headers["x-replica-behaviour"] == "cli-gateway"

    run(tmp_path, scenario)


def test_token_plan_apis_and_the_honest_unknowns_on_the_cli_gateway(tmp_path: Path) -> None:
    """docs/vendor.md#cli-gateway-token-plan: Token Plan shapes for the token; the subscription and unknown APIs
    are unmodelled; a switchAgent gets Workspace.NotAuthorised (docs/vendor.md#choice-switch-agent)."""
    token = bearer(cligateway.REPLICA_CONSOLE_TOKEN)

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for host in (INTL, "bailian-cs.console.aliyun.com"):
            status, _, text = await post(
                session, url(host, TOKEN_PLAN + "usage"), form(host, TOKEN_PLAN + "usage"), token
            )
            usage = json.loads(text)["data"]["DataV2"]["data"]["data"]
            assert (status, sorted(usage)) == (200, ["per1MonthPercentage", "per1MonthResetTime"])
            found = quota.parse(text)
            assert found is not None and quota.summary(found) == "month 12.5%"
            for name, key in (("quota-config", "pro"), ("addon/summary", "remainingCredits"), ("addon/list", "items")):
                status, _, text = await post(
                    session, url(host, TOKEN_PLAN + name), form(host, TOKEN_PLAN + name), token
                )
                assert status == 200 and key in json.loads(text)["data"]["DataV2"]["data"]["data"], name
            status, _, text = await post(
                session, url(host, TOKEN_PLAN + "reset-card/list"), form(host, TOKEN_PLAN + "reset-card/list"), token
            )
            assert (status, json.loads(text)["data"]["DataV2"]["data"]["data"]) == (200, [])
            for api in (TOKEN_PLAN + "subscription", "someOther.api"):
                status, headers, _ = await post(session, url(host, api), form(host, api), token)
                assert (status, headers["x-replica"], headers["x-replica-behaviour"]) == (
                    501,
                    "unmodelled",
                    "cli-gateway",
                ), api
            foreign: dict[str, object] = {"cornerstoneParam": {"protocol": "V2", "switchAgent": 313762}}
            status, _, text = await post(
                session, url(host, TOKEN_PLAN + "usage"), form(host, TOKEN_PLAN + "usage", foreign), token
            )
            assert json.loads(text)["data"]["errorCode"] == "BailianGateway.Workspace.NotAuthorised"
        # The API is params.Api, else the api query value (docs/vendor.md#api-names).
        status, _, text = await post(session, url(INTL), {"region": "ap-southeast-1"}, token)
        assert status == 200 and quota.parse(text) is not None

    run(tmp_path, scenario)


def test_qwencloud_envelope_and_unsigned_generate_access_token_are_honest_unknowns(tmp_path: Path) -> None:
    """docs/vendor.md#qwencloud-cli-gateway and #shape-acs-error record no answer to what prober sends there."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        calls: tuple[tuple[str, dict[str, str], str], ...] = (
            ("https://cli.qwencloud.com/data/v2/api.json", bearer(KEY), "qwencloud-cli-envelope"),
            ("https://cli.qwencloud.com/data/v2/api.json", {}, "qwencloud-cli-envelope"),
            (
                "https://modelstudio.ap-southeast-1.aliyuncs.com/modelstudio/cli/generateAccessToken",
                {"x-acs-action": "GenerateCLIAccessToken", "x-acs-version": "2026-02-10"},
                "generate-access-token",
            ),
            (
                "https://modelstudio.cn-beijing.aliyuncs.com/modelstudio/cli/generateAccessToken",
                {},
                "generate-access-token",
            ),
        )
        for target, headers, name in calls:
            async with session.post(target, headers=headers, json={}) as response:
                assert (response.status, response.headers["x-replica"]) == (501, "unmodelled"), target
                assert response.headers["x-replica-behaviour"] == name
                assert (await response.json())["replica"] == "not modelled"

    run(tmp_path, scenario)


def test_the_replica_help_lists_every_scenario_from_the_registry() -> None:
    result = prober("replica", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for scenario in scenarios.SCENARIOS.values():
        assert f"{scenario.name} {' '.join(scenario.summary.split())}" in text, scenario.name
    # Only the scenarios the registry marks hypothetical say so.
    assert text.count("HYPOTHETICAL:") == sum(s.hypothetical for s in scenarios.SCENARIOS.values())


# ----------------------------------------------------------------------------------------------------
# A sweep with the shipped catalogue against the replica, as a user runs it.
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replica]:
    """The replica on a free port, served by its own event loop in a thread while `prober run` runs beside it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    started = asyncio.run_coroutine_threadsafe(start(port=0, directory=tmp_path_factory.mktemp("replica")), loop)
    served = started.result(timeout=30)
    yield served
    asyncio.run_coroutine_threadsafe(served.close(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture(autouse=True)
def no_console_token_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sweep gets exactly the credentials its test gives (the key variables are dropped by `prober`)."""
    for name in ("BAILIAN_CONSOLE_TOKEN", "DASHSCOPE_ACCESS_TOKEN", "BAILIAN_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)


def sweep(replica: Replica, tmp_path: Path, env: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    """`prober run` on the shipped catalogue's CLI gateway probes; (stdout, Markdown, JSON results by probe id)."""
    out = tmp_path / "reports"
    home = tmp_path / "home"  # no bl config: the token comes from the environment only
    home.mkdir()
    result = prober(
        "run",
        "--select",
        "cli-gateway-*",
        "--connect-to",
        replica.connect_to,
        "--cacert",
        str(replica.ca_path),
        "--out",
        str(out),
        env={"HOME": str(home), **env},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(next(out.glob("*.json")).read_text())
    results = {r["probe"]["id"]: r["outcome"] for r in report["results"]}
    return result.stdout, next(out.glob("*.md")).read_text(), results


def row(markdown: str, cell: str) -> str:
    """The Result cell of the results table row whose Endpoint cell is `cell`, code spans unwrapped."""
    for line in markdown.splitlines():
        if line.startswith(f"| {cell} | "):
            return line.split(" | ", 1)[1].rstrip(" |").replace("`", "")
    raise AssertionError(f"no row {cell}")


def section(markdown: str, probe_id: str) -> str:
    return markdown.split(f"\n### {probe_id}\n", 1)[1].split("\n### ", 1)[0]


def test_only_a_console_token_reads_the_three_intl_windows_from_the_cli_gateway(
    replica: Replica, tmp_path: Path
) -> None:
    token = cligateway.REPLICA_CONSOLE_TOKEN
    stdout, markdown, results = sweep(replica, tmp_path, {"BAILIAN_CONSOLE_TOKEN": token})
    intl = results["cli-gateway-intl"]
    assert (intl["class"], intl["expected"]) == ("ok", True)
    assert intl["hops"][0]["url"].startswith(f"https://{INTL}/cli/api.json?")
    assert intl["hops"][0]["sent"] == ["Authorization"]
    windows = {w["name"]: w for w in intl["quota"]["windows"]}
    assert list(windows) == ["5h", "week", "month"]
    assert (windows["5h"]["used"], windows["5h"]["total"], windows["5h"]["rolling"]) == (120, 6000, True)
    assert (windows["week"]["used"], windows["week"]["total"]) == (3400, 45000)
    assert (windows["month"]["used"], windows["month"]["total"]) == (12000, 90000)
    # The results row, in the Markdown table and on the terminal.
    assert row(markdown, f"`POST {INTL}/cli/api.json` (cli-gateway-intl)") == f"200 · quota {WINDOWS}"
    # (A result too long for its line goes on on the next, under the result column: issue 13.)
    table = re.sub(r"\n {20,}", " ", stdout)
    assert ["cli-gateway-intl", f"200 · quota {WINDOWS}"] in [line.split(None, 1) for line in table.splitlines()]
    # The per-window lines: the 5-hour window slides; the Token Plan's monthly window is a percentage.
    lines = section(markdown, "cli-gateway-intl")
    assert "  - `5h`: 120/6000, rolling (no reset time)\n" in lines
    assert "  - `week`: 3400/45000, resets `" in lines and "  - `month`: 12000/90000, resets `" in lines
    assert "  - `month`: 12.5 % used, resets `" in section(markdown, "cli-gateway-token-plan-usage-intl")
    # No key, no cookies: those probes are skipped, and the token is in no output.
    assert results["cli-gateway-intl-key"]["class"] == "skipped"
    assert results["cli-gateway-intl-no-credential"]["vendor_error"]["code"] == "NoPermission"
    assert token not in stdout + markdown + json.dumps(results)


def test_the_key_as_the_bearer_shows_no_permission_on_that_route(replica: Replica, tmp_path: Path) -> None:
    _, markdown, results = sweep(replica, tmp_path, {"DASHSCOPE_API_KEY": KEY})
    key = results["cli-gateway-intl-key"]
    assert (key["class"], key["expected"], key["vendor_error"]["code"]) == ("key_rejected", True, "NoPermission")
    assert "(the API key was sent)" in key["explanation"]
    assert row(markdown, f"`POST {INTL}/cli/api.json` (bearer)") == "200 NoPermission"
    assert results["cli-gateway-intl"]["class"] == "skipped"  # no console token: never the key in its place
    assert "no console token: set BAILIAN_CONSOLE_TOKEN" in row(
        markdown, f"`POST {INTL}/cli/api.json` (cli-gateway-intl)"
    )
