"""The login and passport hosts: the replica's own login page and login, which set an INTL passport or a CN ticket
session's cookies (docs/vendor.md#session-cookies, #choice-login). Pure but for fresh random values."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from prober.replica.behaviours.common import (
    DASHBOARD_CN,
    DASHBOARD_INTL,
    GET,
    HTML,
    LOGIN_DO_PATH,
    PASSPORT_INTL,
    SIGNIN_CN,
    Answer,
    Behaviour,
    Request,
    form,
    mac,
)


def _login_page(request: Request) -> Answer:
    default = _LOGIN_KIND[request.host]
    options = "".join(
        f'<option value="{kind}"{" selected" if kind == default else ""}>{label}</option>'
        for kind, label in (("intl", "INTL passport session (no ticket)"), ("cn", "CN ticket session"))
    )
    page = (
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
        f"<h1>Sign in</h1>\n<p>Replica login page of {request.host}\n"
        "(passport.alibabacloud.com / signin.aliyun.com). Any login id and password are accepted.</p>\n"
        f'<form method="post" action="https://{request.host}{LOGIN_DO_PATH}">\n'
        '<input type="text" name="loginId" autocomplete="username">\n'
        '<input type="password" name="password" autocomplete="current-password">\n'
        f'<select name="as">{options}</select>\n'
        '<button type="submit">Sign in</button>\n</form>\n'
        f'<p>Without a form: <a href="https://{SIGNIN_CN}{LOGIN_DO_PATH}?as=cn">sign in as CN</a>,\n'
        f'<a href="https://{PASSPORT_INTL}{LOGIN_DO_PATH}?as=intl">sign in as INTL</a>.</p>\n'
        "</body></html>\n"
    )
    return Answer(status=200, body=page, content_type=HTML)


# Which login a login host performs, and which host sets each cookie set: a browser only accepts a
# Domain=.aliyun.com cookie from an aliyun.com host, so `as=cn` is served by signin.aliyun.com only.
_LOGIN_KIND = {PASSPORT_INTL: "intl", SIGNIN_CN: "cn"}


_LOGIN_HOST = {kind: host for host, kind in _LOGIN_KIND.items()}


_LOGIN_DASHBOARD = {"intl": DASHBOARD_INTL, "cn": DASHBOARD_CN}


_ONE_DAY = 86400


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One cookie the replica's login sets; max_age None makes it a session cookie."""

    name: str
    value: str
    domain: str
    http_only: bool
    max_age: int | None = _ONE_DAY

    def header(self) -> str:
        parts = [f"{self.name}={self.value}", f"Domain={self.domain}", "Path=/"]
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age}")
        parts.append("Secure")
        if self.http_only:
            parts.append("HttpOnly")
        return "; ".join(parts)


def _account_pk() -> str:
    return str(5_000_000_000_000_000 + secrets.randbelow(10**15))


def mint_ticket(secret: bytes) -> str:
    """A fresh login_aliyunid_ticket: a nonce and its HMAC under the replica's secret."""
    nonce = secrets.token_hex(16)
    return nonce + mac(secret, "ticket", nonce)[:16]


def login_cookies(kind: str, secret: bytes) -> tuple[SetCookie, ...]:
    """The cookie set of an `intl` passport or a `cn` ticket login (docs/vendor.md#session-cookies), fresh values."""
    pk = _account_pk()
    if kind == "intl":
        # The eight passport cookies #612 found (docs/vendor.md#intl-passport-cookies); never login_aliyunid_ticket.
        # HttpOnly flags follow prober.demo's synthetic INTL jar; which are HttpOnly in reality is not recorded.
        domain = ".alibabacloud.com"
        return (
            SetCookie("login_current_pk", pk, domain, http_only=True),
            SetCookie("login_aliyunid_pk", pk, domain, http_only=False),
            SetCookie("login_aliyunid", f"replica-{secrets.token_hex(4)}@example.com", domain, http_only=False),
            SetCookie("aliyunid_third_login_state", secrets.token_hex(16), domain, http_only=True),
            SetCookie("cr_token", secrets.token_hex(16), domain, http_only=True),
            SetCookie("help_csrf", secrets.token_hex(16), domain, http_only=False, max_age=None),
            SetCookie("x5sec", secrets.token_hex(24), domain, http_only=True, max_age=None),
            SetCookie("last_u_intl-aliyun_intl-aliyun", secrets.token_hex(8), domain, http_only=False),
        )
    # CodexBar's session test (docs/vendor.md#session-cookies): the ticket plus an account cookie; the csrf cookie is
    # read by the page's script into x-csrf-token (docs/vendor.md#csrf-headers), so it cannot be HttpOnly; cna feeds
    # X-Anonymous-Id (docs/vendor.md#rpc-form).
    domain = ".aliyun.com"
    return (
        SetCookie("login_aliyunid_ticket", mint_ticket(secret), domain, http_only=True),
        SetCookie("login_aliyunid_pk", pk, domain, http_only=False),
        SetCookie("login_aliyunid_csrf", secrets.token_hex(16), domain, http_only=False, max_age=None),
        SetCookie("cna", secrets.token_urlsafe(18), domain, http_only=False),
    )


def _login(request: Request) -> Answer:
    fields = {**request.query, **(form(request) if request.method == "POST" else {})}
    if request.method == "GET" and "as" not in fields:
        return _login_page(request)
    kind = fields.get("as") or _LOGIN_KIND[request.host]
    if kind not in _LOGIN_DASHBOARD:
        return Answer(status=400, body=f"as must be cn or intl, not {kind!r}\n", content_type="text/plain")
    if _LOGIN_HOST[kind] != request.host:
        # The other family's cookies can only be set by its own login host: go there, as a GET.
        location = f"https://{_LOGIN_HOST[kind]}{LOGIN_DO_PATH}?as={kind}"
        return Answer(status=302, content_type=None, headers=(("Location", location),))
    cookies = tuple(("Set-Cookie", cookie.header()) for cookie in login_cookies(kind, request.secret))
    return Answer(
        status=302,
        content_type=None,
        headers=(*cookies, ("Location", _LOGIN_DASHBOARD[kind]), ("Cache-Control", "no-store")),
    )


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="login",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=frozenset({"GET", "POST"}),
        paths=(LOGIN_DO_PATH,),
        source="The replica's own login, so a real browser can hold either session: as=intl sets the eight "
        "INTL passport cookies #612 found, on .alibabacloud.com; as=cn sets login_aliyunid_ticket, "
        "login_aliyunid_pk, login_aliyunid_csrf and cna on .aliyun.com (docs/vendor.md#session-cookies). "
        "Attributes, values and the 302 to the dashboard are the replica's choices: the real login was "
        "never captured (docs/vendor.md#choice-login).",
        respond=_login,
    ),
    Behaviour(
        name="login-page",
        hosts=frozenset({PASSPORT_INTL, SIGNIN_CN}),
        methods=GET,
        paths=("/",),
        prefix=True,
        source="Login hosts and login-page markers (host name, 'password', 'sign in'): "
        "docs/vendor.md#login-hosts, docs/vendor.md#shape-html-login. The page itself is the replica's "
        "minimal form: the real one was never captured (docs/vendor.md#choice-login).",
        respond=_login_page,
    ),
)
