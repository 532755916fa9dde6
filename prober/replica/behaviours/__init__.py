"""Pure table of what each Alibaba endpoint answers, as observed or documented; the replica server's brain.

One module per surface, each with its rows of the table and every row citing its source: inference hosts
(`inference`), console hosts (`console`), the console CLI gateway (`cligateway`), login and passport hosts (`login`),
QwenCloud (`qwencloud`); the console APIs both gateways serve (`plans`) and what every behaviour shares (`common`).
Which behaviours a request meets is `prober.replica.scenarios`' business.
"""

from __future__ import annotations

from prober.replica.behaviours import cligateway, console, inference, login, qwencloud
from prober.replica.behaviours.common import Behaviour

# First match wins; no two surfaces' rows overlap, so order only matters inside a surface (its own table).
BEHAVIOURS: tuple[Behaviour, ...] = (
    *inference.BEHAVIOURS,
    *console.BEHAVIOURS,
    *cligateway.BEHAVIOURS,
    *login.BEHAVIOURS,
    *qwencloud.BEHAVIOURS,
)

HOSTS: frozenset[str] = frozenset(host for behaviour in BEHAVIOURS for host in behaviour.hosts)
