"""Replica console sessions over real TLS: login cookie sets, SEC_TOKEN, the sec_token check and its precedence."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from prober.replica.behaviours import common, console
from prober.replica.behaviours import login as replica_login
from prober.replica.server import Replica
from tests.test_replica import CN_TICKET_COOKIES, INTL_PASSPORT_COOKIES, NOT_LOGINED, cookie_header, run

RPC_CN = (
    "https://bailian-cs.console.aliyun.com/data/api.json?action=BroadScopeAspnGateway&product=sfm_bailian"
    "&api=zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2&_v=undefined"
)
RPC_INTL = (
    "https://bailian-singapore-cs.alibabacloud.com/data/api.json?action=IntlBroadScopeAspnGateway"
    "&product=sfm_bailian&api=zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2&_v=undefined"
)
GATEWAY_INTL = "https://modelstudio.console.alibabacloud.com/data/api.json?action=IntlBroadScopeAspnGateway"
MODEL_CN = "https://bailian.console.aliyun.com/cn-beijing/?tab=model"
PLAN_CN = "https://bailian.console.aliyun.com/cn-beijing?tab=plan"
USER_INFO_CN = "https://bailian.console.aliyun.com/tool/user/info.json"
LOGIN_CN = "https://signin.aliyun.com/login/login.do"
LOGIN_INTL = "https://passport.alibabacloud.com/login/login.do"
NAVIGATION = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}

# docs/vendor.md#sec-token: SEC_TOKEN: "<value>" inside window.ALIYUN_CONSOLE_CONFIG.
SEC_TOKEN = re.compile(r'window\.ALIYUN_CONSOLE_CONFIG = \{[^}]*SEC_TOKEN: "([^"]+)"')

INTL_NAMES = [
    "login_current_pk",
    "login_aliyunid_pk",
    "login_aliyunid",
    "aliyunid_third_login_state",
    "cr_token",
    "help_csrf",
    "x5sec",
    "last_u_intl-aliyun_intl-aliyun",
]
CN_NAMES = ["login_aliyunid_ticket", "login_aliyunid_pk", "login_aliyunid_csrf", "cna"]


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-cased names; flags map to ""


def parse_set_cookie(header: str) -> SetCookie:
    first, *rest = header.split("; ")
    name, _, value = first.partition("=")
    attributes = {}
    for part in rest:
        key, _, attribute = part.partition("=")
        attributes[key.lower()] = attribute
    return SetCookie(name, value, attributes)


def form(sec_token: str | None, region: str = "cn-beijing") -> dict[str, str]:
    fields = {"params": "{}", "region": region}
    if sec_token is not None:
        fields["sec_token"] = sec_token
    return fields


async def login(session: aiohttp.ClientSession, url: str, kind: str) -> list[SetCookie]:
    async with session.get(url, params={"as": kind}, allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["x-replica-behaviour"] == "login"
        return [parse_set_cookie(h) for h in response.headers.getall("Set-Cookie")]


async def sec_token_of(session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None) -> str | None:
    async with session.get(url, headers=headers, allow_redirects=False) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        found = SEC_TOKEN.search(await response.text())
    return found.group(1) if found else None


async def rpc(
    session: aiohttp.ClientSession, fields: dict[str, str], cookies: dict[str, str] | None = None, url: str = RPC_CN
) -> tuple[int, dict[str, str], dict[str, object]]:
    headers = {"Cookie": cookie_header(cookies)} if cookies is not None else None
    async with session.post(url, data=fields, headers=headers, allow_redirects=False) as response:
        body = await response.json() if response.status == 200 else {}
        return response.status, dict(response.headers), body


def is_quota(body: dict[str, object]) -> bool:
    data = body.get("data")
    return isinstance(data, dict) and "DataV2" in data and body.get("successResponse") is True


def is_stale(body: dict[str, object]) -> bool:
    return (body["code"], body["message"], body["successResponse"]) == (
        "PostonlyOrTokenError",
        "request has expired, please refresh page",
        False,
    )


def is_not_logined(body: dict[str, object]) -> bool:
    return body == NOT_LOGINED


# ----------------------------------------------------------------------------------------------------
# The login: cookie sets, attributes, redirects.
# ----------------------------------------------------------------------------------------------------


def test_cn_login_sets_the_ticket_cookies_on_aliyun_com(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        async with session.get(LOGIN_CN, params={"as": "cn"}, allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == common.DASHBOARD_CN
            cookies = [parse_set_cookie(h) for h in response.headers.getall("Set-Cookie")]
        assert [c.name for c in cookies] == CN_NAMES
        for cookie in cookies:
            assert cookie.value
            assert cookie.attributes["domain"] == ".aliyun.com"
            assert cookie.attributes["path"] == "/"
            assert "secure" in cookie.attributes
        assert {c.name for c in cookies if "httponly" in c.attributes} == {"login_aliyunid_ticket"}
        # One session cookie (no Max-Age); the rest last a day.
        assert {c.name for c in cookies if "max-age" not in c.attributes} == {"login_aliyunid_csrf"}
        assert {c.attributes.get("max-age") for c in cookies} == {"86400", None}

    run(tmp_path, scenario)


def test_intl_login_posts_the_passport_cookies_on_alibabacloud_com(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        fields = {"loginId": "user@example.com", "password": "x", "as": "intl"}
        async with session.post(LOGIN_INTL, data=fields, allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == common.DASHBOARD_INTL
            cookies = [parse_set_cookie(h) for h in response.headers.getall("Set-Cookie")]
        assert [c.name for c in cookies] == INTL_NAMES
        assert "login_aliyunid_ticket" not in {c.name for c in cookies}
        for cookie in cookies:
            assert cookie.value
            assert (cookie.attributes["domain"], cookie.attributes["path"]) == (".alibabacloud.com", "/")
            assert "secure" in cookie.attributes
        assert {c.name for c in cookies if "httponly" in c.attributes} == {
            "login_current_pk",
            "aliyunid_third_login_state",
            "cr_token",
            "x5sec",
        }
        assert {c.name for c in cookies if "max-age" not in c.attributes} == {"help_csrf", "x5sec"}

    run(tmp_path, scenario)


def test_login_host_defaults_redirects_and_errors(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        # A form post without `as` logs in as the login host's own family.
        for url, names in ((LOGIN_CN, CN_NAMES), (LOGIN_INTL, INTL_NAMES)):
            async with session.post(url, data={"loginId": "u", "password": "p"}, allow_redirects=False) as response:
                assert response.status == 302
                assert [parse_set_cookie(h).name for h in response.headers.getall("Set-Cookie")] == names
        # The other family's cookies come only from its own host (a browser would reject the Domain).
        for url, kind, target in ((LOGIN_INTL, "cn", LOGIN_CN), (LOGIN_CN, "intl", LOGIN_INTL)):
            async with session.post(url, data={"as": kind}, allow_redirects=False) as response:
                assert response.status == 302
                assert "Set-Cookie" not in response.headers
                assert response.headers["Location"] == f"{target}?as={kind}"
        async with session.get(LOGIN_CN, params={"as": "eu"}, allow_redirects=False) as response:
            assert response.status == 400
            assert await response.text() == "as must be cn or intl, not 'eu'\n"
        # Without `as`, the GET shows the form, which offers both sessions and the GET shortcuts.
        for url, selected in ((LOGIN_CN, "cn"), (LOGIN_INTL, "intl")):
            async with session.get(url, allow_redirects=False) as response:
                assert response.status == 200
                page = await response.text()
            assert 'type="password"' in page
            assert f'<option value="{selected}" selected>' in page
            assert f'action="{url}"' in page
            assert f'href="{LOGIN_CN}?as=cn"' in page
            assert f'href="{LOGIN_INTL}?as=intl"' in page
        async with session.get("https://signin.aliyun.com/login/login.htm") as response:
            assert 'name="as"' in await response.text()

    run(tmp_path, scenario)


def test_login_values_are_fresh_per_login(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for url, kind in ((LOGIN_CN, "cn"), (LOGIN_INTL, "intl")):
            first = {c.name: c.value for c in await login(session, url, kind)}
            second = {c.name: c.value for c in await login(session, url, kind)}
            assert first.keys() == second.keys()
            assert all(first[name] != second[name] for name in first)

    run(tmp_path, scenario)


# ----------------------------------------------------------------------------------------------------
# The token flow, end to end with aiohttp's own cookie jar.
# ----------------------------------------------------------------------------------------------------


def test_cn_token_flow_end_to_end(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        await login(session, LOGIN_CN, "cn")
        # The jar now holds the .aliyun.com cookies and sends them to both console hosts.
        assert sorted(c.key for c in session.cookie_jar) == sorted(CN_NAMES)
        token = await sec_token_of(session, PLAN_CN, headers={**NAVIGATION, "Referer": MODEL_CN})
        assert token and re.fullmatch(r"[0-9a-f]{32}", token)
        status, headers, body = await rpc(session, form(token))
        assert status == 200
        assert is_quota(body)
        assert "x-replica" not in headers
        assert "x-replica-sec-token" not in headers
        instances = body["data"]["DataV2"]["data"]["data"]["codingPlanInstanceInfos"]  # type: ignore[index]
        assert instances[0]["codingPlanQuotaInfo"]["per5HourTotalQuota"] == 6000

    run(tmp_path, scenario)


def test_following_the_login_redirect_lands_on_a_dashboard_with_the_token(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        async with session.get(LOGIN_CN, params={"as": "cn"}) as response:
            assert str(response.url) == common.DASHBOARD_CN
            assert response.status == 200
            found = SEC_TOKEN.search(await response.text())
        assert found is not None
        async with session.get(USER_INFO_CN) as response:
            assert response.status == 200
            assert await response.json() == {"data": {"secToken": found.group(1)}}

    run(tmp_path, scenario)


def test_sec_token_placement_and_determinism(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        await login(session, LOGIN_CN, "cn")
        token = await sec_token_of(session, PLAN_CN, headers=NAVIGATION)
        assert token is not None
        # The plan page renders SEC_TOKEN only for a full navigation (#2891/#3098).
        assert await sec_token_of(session, PLAN_CN) is None
        for missing in NAVIGATION:
            partial = {k: v for k, v in NAVIGATION.items() if k != missing}
            assert await sec_token_of(session, PLAN_CN, headers=partial) is None
        assert await sec_token_of(session, PLAN_CN, headers={**NAVIGATION, "Sec-Fetch-Mode": "cors"}) is None
        # The model dashboard embeds it for a plain GET; every route gives the same session the same token.
        assert await sec_token_of(session, MODEL_CN) == token
        assert await sec_token_of(session, PLAN_CN, headers=NAVIGATION) == token
        async with session.get(USER_INFO_CN) as response:
            assert (await response.json())["data"]["secToken"] == token
        async with session.get(PLAN_CN, headers=NAVIGATION) as response:
            page = await response.text()
        assert f'window.ALIYUN_CONSOLE_CONFIG = {{ SEC_TOKEN: "{token}" }};' in page

    run(tmp_path, scenario)


def test_missing_or_stale_sec_token_gets_postonly_or_token_error(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        first = {c.name: c.value for c in await login(session, LOGIN_CN, "cn")}
        first_token = await sec_token_of(session, MODEL_CN)
        second = {c.name: c.value for c in await login(session, LOGIN_CN, "cn")}  # the jar now holds this one
        second_token = await sec_token_of(session, MODEL_CN)
        assert first_token and second_token and first_token != second_token
        session.cookie_jar.clear()
        for cookies in (first, second):
            for fields in (form(None), form(""), form("not-a-token")):
                status, _, body = await rpc(session, fields, cookies)
                assert status == 200
                assert is_stale(body), (fields, body)
        # Another session's token is stale; each session's own token works.
        assert is_stale((await rpc(session, form(second_token), first))[2])
        assert is_stale((await rpc(session, form(first_token), second))[2])
        assert is_quota((await rpc(session, form(first_token), first))[2])
        assert is_quota((await rpc(session, form(second_token), second))[2])

    run(tmp_path, scenario)


def test_a_hand_made_ticket_gets_a_token_and_must_present_it(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(CN_TICKET_COOKIES)})
        assert token is not None
        status, headers, body = await rpc(session, form(token), CN_TICKET_COOKIES)
        assert (status, is_quota(body), "x-replica-sec-token" in headers) == (200, True, False)
        for fields in (form(""), form(None)):  # a missing sec_token gets the stale-token error (reference C1)
            assert is_stale((await rpc(session, fields, CN_TICKET_COOKIES))[2])
        assert is_stale((await rpc(session, form("stale"), CN_TICKET_COOKIES))[2])

    run(tmp_path, scenario)


# ----------------------------------------------------------------------------------------------------
# Cookie scoping and the precedence on the RPC host.
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stray", console.WRONG_HOST_COOKIES)
def test_wrong_host_cookies_get_not_logined_before_anything_else(tmp_path: Path, stray: str) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(CN_TICKET_COOKIES)})
        assert token is not None
        flat = {**CN_TICKET_COOKIES, stray: "from-bailian.console.aliyun.com"}
        # Wrong scope beats a good token, a stale token, no token and no ticket at all.
        for cookies, fields in (
            (flat, form(token)),
            (flat, form("stale")),
            (flat, form(None)),
            ({stray: "x"}, form(None)),
            ({**INTL_PASSPORT_COOKIES, stray: "x"}, form(None)),
        ):
            status, headers, body = await rpc(session, fields, cookies)
            assert status == 200, cookies
            assert is_not_logined(body), (cookies, body)
            assert body["code"] == "200"
            assert headers["x-replica-behaviour"] == "console-rpc"
        # The same cookies, scoped right (without the stray one), get the quota.
        assert is_quota((await rpc(session, form(token), CN_TICKET_COOKIES))[2])

    run(tmp_path, scenario)


def test_cn_rpc_without_a_session_gets_not_logined(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for cookies in ({}, INTL_PASSPORT_COOKIES, {"login_aliyunid_ticket": "t"}):  # the ticket alone is no session
            status, headers, body = await rpc(session, form("x"), cookies)
            assert (status, "Location" in headers) == (200, False)
            assert is_not_logined(body), body

    run(tmp_path, scenario)


def test_in_the_612_reading_signed_out_rpc_calls_go_to_the_login_host(tmp_path: Path) -> None:
    """rpc-login-redirect: #612's 302, with the precedence the observed table had before the NotLogined reports."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        for url, cookies, host in (
            (RPC_CN, {}, "signin.aliyun.com"),
            (RPC_CN, {"login_aliyunid_ticket": "t"}, "signin.aliyun.com"),
            (RPC_INTL, INTL_PASSPORT_COOKIES, "passport.alibabacloud.com"),
            (RPC_INTL, {**INTL_PASSPORT_COOKIES, "atpsida": "x"}, "passport.alibabacloud.com"),  # login first
        ):
            status, headers, _ = await rpc(session, form("x"), cookies, url=url)
            assert status == 302, (url, cookies)
            assert headers["x-replica-behaviour"] == "rpc-login-redirect:console-rpc"
            assert urlsplit(headers["Location"]).hostname == host
        # On CN, stray cookies still get NotLogined first (CodexBar #2370); a session still gets its quota.
        assert is_not_logined((await rpc(session, form(None), {"atpsida": "x"}))[2])
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(CN_TICKET_COOKIES)})
        assert token is not None
        assert is_quota((await rpc(session, form(token), CN_TICKET_COOKIES))[2])

    run(tmp_path, scenario, replica_scenario="rpc-login-redirect")


# ----------------------------------------------------------------------------------------------------
# INTL: the passport session stays outside; a ticket on the INTL RPC host is not observed.
# ----------------------------------------------------------------------------------------------------


def test_intl_passport_login_gets_not_logined_a_login_redirect_and_console_need_login(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        await login(session, LOGIN_INTL, "intl")
        assert sorted(c.key for c in session.cookie_jar) == sorted(INTL_NAMES)
        async with session.post(RPC_INTL, data=form("", "ap-southeast-1"), allow_redirects=False) as response:
            assert response.status == 200
            assert "x-replica" not in response.headers  # no ticket: nothing unobserved about this answer
            assert is_not_logined(await response.json())
        async with session.get(common.DASHBOARD_INTL, allow_redirects=False) as response:
            assert response.status == 302
            target = urlsplit(response.headers["Location"])
        assert target.hostname == "passport.alibabacloud.com"
        assert parse_qs(target.query)[common.LOGIN_RETURN_PARAM] == [common.DASHBOARD_INTL]
        async with session.post(GATEWAY_INTL, data=form("", "ap-southeast-1")) as response:
            assert response.status == 200
            assert response.headers["x-replica-behaviour"] == "console-gateway"
            assert (await response.json())["code"] == "ConsoleNeedLogin"
        # Following the login redirect ends on the passport login page, as #612's browser did.
        async with session.get(LOGIN_INTL, params={"as": "intl"}) as response:
            assert response.url.host == "passport.alibabacloud.com"
            assert response.url.path == "/login/login.htm"

    run(tmp_path, scenario)


def test_a_ticket_on_the_intl_rpc_host_is_treated_like_cn_and_marked_not_observed(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        cookies = {**INTL_PASSPORT_COOKIES, "login_aliyunid_ticket": "hypothetical-intl-ticket"}
        # The token is per ticket; the CN dashboard hands it out (a logged-in INTL dashboard is unmodelled).
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(cookies)})
        assert token is not None
        for fields, check in ((form(token), is_quota), (form("stale"), is_stale)):
            status, headers, body = await rpc(session, fields, cookies, url=RPC_INTL)
            assert status == 200
            assert check(body), body
            assert headers["x-replica"] == "not-observed"
        status, headers, body = await rpc(session, form(token), {**cookies, "atpsida": "x"}, url=RPC_INTL)
        assert is_not_logined(body)
        assert headers["x-replica"] == "not-observed"

    run(tmp_path, scenario)


# ----------------------------------------------------------------------------------------------------
# Pure parts.
# ----------------------------------------------------------------------------------------------------


def test_tickets_and_tokens_are_hmacs_under_the_replica_secret() -> None:
    secret, other = b"s" * 32, b"o" * 32
    ticket = replica_login.mint_ticket(secret)
    assert re.fullmatch(r"[0-9a-f]{48}", ticket)
    assert common.sec_token_for(ticket, secret) == common.sec_token_for(ticket, secret)
    assert common.sec_token_for(ticket, secret) != common.sec_token_for(ticket, other)
    assert common.sec_token_for(ticket, secret) != common.sec_token_for(ticket + "x", secret)
    assert "s" * 32 not in repr(common.Request("GET", common.CONSOLE_CN, "/", secret=secret))


def test_login_cookie_sets_match_the_reference() -> None:
    for kind, names, domain in (("cn", CN_NAMES, ".aliyun.com"), ("intl", INTL_NAMES, ".alibabacloud.com")):
        cookies = replica_login.login_cookies(kind, b"k")
        assert [c.name for c in cookies] == names
        assert {c.domain for c in cookies} == {domain}
        assert all(parse_set_cookie(c.header()).name == c.name for c in cookies)
    ticket = replica_login.login_cookies("cn", b"k")[0]
    assert re.fullmatch(r"[0-9a-f]{48}", ticket.value)
    assert (
        ticket.header()
        == f"login_aliyunid_ticket={ticket.value}; Domain=.aliyun.com; Path=/; Max-Age=86400; Secure; HttpOnly"
    )


# ----------------------------------------------------------------------------------------------------
# The API a call names: both Coding Plan spellings, Token Plan shapes, cookie-only CN, switchAgent.
# ----------------------------------------------------------------------------------------------------

TOKEN_PLAN = "zeldaHttp.apikeyMgr./tokenplan/personal/api/v2/"
COMMERCE = "zeldaEasy.bailian-commerce.codingPlan.queryCodingPlanInstanceInfoV2"


def api_form(api: str, sec_token: str | None, region: str = "cn-beijing", **corner: object) -> dict[str, str]:
    """A form naming `api` in params.Api, as the Token Plan and bailian-commerce callers send it."""
    data: dict[str, object] = {"cornerstoneParam": {"protocol": "V2", **corner}}
    fields = form(sec_token, region)
    fields["params"] = json.dumps({"Api": api, "V": "1.0", "Data": data})
    return fields


def payload_of(body: dict[str, object]) -> object:
    """The API's own payload inside the full envelope (docs/vendor.md#shape-datav2-success)."""
    assert body["successResponse"] is True and body["code"] == "200"
    return body["data"]["DataV2"]["data"]["data"]  # type: ignore[index]


def test_token_plan_calls_get_token_plan_shapes(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(CN_TICKET_COOKIES)})
        assert token is not None
        # docs/vendor.md#token-plan-monthly: one monthly window, a ratio and a reset time in the future.
        status, _, body = await rpc(session, api_form(TOKEN_PLAN + "usage", token), CN_TICKET_COOKIES)
        usage = payload_of(body)
        assert status == 200 and isinstance(usage, dict)
        assert set(usage) == {"per1MonthPercentage", "per1MonthResetTime"}
        assert 0 <= usage["per1MonthPercentage"] <= 1
        assert usage["per1MonthResetTime"] > time.time() * 1000
        # docs/vendor.md#token-plan-apis: the other shapes the sources give.
        config = payload_of((await rpc(session, api_form(TOKEN_PLAN + "quota-config", token), CN_TICKET_COOKIES))[2])
        assert isinstance(config, dict)
        assert set(config) == {"lite", "standard", "pro", "essential", "addon_quota"}
        assert all(set(config[tier]) == {"five_hour", "monthly"} for tier in ("lite", "standard", "pro", "essential"))
        assert set(config["addon_quota"]) == {"extrabundle"}
        summary = payload_of((await rpc(session, api_form(TOKEN_PLAN + "addon/summary", token), CN_TICKET_COOKIES))[2])
        assert isinstance(summary, dict)
        assert set(summary) == {"remainingCredits", "totalCredits", "activeCount", "nearestExpireTime"}
        listed = payload_of((await rpc(session, api_form(TOKEN_PLAN + "addon/list", token), CN_TICKET_COOKIES))[2])
        assert isinstance(listed, dict) and listed["items"][0]["status"] == "ACTIVE"
        cards = payload_of((await rpc(session, api_form(TOKEN_PLAN + "reset-card/list", token), CN_TICKET_COOKIES))[2])
        assert cards == []
        # An API no source describes is an honest unknown, not a made-up answer.
        for api in (TOKEN_PLAN + "subscription", "zeldaEasy.broadscope-bailian.somethingElse"):
            async with session.post(
                RPC_CN, data=api_form(api, token), headers={"Cookie": cookie_header(CN_TICKET_COOKIES)}
            ) as response:
                assert response.status == 501
                assert response.headers["x-replica-behaviour"] == "console-rpc"
                assert api in (await response.json())["detail"]

    run(tmp_path, scenario)


def test_params_api_is_the_call_and_the_query_api_its_fallback(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(CN_TICKET_COOKIES)})
        assert token is not None
        # The URL names the Coding Plan API; params.Api names Token Plan usage: the form wins.
        body = (await rpc(session, api_form(TOKEN_PLAN + "usage", token), CN_TICKET_COOKIES))[2]
        assert "per1MonthPercentage" in payload_of(body)  # type: ignore[operator]
        # No params.Api: the query's api decides (RPC_CN names the Coding Plan API).
        assert is_quota((await rpc(session, form(token), CN_TICKET_COOKIES))[2])
        # Neither: nothing to run.
        bare = RPC_CN.split("?", 1)[0]
        status, _, _ = await rpc(session, form(token), CN_TICKET_COOKIES, url=bare)
        assert status == 501

    run(tmp_path, scenario)


def test_both_coding_plan_spellings_read_the_quota(tmp_path: Path) -> None:
    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        cookies = {**INTL_PASSPORT_COOKIES, "login_aliyunid_ticket": "ticket"}
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(cookies)})
        assert token is not None
        # docs/vendor.md#bailian-commerce: observed on the INTL host, so not marked not-observed there.
        status, headers, body = await rpc(session, api_form(COMMERCE, token, "ap-southeast-1"), cookies, url=RPC_INTL)
        assert (status, is_quota(body), "x-replica" in headers) == (200, True, False)
        assert is_quota((await rpc(session, api_form(COMMERCE, token), CN_TICKET_COOKIES))[2])
        # Signed out, either spelling gets NotLogined.
        assert is_not_logined((await rpc(session, api_form(COMMERCE, ""), INTL_PASSPORT_COOKIES, url=RPC_INTL))[2])

    run(tmp_path, scenario)


def test_cn_token_plan_answers_the_ticket_cookie_alone(tmp_path: Path) -> None:
    """docs/vendor.md#cookie-only-cn: only login_aliyunid_ticket, no sec_token, Origin or Referer: usage."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        ticket_only = {"login_aliyunid_ticket": "ticket"}
        status, _, body = await rpc(session, api_form(TOKEN_PLAN + "usage", None), ticket_only)
        assert status == 200
        assert "per1MonthPercentage" in payload_of(body)  # type: ignore[operator]
        assert "per1MonthPercentage" in payload_of(
            (await rpc(session, api_form(TOKEN_PLAN + "usage", ""), ticket_only))[2]
        )  # type: ignore[operator]
        # A sec_token that is sent is still checked; the Coding Plan API was never seen cookie-only; INTL neither.
        assert is_stale((await rpc(session, api_form(TOKEN_PLAN + "usage", "stale"), ticket_only))[2])
        assert is_not_logined((await rpc(session, form(None), ticket_only))[2])
        intl = (await rpc(session, api_form(TOKEN_PLAN + "usage", None, "ap-southeast-1"), ticket_only, url=RPC_INTL))[
            2
        ]
        assert is_not_logined(intl)
        # Without the ticket it is still no session.
        assert is_not_logined((await rpc(session, api_form(TOKEN_PLAN + "usage", None), {"login_aliyunid_pk": "1"}))[2])

    run(tmp_path, scenario)


def test_a_switch_agent_on_a_token_plan_call_is_not_authorised(tmp_path: Path) -> None:
    """docs/vendor.md#shape-not-authorised (Win-CodexBar #350): the replica has no switchAgent of its own."""

    async def scenario(replica: Replica, session: aiohttp.ClientSession) -> None:
        cookies = {**CN_TICKET_COOKIES}
        token = await sec_token_of(session, MODEL_CN, headers={"Cookie": cookie_header(cookies)})
        assert token is not None
        for url in (RPC_CN, RPC_INTL):
            fields = api_form(TOKEN_PLAN + "usage", token, switchAgent=313762, switchUserType=3)
            status, headers, body = await rpc(session, fields, cookies, url=url)
            assert status == 200
            assert body == {
                "code": "200",
                "data": {"success": False, "httpStatus": 200, "errorCode": "BailianGateway.Workspace.NotAuthorised"},
                "successResponse": True,
            }
            assert "x-replica" not in headers  # docs/vendor.md#token-plan-console: INTL Token Plan is observed
            # Without it, the usage comes back.
            plain = api_form(TOKEN_PLAN + "usage", token, switchUserType=3)
            assert "per1MonthPercentage" in payload_of((await rpc(session, plain, cookies, url=url))[2])  # type: ignore[operator]
        # The Coding Plan API with Win-CodexBar's switchAgent is its "verified capture": still the quota.
        fields = api_form("zeldaEasy.broadscope-bailian.codingPlan.queryCodingPlanInstanceInfoV2", token, switchAgent=1)
        assert is_quota((await rpc(session, fields, cookies))[2])

    run(tmp_path, scenario)
