"""P2 reference (a): the least code that does what a sweep does on the wire, with aiohttp and nothing else.

The same GETs (one per line of URLS), the same limits (--concurrency over all hosts, --per-host per host), the same
verified TLS (--cacert) and the same connect-to mapping (every host name goes to --connect-host:--connect-port while
SNI and certificate checks keep the URL's name). Each body is read and dropped. Prints the number of answers.

    python bench/raw_aiohttp.py URLS --connect-host 127.0.0.1 --connect-port 8443 --cacert ca.pem
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class _Fixed(AbstractResolver):
    """Every name resolves to one address: curl's --connect-to ::HOST:PORT."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host=self._host, port=self._port, family=socket.AF_INET, proto=0, flags=0)]

    async def close(self) -> None:
        return None


async def _main(urls: list[str], args: argparse.Namespace) -> int:
    context = ssl.create_default_context(cafile=args.cacert)
    connector = aiohttp.TCPConnector(
        ssl=context,
        resolver=_Fixed(args.connect_host, args.connect_port),
        limit=args.concurrency,
        limit_per_host=args.per_host,
    )
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str) -> int:
            async with session.get(url, allow_redirects=False) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(get(url) for url in urls))
    return len(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("urls", type=Path)
    parser.add_argument("--connect-host", default="127.0.0.1")
    parser.add_argument("--connect-port", type=int, required=True)
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-host", type=int, default=4)
    args = parser.parse_args()
    urls = args.urls.read_text().split()
    print(asyncio.run(_main(urls, args)))


if __name__ == "__main__":
    main()
