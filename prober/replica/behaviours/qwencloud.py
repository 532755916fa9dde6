"""QwenCloud's hosts: the user-info call that hands out a sec_token, and the CLI and data gateways no source records
an answer of (docs/vendor.md#hosts-qwencloud). Pure."""

from __future__ import annotations

from prober.replica.behaviours.common import (
    GET,
    POST,
    QWENCLOUD_CLI,
    QWENCLOUD_DATA,
    QWENCLOUD_HOME,
    Answer,
    Behaviour,
    Request,
    json_answer,
    unmodelled,
)

# A value the replica embeds where a real console embeds a per-session sec_token (QwenCloud only; the
# Bailian console derives one per session: see sec_token_for).
REPLICA_SEC_TOKEN = "replica-sec-token"


def qwencloud_session(request: Request) -> bool:
    """QwenCloud accepts any one of three ticket cookies (docs/vendor.md#qwencloud-tickets)."""
    names = ("login_aliyunid_ticket", "login_qwencloud_ticket", "qwen_sso_ticket")
    return any(request.cookies.get(n) for n in names)


def _qwencloud_user_info(request: Request) -> Answer:
    if qwencloud_session(request):
        return json_answer(200, {"data": {"secToken": REPLICA_SEC_TOKEN}})
    return unmodelled("what home.qwencloud.com answers without a QwenCloud ticket cookie is not recorded")


def _qwencloud_account_info(_: Request) -> Answer:
    return unmodelled(
        "cli.qwencloud.com takes an OAuth access token from the t.qwencloud.com device flow; what it "
        "answers to anything else (such as a sk-sp-* key) is not recorded (docs/vendor.md#qwencloud-cli-gateway)"
    )


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="qwencloud-user-info",
        hosts=frozenset({QWENCLOUD_HOME}),
        methods=GET,
        paths=("/tool/user/info.json",),
        source="data.secToken (docs/vendor.md#qwencloud-data-gateway) with a QwenCloud ticket cookie "
        "(docs/vendor.md#qwencloud-tickets); without one: unknown.",
        respond=_qwencloud_user_info,
    ),
    Behaviour(
        name="qwencloud-account-info",
        hosts=frozenset({QWENCLOUD_CLI}),
        methods=GET,
        paths=("/api/account/info.json",),
        source="An OAuth token check (docs/vendor.md#qwencloud-cli-gateway). Modelled only as an honest unknown.",
        respond=_qwencloud_account_info,
    ),
    Behaviour(
        name="qwencloud-data-gateway",
        hosts=frozenset({QWENCLOUD_DATA}),
        methods=frozenset({"POST"}),
        paths=("/data/api.json",),
        source="The QwenCloud Token Plan gateway (docs/vendor.md#qwencloud-data-gateway). No answer of it is "
        "recorded, so the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled("what cs-data.qwencloud.com answers is not recorded in the sources"),
    ),
    Behaviour(
        name="qwencloud-cli-envelope",
        hosts=frozenset({QWENCLOUD_CLI}),
        methods=POST,
        paths=("/data/v2/api.json",),
        source="The QwenCloud CLI's envelope call (docs/vendor.md#qwencloud-cli-gateway): its request and its "
        "success envelope are documented for the OAuth access token of the t.qwencloud.com device flow, which "
        "prober never holds. What it answers to anything else (a sk-sp- key, no credential) is not recorded, so "
        "the replica answers 501 unmodelled.",
        respond=lambda _request: unmodelled(
            "cli.qwencloud.com/data/v2/api.json is documented only for the QwenCloud OAuth access token; what it "
            "answers to anything else is not recorded (docs/vendor.md#qwencloud-cli-gateway)"
        ),
    ),
)
