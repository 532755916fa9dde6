"""The replica over real TLS: real hostnames resolved to loopback, a client trusting only the replica's CA."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from prober import catalogue
from prober.model import Auth, Probe
from prober.replica import behaviours
from prober.replica.behaviours import HOSTS, common
from prober.replica.server import Replica, start

CATALOGUE = Path(__file__).resolve().parent.parent / "probes.yaml"
KEY = "sk-sp-replica-test-key"

# The cookies #612 found in an INTL browser: passport cookies, no login_aliyunid_ticket.
INTL_PASSPORT_COOKIES = {
    "login_current_pk": "5000000000000000",
    "login_aliyunid_pk": "5000000000000000",
    "login_aliyunid": "user@example.com",
    "aliyunid_third_login_state": "1",
    "cr_token": "cr",
    "help_csrf": "csrf",
}
CN_TICKET_COOKIES = {"login_aliyunid_ticket": "ticket", "login_aliyunid_pk": "1000000000000000"}

# Probes whose answer no source records; the replica says so (501, x-replica: unmodelled) on purpose.
DOCUMENTED_UNKNOWNS = {
    "qwencloud-cli-account-info",
    "qwencloud-home-user-info",
    "qwencloud-token-plan-usage",
    "qwencloud-cli-coding-plan",
    "generate-access-token-intl",
    "generate-access-token-cn",
}

# CodexBar #612 section 3, row for row.
TABLE_612 = [
    ("https://dashscope-intl.aliyuncs.com/api/v1/policies", 404),
    ("https://dashscope-intl.aliyuncs.com/api/v1/usage", 404),
    ("https://dashscope-intl.aliyuncs.com/api/v1/subscriptions", 404),
    ("https://dashscope-intl.aliyuncs.com/api/v1/models", 401),
    ("https://coding-intl.dashscope.aliyuncs.com/compatible-mode/v1/usage", 404),
    ("https://coding-intl.dashscope.aliyuncs.com/api/v1/quota", 404),
    ("https://coding-intl.dashscope.aliyuncs.com/v1/models", 404),
]

KEY_HEADERS = {
    "bearer": ("Authorization", f"Bearer {KEY}"),
    "x-api-key": ("x-api-key", KEY),
    "x-dashscope-api-key": ("X-DashScope-API-Key", KEY),
}


class LoopbackResolver(AbstractResolver):
    """Sends every name to the replica, so URLs keep their real hostnames (SNI, certificate checks)."""

    def __init__(self, port: int) -> None:
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


Scenario = Callable[[Replica, aiohttp.ClientSession], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, latency: float = 0.0, replica_scenario: str = "observed") -> None:
    async def main() -> None:
        replica = await start(port=0, latency=latency, directory=tmp_path, scenario=replica_scenario)
        try:
            context = ssl.create_default_context(cafile=str(replica.ca_path))
            connector = aiohttp.TCPConnector(ssl=context, resolver=LoopbackResolver(replica.port))
            async with aiohttp.ClientSession(connector=connector) as session:
                await scenario(replica, session)
        finally:
            await replica.close()

    asyncio.run(main())


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def test_certificate_is_written_and_trusted(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        assert replica.ca_path == tmp_path / "ca.pem"
        assert replica.ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert replica.connect_to == f"::127.0.0.1:{replica.port}"
        assert replica.url_host == "127.0.0.1"
        # The leaf also covers the socket address itself.
        async with session.get(f"https://127.0.0.1:{replica.port}/") as response:
            assert response.status == 501

    run(tmp_path, scenario)


def test_table_612_row_for_row(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        seen = []
        for url, _ in TABLE_612:
            async with session.get(url, headers={"Authorization": f"Bearer {KEY}"}) as response:
                await response.read()
                seen.append((url, response.status))
        assert seen == TABLE_612
        async with session.get(TABLE_612[3][0], headers={"Authorization": f"Bearer {KEY}"}) as response:
            body = await response.json()
        assert body["code"] == "InvalidApiKey"
        assert body["message"] == "Invalid API-key provided."
        assert body["request_id"]
        # Seven requests to two hosts over keep-alive: one connection per host.
        assert replica.connections == 2

    run(tmp_path, scenario)


@pytest.mark.parametrize("style", sorted(KEY_HEADERS))
def test_console_gateway_answers_console_need_login_for_each_key_style(tmp_path: Path, style: str) -> None:
    name, value = KEY_HEADERS[style]
    url = (
        "https://modelstudio.console.alibabacloud.com/data/api.json?action=zeldaEasy.broadscope-bailian."
        "codingPlan.queryCodingPlanInstanceInfoV2&product=broadscope-bailian&api=queryCodingPlanInstanceInfoV2"
        "&currentRegionId=ap-southeast-1"
    )
    payload = {"queryCodingPlanInstanceInfoRequest": {"commodityCode": "sfm_codingplan_public_intl"}}

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        async with session.post(url, json=payload, headers={name: value}) as response:
            assert response.status == 200
            assert response.headers["x-replica-behaviour"] == "console-gateway"
            body = await response.json()
        assert body["code"] == "ConsoleNeedLogin"
        assert body["message"] == "You need to log in."
        assert body["successResponse"] is False
        assert body["requestId"]

    run(tmp_path, scenario)


RPC_INTL_URL = (
    "https://bailian-singapore-cs.alibabacloud.com/data/api.json?action=IntlBroadScopeAspnGateway"
    "&product=sfm_bailian&api=zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2"
    "&_v=undefined"
)

# docs/vendor.md#shape-not-logined, byte for byte as captured.
NOT_LOGINED = {
    "code": "200",
    "data": {
        "success": False,
        "httpStatus": 200,
        "errorCode": "BailianGateway.Login.NotLogined",
        "errorMsg": "BailianGateway.Login.NotLogined",
    },
    "httpStatusCode": "200",
    "successResponse": True,
}


def test_intl_passport_cookies_get_not_logined_on_the_rpc_host(tmp_path: Path) -> None:
    """docs/vendor.md#conflict-logged-out-rpc: the newer reports (200 NotLogined) are the observed default."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        headers = {"Cookie": cookie_header(INTL_PASSPORT_COOKIES)}
        form = {"params": "{}", "region": "ap-southeast-1", "sec_token": ""}
        async with session.post(RPC_INTL_URL, data=form, headers=headers, allow_redirects=False) as response:
            assert response.status == 200
            assert response.headers["x-replica-behaviour"] == "console-rpc"
            assert "Location" not in response.headers
            assert await response.json() == NOT_LOGINED
        # #612's 302 most likely came from the dashboard, which still sends the passport session to login.
        dashboard = "https://modelstudio.console.alibabacloud.com/ap-southeast-1/?tab=coding-plan"
        async with session.get(dashboard, headers=headers, allow_redirects=False) as response:
            assert response.status == 302
            assert urlsplit(response.headers["Location"]).hostname == "passport.alibabacloud.com"

    run(tmp_path, scenario)


def test_intl_passport_cookies_are_redirected_to_passport_in_the_612_reading(tmp_path: Path) -> None:
    """The rpc-login-redirect scenario keeps CodexBar #612's reading: the RPC host itself answers 302."""
    url = RPC_INTL_URL

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        headers = {"Cookie": cookie_header(INTL_PASSPORT_COOKIES)}
        form = {"params": "{}", "region": "ap-southeast-1", "sec_token": ""}
        async with session.post(url, data=form, headers=headers, allow_redirects=False) as response:
            assert response.status == 302
            location = response.headers["Location"]
        target = urlsplit(location)
        assert target.scheme == "https"
        assert target.hostname == "passport.alibabacloud.com"
        assert parse_qs(target.query)[common.LOGIN_RETURN_PARAM] == [url]
        async with session.get(location) as response:
            assert response.status == 200
            page = await response.text()
        assert "passport.alibabacloud.com" in page
        assert 'type="password"' in page

    run(tmp_path, scenario, replica_scenario="rpc-login-redirect")


def test_cn_console_without_ticket_goes_to_signin(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        url = "https://bailian.console.aliyun.com/cn-beijing/?tab=model"
        async with session.get(url, allow_redirects=False) as response:
            assert response.status == 302
            assert urlsplit(response.headers["Location"]).hostname == "signin.aliyun.com"

    run(tmp_path, scenario)


def test_cn_ticket_session_gets_the_quota(tmp_path: Path) -> None:
    url = (
        "https://bailian-cs.console.aliyun.com/data/api.json?action=BroadScopeAspnGateway&product=sfm_bailian"
        "&api=zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2&_v=undefined"
    )

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        headers = {"Cookie": cookie_header(CN_TICKET_COOKIES)}
        # The gateway wants the session's sec_token, which /tool/user/info.json gives (reference A2).
        info_url = "https://bailian.console.aliyun.com/tool/user/info.json"
        async with session.get(info_url, headers=headers, allow_redirects=False) as response:
            token = (await response.json())["data"]["secToken"]
        form = {"params": "{}", "region": "cn-beijing", "sec_token": token}
        async with session.post(url, data=form, headers=headers, allow_redirects=False) as response:
            assert response.status == 200
            body = await response.json()
        # docs/vendor.md#shape-datav2-success: the full envelope, the payload at data.DataV2.data.data.
        assert (body["code"], body["httpStatusCode"], body["successResponse"]) == ("200", "200", True)
        assert (body["data"]["success"], body["data"]["httpStatus"], body["data"]["errorCode"]) == (True, 200, "")
        assert body["data"]["DataV2"]["ret"] == ["SUCCESS::接口调用成功"]
        inner = body["data"]["DataV2"]["data"]
        assert (inner["code"], inner["success"], inner["msg"]) == ("SUCCESS", True, "Success.")
        instances = inner["data"]["codingPlanInstanceInfos"]
        assert instances[0]["status"] == "VALID"
        info = instances[0]["codingPlanQuotaInfo"]
        assert (info["per5HourTotalQuota"], info["perWeekTotalQuota"], info["perBillMonthTotalQuota"]) == (
            6000,
            45000,
            90000,
        )
        now_ms = time.time() * 1000
        for window in ("per5Hour", "perWeek", "perBillMonth"):
            assert 0 <= info[f"{window}UsedQuota"] <= info[f"{window}TotalQuota"]
        # docs/vendor.md#five-hour-trailing: the 5-hour refresh time is the server's clock; the others lie ahead.
        assert now_ms - 60_000 < info["per5HourQuotaNextRefreshTime"] <= now_ms
        assert info["perWeekQuotaNextRefreshTime"] > now_ms
        assert info["perBillMonthQuotaNextRefreshTime"] > now_ms

    run(tmp_path, scenario)


def test_anthropic_messages_answer_without_rate_limit_headers(tmp_path: Path) -> None:
    url = "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic/v1/messages"
    payload = {"model": "qwen3-coder-plus", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for name, value in (KEY_HEADERS["bearer"], KEY_HEADERS["x-api-key"]):
            async with session.post(url, json=payload, headers={name: value}) as response:
                assert response.status == 200
                assert response.headers["server"] == "istio-envoy"
                assert "x-request-id" in response.headers
                assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")]
                assert (await response.json())["type"] == "message"
        async with session.post(url, json=payload, headers={"Authorization": "Bearer sk-general"}) as response:
            assert response.status == 401
            assert "invalid access token or token expired" in await response.text()

    run(tmp_path, scenario)


def test_latency_is_applied(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        started = time.monotonic()
        async with session.get(TABLE_612[0][0]) as response:
            assert response.status == 404
        assert time.monotonic() - started >= 0.3

    run(tmp_path, scenario, latency=0.3)


def test_unknown_paths_are_unmodelled_not_invented(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for url in (
            "https://dashscope-intl.aliyuncs.com/api/v1/not-a-path",
            "https://coding-intl.dashscope.aliyuncs.com/v1/models?x=1",  # right path, wrong method below
        ):
            async with session.delete(url) as response:
                assert response.status == 501
                assert response.headers["x-replica"] == "unmodelled"
                assert response.headers["x-replica-behaviour"] == "unmodelled"
                body = await response.json()
                assert body["replica"] == "not modelled"
                assert body["detail"]

    run(tmp_path, scenario)


# ----------------------------------------------------------------------------------------------------
# The shipped catalogue against the replica (parsed here with yaml; the loader is separate work).
# ----------------------------------------------------------------------------------------------------


def catalogue_probes() -> list[tuple[str, Probe, str, str | None]]:
    """(id, probe, url, key style) for every probe of the shipped catalogue, as prober reads it (defaults, query
    maps and expansion included)."""
    loaded = catalogue.load(CATALOGUE)
    return [(p.id, p, p.url, p.key_style.value if p.key_style else None) for p in loaded.probes]


def test_catalogue_hosts_are_all_served() -> None:
    hosts = {urlsplit(url).hostname or "" for _, _, url, _ in catalogue_probes()}
    assert hosts <= HOSTS, sorted(h for h in hosts if h not in HOSTS)


def test_catalogue_ids_are_unique_after_expansion() -> None:
    ids = [probe_id for probe_id, _, _, _ in catalogue_probes()]
    assert len(ids) == len(set(ids))


def test_catalogue_starts_with_the_612_table() -> None:
    first = catalogue_probes()[: len(TABLE_612)]
    assert [(url, list(probe.expect.statuses) if probe.expect else None) for _, probe, url, _ in first] == [
        (url, [status]) for url, status in TABLE_612
    ]


def request_parts(probe: Probe, style: str | None) -> tuple[dict[str, str], str | None]:
    """Headers (credentials included, as the runner will attach them) and the encoded body of one probe."""
    headers = dict(probe.headers)
    if probe.auth is Auth.KEY and style is not None:
        name, value = KEY_HEADERS[style]
        headers[name] = value
    elif probe.auth is Auth.COOKIES:
        headers["Cookie"] = cookie_header(INTL_PASSPORT_COOKIES)
    if probe.body is None:
        return headers, None
    headers["Content-Type"] = probe.body.kind.content_type
    return headers, probe.body.text


def test_every_catalogue_probe_gets_a_modelled_answer(tmp_path: Path) -> None:
    """Over the wire, with a sk-sp key and #612's INTL passport cookies: only documented unknowns 501."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        unmodelled = set()
        for probe_id, probe, url, style in catalogue_probes():
            headers, body = request_parts(probe, style)
            async with session.request(
                probe.method, url, headers=headers, data=body, allow_redirects=False
            ) as response:
                await response.read()
                assert response.headers["x-replica-behaviour"] != "unmodelled", probe_id
                if response.status == 501:
                    unmodelled.add(probe_id.split("/")[0])
                elif probe.expect is not None and probe.expect.statuses:
                    assert response.status in probe.expect.statuses, probe_id
        assert unmodelled == DOCUMENTED_UNKNOWNS

    run(tmp_path, scenario)


def test_every_behaviour_cites_a_source() -> None:
    names = [behaviour.name for behaviour in behaviours.BEHAVIOURS]
    assert len(names) == len(set(names))
    for behaviour in behaviours.BEHAVIOURS:
        assert behaviour.source.strip(), behaviour.name
        assert behaviour.hosts <= HOSTS


def test_dashscope_tokenplan_tasks_and_the_cn_console_on_alibabacloud(tmp_path: Path) -> None:
    """docs/vendor.md#dashscope-tokenplan and #hosts-console: the smaller facts of the newer sources."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        bearer = {"Authorization": f"Bearer {KEY}"}
        for headers in (bearer, {}):
            async with session.get(
                "https://dashscope.aliyuncs.com/api/v1/tokenplan/usage", headers=headers
            ) as response:
                assert (response.status, await response.read()) == (404, b"")
                assert response.headers["server"] == "istio-envoy"
        zero = "https://dashscope-intl.aliyuncs.com/api/v1/tasks/00000000-0000-0000-0000-000000000000"
        async with session.get(zero, headers=bearer) as response:
            assert response.status == 401
            assert (await response.json())["code"] == "InvalidApiKey"
        old = "https://bailian.console.alibabacloud.com/ap-southeast-1/?tab=coding-plan"
        async with session.get(old, allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == old.replace("bailian.", "modelstudio.", 1)

    run(tmp_path, scenario)
