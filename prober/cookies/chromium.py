"""Chromium-family `Cookies` databases (Chrome, Chromium, Edge, Brave, Vivaldi, Arc), values decrypted."""

from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from prober.cookies import Cookie, Jar, snapshot
from prober.errors import CredentialError
from prober.redact import Secret

# Chromium's os_crypt: components/os_crypt/sync/os_crypt_linux.cc and os_crypt_mac.mm. The key is
# PBKDF2-HMAC-SHA1(password, "saltysalt", 1 iteration on Linux / 1003 on macOS, 16 bytes); values are
# AES-128-CBC with an IV of 16 spaces and PKCS#7 padding, after a 3-byte version prefix.
_SALT = b"saltysalt"
_IV = b" " * 16
_LINUX_DEFAULT_PASSWORD = b"peanuts"  # v10: no keyring (--password-store=basic)
_LINUX_ITERATIONS = 1
_MAC_ITERATIONS = 1003

# Chromium >= 130 (cookie database version 24) prepends SHA-256(host_key) to the plaintext
# (net/extras/sqlite/sqlite_persistent_cookie_store.cc, database version 24).
_HASH_PREFIX_VERSION = 24

# Seconds from 1601-01-01 (Windows FILETIME epoch, used by base::Time) to 1970-01-01.
_EPOCH_DELTA = 11_644_473_600

# The name each browser stores its safe-storage password under: the macOS Keychain service and the Secret
# Service `application` attribute on Linux.
KEYCHAIN = {
    "chrome": ("Chrome Safe Storage", "chrome"),
    "chromium": ("Chromium Safe Storage", "chromium"),
    "edge": ("Microsoft Edge Safe Storage", "microsoft-edge"),
    "brave": ("Brave Safe Storage", "brave"),
    "vivaldi": ("Vivaldi Safe Storage", "vivaldi"),
    "arc": ("Arc Safe Storage", "arc"),
}

_COLUMNS = {  # ours -> the names used by the current schema, then by older ones
    "host_key": ("host_key",),
    "name": ("name",),
    "value": ("value",),
    "encrypted_value": ("encrypted_value",),
    "path": ("path",),
    "expires_utc": ("expires_utc",),
    "is_secure": ("is_secure", "secure"),
    "is_httponly": ("is_httponly", "httponly"),
    "is_persistent": ("is_persistent", "persistent", "has_expires"),
}


def derive_key(password: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA1(), length=16, salt=_SALT, iterations=iterations)
    return kdf.derive(password)


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """AES-128-CBC with Chromium's fixed IV; raises ValueError when the key is wrong (bad padding)."""
    if not ciphertext or len(ciphertext) % 16:
        raise ValueError("ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(_IV)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _secret_service(application: str) -> tuple[bytes | None, str]:
    """The password from the Secret Service (GNOME Keyring, KeePassXC) via `secretstorage`, if installed."""
    try:
        secretstorage = importlib.import_module("secretstorage")
    except ImportError:
        return None, "the Secret Service (the secretstorage package is not installed; KWallet is not supported)"
    try:
        connection = secretstorage.dbus_init()
        collection = secretstorage.get_default_collection(connection)
        for item in collection.search_items({"application": application}):
            secret = item.get_secret()
            if isinstance(secret, bytes):
                return secret, f"the Secret Service entry for application={application}"
    except Exception as exc:  # dbus, locked keyring, no session bus: all mean "not available"
        return None, f"the Secret Service ({type(exc).__name__})"
    return None, f"the Secret Service (no entry for application={application})"


def _keychain(service: str) -> bytes:
    try:
        result = subprocess.run(
            ["security", "find-generic-password", "-w", "-s", service],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredentialError(
            f"cannot run `security` to read {service!r} from the Keychain ({type(exc).__name__})",
            "allow access to the Keychain item when macOS asks, or export the cookies instead",
        ) from None
    if result.returncode != 0:
        raise CredentialError(
            f"the Keychain has no readable {service!r} item (security exited {result.returncode})",
            "allow access to the Keychain item when macOS asks, or export the cookies instead",
        )
    return result.stdout.rstrip(b"\n")


@dataclass
class Keys:
    """The AES keys for one database, derived lazily: the Keychain or keyring is asked only if needed."""

    browser: str
    platform: str = field(default_factory=lambda: sys.platform)
    secret_service: Callable[[str], tuple[bytes | None, str]] = _secret_service
    keychain: Callable[[str], bytes] = _keychain
    _cache: dict[bytes, list[tuple[bytes, str]]] = field(default_factory=dict)

    def candidates(self, version: bytes) -> list[tuple[bytes, str]]:
        """(key, description of where its password came from), in the order to try them."""
        if version not in self._cache:
            service, application = KEYCHAIN.get(self.browser, KEYCHAIN["chromium"])
            found: list[tuple[bytes, str]] = []
            if self.platform == "darwin":
                found.append((derive_key(self.keychain(service), _MAC_ITERATIONS), f"the Keychain item {service!r}"))
            elif version == b"v11":
                password, tried = self.secret_service(application)
                if password is not None:
                    found.append((derive_key(password, _LINUX_ITERATIONS), tried))
                else:
                    found.append((b"", tried))  # an empty key marks "not available" and is skipped below
                found.append((derive_key(_LINUX_DEFAULT_PASSWORD, _LINUX_ITERATIONS), "the default password 'peanuts'"))
            else:
                found.append((derive_key(_LINUX_DEFAULT_PASSWORD, _LINUX_ITERATIONS), "the default password 'peanuts'"))
            self._cache[version] = found
        return self._cache[version]


def _plaintext(encrypted: bytes, host_key: str, cookie_name: str, keys: Keys, hashed: bool, name: str) -> str:
    version = encrypted[:3]
    hint = "export the cookies with a browser extension (Cookie-Editor) or run prober as the browser's user"
    if version not in (b"v10", b"v11"):
        raise CredentialError(
            f"{name}: cookie {cookie_name!r} for {host_key!r} has unknown encryption {version!r}", hint
        )
    if keys.platform not in ("darwin", "linux") and not keys.platform.startswith(("linux", "freebsd", "openbsd")):
        raise CredentialError(f"{name}: decrypting Chromium cookies is not supported on {keys.platform}", hint)
    tried = []
    for key, source in keys.candidates(version):
        tried.append(source)
        if not key:
            continue
        try:
            plain = decrypt(key, encrypted[3:])
        except ValueError:
            continue
        if hashed:
            if plain[:32] != hashlib.sha256(host_key.encode()).digest():
                continue  # a wrong key can still unpad cleanly; the host hash tells
            plain = plain[32:]
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            continue
    raise CredentialError(
        f"{name}: cannot decrypt {version.decode()} cookie {cookie_name!r} for {host_key!r}: "
        f"tried {' and '.join(tried)}",
        hint,
    )


def _pick(available: frozenset[str], name: str) -> str:
    for candidate in _COLUMNS[name]:
        if candidate in available:
            return candidate
    raise KeyError(name)


def load(path: Path, browser: str = "chromium", keys: Keys | None = None, domains: Sequence[str] | None = None) -> Jar:
    """A Chromium profile directory or its `Cookies` file; `browser` picks the keyring/Keychain entry.

    With `domains`, only the rows for those domains are read (and decrypted); the rest are counted in `left_out`.
    """
    database = path
    if path.is_dir():
        found = [p for p in (path / "Network" / "Cookies", path / "Cookies") if p.is_file()]
        if not found:
            raise CredentialError(
                f"{path}: no Cookies or Network/Cookies in this profile",
                "pass a Chromium profile directory (such as 'Default') or its Cookies file",
            )
        database = found[0]
    name = str(database)
    keys = keys or Keys(browser)
    with snapshot.open_copy(database, name) as connection:
        present = snapshot.tables(connection)
        if "cookies" not in present:
            raise CredentialError(
                f"{name}: SQLite database without a cookies table: not a Chromium Cookies database",
                "pass the Cookies file of a Chrome, Chromium, Edge, Brave, Vivaldi or Arc profile",
            )
        available = snapshot.columns(connection, "cookies")
        try:
            selected = [_pick(available, column) for column in _COLUMNS]
        except KeyError as exc:
            raise CredentialError(
                f"{name}: the cookies table has no column {exc.args[0]}: an unknown Chromium schema",
                "pass the Cookies file of a current Chromium-family browser",
            ) from None
        version = 0
        if "meta" in present:
            row = connection.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            version = int(row[0]) if row and str(row[0]).isdigit() else 0
        where, parameters = snapshot.hosts(selected[0], domains)
        rows = connection.execute(
            f"SELECT {', '.join(selected)} FROM cookies WHERE {where} ORDER BY rowid", parameters
        ).fetchall()
        (total,) = connection.execute("SELECT count(*) FROM cookies").fetchone()
    hashed = version >= _HASH_PREFIX_VERSION
    cookies = []
    for row, (host_key, cookie_name, value, encrypted, path_, raw_expires, secure, http_only, persistent) in enumerate(
        rows, start=1
    ):
        host = str(host_key)
        text = str(value or "")
        if not text and encrypted:
            blob = encrypted if isinstance(encrypted, bytes) else str(encrypted).encode()
            text = _plaintext(blob, host, str(cookie_name), keys, hashed, name)
        expires_utc = snapshot.integer(raw_expires, "expires_utc", row, name)
        expires = expires_utc / 1_000_000 - _EPOCH_DELTA
        cookies.append(
            Cookie(
                name=str(cookie_name),
                value=Secret(text),
                domain=host.lstrip(".").lower(),
                host_only=not host.startswith("."),
                path=str(path_ or "/"),
                secure=bool(secure),
                http_only=bool(http_only),
                expires=expires if persistent and expires_utc else None,
            )
        )
    return Jar(kind="chromium", cookies=tuple(cookies), left_out=int(total) - len(cookies))
