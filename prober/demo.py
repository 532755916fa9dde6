"""`prober demo`: the shipped catalogue against the in-process replica, with a fake key, a fake console token and an
INTL cookie jar."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from prober import catalogue, routing, sweep
from prober.cookies import Cookie, Jar
from prober.credentials import Credentials
from prober.model import Outcome, Sweep
from prober.probe import Settings
from prober.redact import Secret
from prober.runner import Options

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


async def _run(path: Path, progress: Callable[[int], Callable[[Outcome], None] | None]) -> Sweep:
    from prober.replica import behaviours, server

    loaded = catalogue.load(path)
    creds = Credentials(
        key=Secret(DEMO_KEY),
        key_source="demo (fake key)",
        jar=intl_jar(time.time()),
        # The replica's own fake console token (docs/vendor.md#choice-console-token): the INTL quota via /cli/api.json.
        console_token=Secret(behaviours.REPLICA_CONSOLE_TOKEN),
        console_token_source="demo (the replica's fake console token)",
    )
    with tempfile.TemporaryDirectory(prefix="prober-demo-") as tmp:
        replica = await server.start(port=0, directory=Path(tmp))
        try:
            options = Options(
                # The replica is on this machine: a proxy from the environment must not stand in between.
                settings=Settings(billable=True, user_agent="prober-demo", env_proxies=False),
                connect_to=(routing.parse(replica.connect_to),),
                cacert=replica.ca_path,
            )
            plan = sweep.Plan(loaded, loaded.probes, creds, options)
            return await sweep.execute(plan, progress(len(loaded.probes)))
        finally:
            await replica.close()


def run(path: Path, progress: Callable[[int], Callable[[Outcome], None] | None]) -> Sweep:
    return asyncio.run(_run(path, progress))
