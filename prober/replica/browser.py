"""A replica a browser can use (issue 15): what `prober replica` prints to point Chromium and Firefox at it, and the
cross-origin answers the CN console page's own quota call needs (the page and its script:
prober/replica/behaviours/console.py). Pure.

The console page's script and the CORS headers are the replica's choices (docs/vendor.md#choice-console-page): the
sources record the request the console's quota call makes (docs/vendor.md#console-rpc), not the script or the
gateway's CORS answers.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from prober.model import Pairs
from prober.replica.behaviours.common import (
    CONSOLE_CN,
    CONSOLE_INTL,
    LOGIN_DO_PATH,
    LOGIN_PATH,
    PASSPORT_INTL,
    RPC_CN,
    RPC_INTL,
    SIGNIN_CN,
    Answer,
    Request,
)
from prober.scope import KEY_DOMAINS

LOGIN_PAGES = {"CN": f"https://{SIGNIN_CN}{LOGIN_PATH}", "INTL": f"https://{PASSPORT_INTL}{LOGIN_PATH}"}
QUICK_LOGINS = {
    "CN": f"https://{SIGNIN_CN}{LOGIN_DO_PATH}?as=cn",
    "INTL": f"https://{PASSPORT_INTL}{LOGIN_DO_PATH}?as=intl",
}


def spki(ca_path: Path) -> str:
    """The CA's public key as Chromium's --ignore-certificate-errors-spki-list wants it: base64 of its SHA-256."""
    cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
    der = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def resolver_rules(port: int, host: str = "127.0.0.1") -> str:
    """Chromium's --host-resolver-rules sending Alibaba's domains, and only those, to the replica."""
    return ", ".join(f"MAP *.{domain} {host}:{port}" for domain in KEY_DOMAINS)


def instructions(port: int, ca_path: Path, profiles: Path) -> list[str]:
    """How a person logs in to the replica with a browser of their own, each browser in a profile of its own under
    `profiles`: the login pages, then the exact commands for Chromium and Firefox."""
    chromium = profiles / "chromium"
    firefox = profiles / "firefox"
    q = shlex.quote
    prefs = (
        f'user_pref("network.dns.forceResolve", "127.0.0.1");\\nuser_pref("network.socket.forcePort", "443={port}");\\n'
    )
    return [
        f"log in (any login id and password): CN {LOGIN_PAGES['CN']}  INTL {LOGIN_PAGES['INTL']}",
        "Chromium (a new profile; Alibaba's domains go to the replica, whose CA key alone it accepts):",
        f"  chromium --user-data-dir={q(str(chromium))} --host-resolver-rules={q(resolver_rules(port))} "
        f"--ignore-certificate-errors-spki-list={spki(ca_path)} {LOGIN_PAGES['CN']}",
        "Firefox (a new profile: every host name resolves to 127.0.0.1, port 443 goes to the replica, its CA "
        "imported; needs certutil from libnss3-tools):",
        f"  mkdir -p {q(str(firefox))} && printf '{prefs}' > {q(str(firefox / 'user.js'))}",
        f"  certutil -N -d sql:{q(str(firefox))} --empty-password && "
        f"certutil -A -d sql:{q(str(firefox))} -n prober-replica -t C,, -i {q(str(ca_path))}",
        f"  firefox --no-remote --profile {q(str(firefox))} {LOGIN_PAGES['INTL']}",
    ]


# --- Cross-origin answers for the console pages' calls (docs/vendor.md#choice-console-page) ------------------------

_ORIGINS = {RPC_CN: f"https://{CONSOLE_CN}", RPC_INTL: f"https://{CONSOLE_INTL}"}
_ALLOWED_HEADERS = "accept, content-type, x-requested-with, x-xsrf-token, x-csrf-token"


def cors(request: Request) -> Pairs:
    """The CORS headers an RPC host adds for its own console's page (credentials allowed), else none."""
    origin = request.headers.get("origin", "")
    if _ORIGINS.get(request.host) != origin:
        return ()
    return (("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin"))


def preflight(request: Request) -> Answer | None:
    """The answer to a CORS preflight from the console page (OPTIONS with Access-Control-Request-Method), or None
    for any other request."""
    if request.method != "OPTIONS" or "access-control-request-method" not in request.headers:
        return None
    allowed = cors(request)
    if not allowed:
        return Answer(status=403, content_type=None)
    extra = (("Access-Control-Allow-Methods", "POST"), ("Access-Control-Allow-Headers", _ALLOWED_HEADERS))
    return Answer(status=204, content_type=None, headers=(*allowed, *extra, ("Access-Control-Max-Age", "600")))
