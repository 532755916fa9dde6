"""`prober demo`: the shipped catalogue against the in-process replica, with a fake key, a fake console token and an
INTL cookie jar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prober.cookies import Cookie, Jar
from prober.credentials import Credentials
from prober.expectations import FailOn
from prober.plan import RunOptions
from prober.probe import Settings
from prober.redact import Secret
from prober.report import Format

if TYPE_CHECKING:
    from prober.replica.server import Replica

DEMO_KEY = "sk-sp-" + "demo" * 8  # fake: shaped like a Coding Plan key, accepted only by the replica

# The INTL passport cookies CodexBar #612 found in a logged-in Zen (Firefox) profile, with no
# login_aliyunid_ticket (docs/vendor.md#intl-passport-cookies). Values are synthetic.
INTL_PASSPORT_COOKIES = (
    ("login_current_pk", True),
    ("login_aliyunid_pk", False),
    ("login_aliyunid", False),
    ("aliyunid_third_login_state", True),
    ("cr_token", True),
    ("help_csrf", False),
    ("x5sec", True),
    ("last_u_intl-aliyun_intl-aliyun", False),
)


def intl_jar(now: float) -> Jar:
    cookies = tuple(
        Cookie(
            name=name,
            value=Secret(f"demo-{name}-value-{n:04d}"),
            domain="alibabacloud.com",
            host_only=False,
            path="/",
            secure=True,
            http_only=http_only,
            expires=now + 30 * 86400,
        )
        for n, (name, http_only) in enumerate(INTL_PASSPORT_COOKIES)
    )
    return Jar(kind="synthetic INTL passport jar", cookies=cookies)


def credentials(now: float) -> Credentials:
    """The demo's fake credentials: a key shaped like a Coding Plan key, the replica's console token and the
    synthetic INTL passport jar. The replica accepts the key and the token; nothing else does."""
    from prober.replica.behaviours import cligateway

    return Credentials(
        key=Secret(DEMO_KEY),
        key_source="demo (fake key)",
        jar=intl_jar(now),
        # The replica's own fake console token (docs/vendor.md#choice-console-token): the INTL quota via /cli/api.json.
        console_token=Secret(cligateway.REPLICA_CONSOLE_TOKEN),
        console_token_source="demo (the replica's fake console token)",
    )


def options(catalogue: Path, out: Path, replica: Replica) -> RunOptions:
    """What `prober demo` asks for: every probe of the shipped catalogue, billable ones too, against `replica`."""
    return RunOptions(
        catalogue=catalogue,
        connect_to=(replica.connect_to,),
        cacert=replica.ca_path,
        # The replica is on this machine: a proxy from the environment must not stand in between.
        settings=Settings(billable=True, user_agent="prober-demo", env_proxies=False),
        out=out,
        formats=(Format.MD, Format.JSON, Format.TICKET),
        stem="demo",
        fail_on=FailOn.NONE,
    )
