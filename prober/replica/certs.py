"""A throwaway CA and one leaf certificate for every replica host, made with trustme."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import trustme

# Always on the leaf, so a client can also reach the replica by its socket address.
_LOCAL_NAMES = ("localhost", "127.0.0.1")
CA_KEY = "ca-key.pem"  # the CA's private key, kept beside ca.pem (mode 0600) so `--dir` can reuse the CA


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """Where the CA (what clients trust, e.g. curl --cacert) and the server's chain and key were written."""

    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting the leaf; HTTP/1.1 only, as aiohttp's server speaks nothing else."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        context.set_alpn_protocols(["http/1.1"])
        return context


def _ca(directory: Path) -> trustme.CA:
    """The CA kept in `directory` (ca.pem and ca-key.pem), so a browser that trusts it keeps trusting the replica
    across restarts; a new one, written there, when there is none."""
    ca_path, ca_key_path = directory / "ca.pem", directory / CA_KEY
    if ca_path.is_file() and ca_key_path.is_file():
        return trustme.CA.from_pem(ca_path.read_bytes(), ca_key_path.read_bytes())
    ca = trustme.CA(organization_name="prober replica")
    ca.cert_pem.write_to_path(str(ca_path))
    ca_key_path.touch(mode=0o600)
    ca.private_key_pem.write_to_path(str(ca_key_path))
    return ca


def make_tls(hostnames: Iterable[str], directory: Path) -> TLSFiles:
    """A leaf for `hostnames` + localhost/127.0.0.1, signed by the CA in `directory` (made when absent); write
    ca.pem and the leaf's files. The served chain ends with the CA, so a browser told to accept its public key
    (Chromium's --ignore-certificate-errors-spki-list) accepts every leaf it signs."""
    names = list(dict.fromkeys([*sorted(hostnames), *_LOCAL_NAMES]))
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca(directory)
    leaf = ca.issue_cert(*names)
    ca_path = directory / "ca.pem"
    cert_path = directory / "server.pem"
    key_path = directory / "server-key.pem"
    with cert_path.open("wb") as chain:
        for blob in leaf.cert_chain_pems:
            chain.write(blob.bytes())
        chain.write(ca.cert_pem.bytes())
    key_path.touch(mode=0o600)
    leaf.private_key_pem.write_to_path(str(key_path))
    return TLSFiles(ca_path=ca_path, cert_path=cert_path, key_path=key_path)
