"""Every cookie source format from small generated files, the bad-input table, and parsers fuzzed with hypothesis."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prober.cookies import (
    Cookie,
    Jar,
    browsers,
    chromium,
    detect,
    diagnose,
    firefox,
    har,
    jsonexport,
    netscape,
    rawheader,
    setcookie,
    snapshot,
)
from prober.errors import CredentialError
from prober.model import Auth, Probe
from prober.redact import Secret

DATA = Path(__file__).parent / "data" / "cookies"
NOW = 1_790_000_000.0  # 2026-09-21
LATER = NOW + 86_400
EARLIER = NOW - 86_400

FIREFOX_SCHEMA = (
    "CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', name TEXT, "
    "value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER, "
    "isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0, "
    "isPartitionedAttributeSet INTEGER DEFAULT 0, updateTime INTEGER, "
    "CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes))"
)
CHROMIUM_SCHEMA = (
    "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);"
    "CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL,"
    "name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL,"
    "expires_utc INTEGER NOT NULL,is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL,"
    "last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL,"
    "priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL,"
    "source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL,"
    "has_cross_site_ancestor INTEGER NOT NULL);"
)


def facts(jar: Jar) -> list[tuple[str, str, str, bool, str, bool, bool, float | None]]:
    """Everything about each cookie, value revealed, sorted by name."""
    return sorted(
        (c.name, c.value.reveal(), c.domain, c.host_only, c.path, c.secure, c.http_only, c.expires) for c in jar.cookies
    )


# --- Firefox -------------------------------------------------------------------------------------------------


def firefox_db(path: Path, rows: list[tuple[str, str, str, str, int, int, int]], wal: bool = False) -> Path:
    connection = sqlite3.connect(path)
    if wal:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(FIREFOX_SCHEMA)
    connection.executemany(
        "INSERT INTO moz_cookies (name, value, host, path, expiry, isSecure, isHttpOnly) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.commit()
    connection.close()
    return path


def mozlz4(payload: bytes) -> bytes:
    """A valid mozLz4 file whose LZ4 block is one literal-only sequence (the simplest legal block)."""
    length = len(payload)
    token = min(length, 15) << 4
    extra = b""
    if length >= 15:
        rest = length - 15
        extra = b"\xff" * (rest // 255) + bytes([rest % 255])
    return firefox.MOZLZ4 + struct.pack("<I", length) + bytes([token]) + extra + payload


def test_firefox_database_seconds_milliseconds_and_session_store(tmp_path: Path) -> None:
    firefox_db(
        tmp_path / "cookies.sqlite",
        [
            ("login_aliyunid_ticket", "TICKET-1", ".aliyun.com", "/", int(LATER * 1000), 1, 1),  # milliseconds
            ("cna", "CNA-1", "bailian.console.aliyun.com", "/", int(LATER), 0, 0),  # seconds
        ],
    )
    store = {"cookies": [{"host": ".alibabacloud.com", "name": "x5sec", "value": "X5", "path": "/", "httponly": True}]}
    (tmp_path / "sessionstore-backups").mkdir()
    (tmp_path / "sessionstore-backups" / "recovery.jsonlz4").write_bytes(mozlz4(json.dumps(store).encode()))
    jar = firefox.load(tmp_path)
    assert jar.kind == "firefox"
    assert facts(jar) == [
        ("cna", "CNA-1", "bailian.console.aliyun.com", True, "/", False, False, LATER),
        ("login_aliyunid_ticket", "TICKET-1", "aliyun.com", False, "/", True, True, LATER),
        ("x5sec", "X5", "alibabacloud.com", False, "/", False, True, None),
    ]
    assert facts(detect.load(tmp_path / "cookies.sqlite")) == facts(jar)


def test_firefox_database_held_by_a_writer_is_read_from_a_copy(tmp_path: Path) -> None:
    """The browser keeps the database open with uncheckpointed WAL frames; the copy sees them."""
    db = firefox_db(tmp_path / "cookies.sqlite", [("cna", "A", ".aliyun.com", "/", int(LATER), 0, 0)], wal=True)
    holder = sqlite3.connect(db)
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute(
        "INSERT INTO moz_cookies (name, value, host, path, expiry) VALUES ('csrf', 'B', '.aliyun.com', '/', 0)"
    )
    holder.commit()
    holder.execute("BEGIN EXCLUSIVE")  # what a browser holding the lock looks like to other readers
    try:
        assert (tmp_path / "cookies.sqlite-wal").stat().st_size > 0
        assert [c.name for c in firefox.load(db).cookies] == ["cna", "csrf"]
    finally:
        holder.rollback()
        holder.close()


def test_lz4_blocks_round_trip_and_a_wrong_size_is_refused() -> None:
    import lz4.block

    data = b'{"cookies": [' + b'{"name": "cna", "value": "x"}, ' * 200 + b"{}]}"
    block = lz4.block.compress(data, store_size=False)
    assert firefox.lz4_block(block, len(data)) == data
    with pytest.raises(ValueError, match="corrupt LZ4 block"):
        firefox.lz4_block(block, len(data) - 1)
    with pytest.raises(ValueError, match="corrupt LZ4 block"):
        firefox.lz4_block(block[:-5], len(data))


# --- Chromium ------------------------------------------------------------------------------------------------


def encrypt(plain: bytes, password: bytes = b"peanuts", iterations: int = 1, version: bytes = b"v10") -> bytes:
    key = chromium.derive_key(password, iterations)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b" " * 16)).encryptor()
    return version + encryptor.update(padded) + encryptor.finalize()


def chrome_time(epoch: float) -> int:
    return int((epoch + 11_644_473_600) * 1_000_000)


def chromium_db(path: Path, version: int, rows: list[tuple[str, str, str, bytes, int, int, int, int]]) -> Path:
    """rows: host_key, name, value, encrypted_value, expires_utc, is_secure, is_httponly, is_persistent."""
    connection = sqlite3.connect(path)
    connection.executescript(CHROMIUM_SCHEMA)
    connection.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
    for host, name, value, encrypted, expires, secure, http_only, persistent in rows:
        connection.execute(
            "INSERT INTO cookies VALUES (0, ?, '', ?, ?, ?, '/', ?, ?, ?, 0, ?, ?, 1, 0, 2, 443, 0, 0, 0)",
            (host, name, value, encrypted, expires, secure, http_only, persistent, persistent),
        )
    connection.commit()
    connection.close()
    return path


def hashed(host: str, value: str) -> bytes:
    return hashlib.sha256(host.encode()).digest() + value.encode()


def no_keyring(application: str) -> tuple[bytes | None, str]:
    return None, "the Secret Service (not available in this test)"


def test_chromium_v10_with_meta_24_host_hash_prefix(tmp_path: Path) -> None:
    profile = tmp_path / "Default" / "Network"
    profile.mkdir(parents=True)
    chromium_db(
        profile / "Cookies",
        24,
        [
            (
                ".aliyun.com",
                "login_aliyunid_ticket",
                "",
                encrypt(hashed(".aliyun.com", "TICKET-24")),
                chrome_time(LATER),
                1,
                1,
                1,
            ),
            (
                "bailian.console.aliyun.com",
                "JSESSIONID",
                "",
                encrypt(hashed("bailian.console.aliyun.com", "JS")),
                0,
                1,
                1,
                0,
            ),
            (".aliyun.com", "aliyun_lang", "en", b"", chrome_time(LATER), 0, 0, 1),
        ],
    )
    jar = chromium.load(tmp_path / "Default", keys=chromium.Keys("chromium", "linux", no_keyring))
    assert jar.kind == "chromium"
    assert facts(jar) == [
        ("JSESSIONID", "JS", "bailian.console.aliyun.com", True, "/", True, True, None),
        ("aliyun_lang", "en", "aliyun.com", False, "/", False, False, pytest.approx(LATER)),
        ("login_aliyunid_ticket", "TICKET-24", "aliyun.com", False, "/", True, True, pytest.approx(LATER)),
    ]


def test_chromium_meta_23_has_no_prefix_and_v11_falls_back_to_peanuts(tmp_path: Path) -> None:
    db = chromium_db(
        tmp_path / "Cookies",
        23,
        [(".aliyun.com", "cna", "", encrypt(b"CNA-23", version=b"v11"), chrome_time(LATER), 0, 0, 1)],
    )
    jar = chromium.load(db, keys=chromium.Keys("chrome", "linux", no_keyring))
    assert [c.value.reveal() for c in jar.cookies] == ["CNA-23"]


def test_chromium_v11_uses_the_keyring_password(tmp_path: Path) -> None:
    db = chromium_db(
        tmp_path / "Cookies",
        24,
        [(".aliyun.com", "cna", "", encrypt(hashed(".aliyun.com", "K"), b"from-keyring", version=b"v11"), 0, 0, 0, 0)],
    )
    asked: list[str] = []

    def keyring(application: str) -> tuple[bytes | None, str]:
        asked.append(application)
        return b"from-keyring", "the test keyring"

    jar = chromium.load(db, "brave", chromium.Keys("brave", "linux", keyring))
    assert [c.value.reveal() for c in jar.cookies] == ["K"]
    assert asked == ["brave"]


def test_chromium_macos_keychain_1003_iterations(tmp_path: Path) -> None:
    db = chromium_db(
        tmp_path / "Cookies",
        24,
        [(".aliyun.com", "cna", "", encrypt(hashed(".aliyun.com", "MAC"), b"keychain-pw", 1003), 0, 0, 0, 0)],
    )
    services: list[str] = []

    def keychain(service: str) -> bytes:
        services.append(service)
        return b"keychain-pw"

    keys = chromium.Keys("edge", "darwin", no_keyring, keychain)
    assert [c.value.reveal() for c in chromium.load(db, "edge", keys).cookies] == ["MAC"]
    assert services == ["Microsoft Edge Safe Storage"]


def test_chromium_undecryptable_value_says_what_was_tried(tmp_path: Path) -> None:
    db = chromium_db(
        tmp_path / "Cookies",
        24,
        [(".aliyun.com", "cna", "", encrypt(hashed(".aliyun.com", "X"), b"other", version=b"v11"), 0, 0, 0, 0)],
    )
    with pytest.raises(CredentialError) as info:
        chromium.load(db, keys=chromium.Keys("chrome", "linux", no_keyring))
    assert info.value.message == (
        f"{db}: cannot decrypt v11 cookie 'cna' for '.aliyun.com': tried the Secret Service (not available in this "
        "test) and the default password 'peanuts'"
    )


# --- JSON exports, HAR, header -------------------------------------------------------------------------------


def test_cookie_editor_and_editthiscookie_exports(tmp_path: Path) -> None:
    editor = [
        {
            "domain": ".aliyun.com",
            "expirationDate": LATER,
            "hostOnly": False,
            "httpOnly": True,
            "name": "login_aliyunid_ticket",
            "path": "/",
            "sameSite": "no_restriction",
            "secure": True,
            "session": False,
            "storeId": "0",
            "value": "T",
        },
        {
            "domain": "bailian.console.aliyun.com",
            "hostOnly": True,
            "name": "cna",
            "path": "/",
            "session": True,
            "value": "C",
        },
    ]
    path = tmp_path / "cookies.txt"  # the name says Netscape; the content decides
    path.write_text(json.dumps(editor))
    jar = detect.load(path)
    assert jar.kind == "cookie-editor"
    assert facts(jar) == [
        ("cna", "C", "bailian.console.aliyun.com", True, "/", False, False, None),
        ("login_aliyunid_ticket", "T", "aliyun.com", False, "/", True, True, LATER),
    ]
    this_cookie = [dict(entry, id=n) for n, entry in enumerate(editor, start=1)]
    assert jsonexport.parse(json.dumps(this_cookie), "x").kind == "editthiscookie"


def test_har_request_cookies_and_set_cookie_scoping() -> None:
    entries = [
        {
            "startedDateTime": "2026-09-21T10:00:00.000Z",
            "request": {
                "method": "GET",
                "url": "https://bailian.console.aliyun.com/cn-beijing/index",
                "headers": [{"name": "Cookie", "value": "cna=C; aliyun_lang=en"}],
                "cookies": [],
            },
            "response": {
                "status": 200,
                "headers": [
                    {
                        "name": "Set-Cookie",
                        "value": "login_aliyunid_ticket=T; Domain=.aliyun.com; Path=/; Max-Age=3600; Secure; HttpOnly\n"
                        "JSESSIONID=J; Path=/cn-beijing",
                    },
                    {"name": "set-cookie", "value": "foreign=F; Domain=example.com"},  # ignored: §5.3 step 6
                ],
                "cookies": [],
            },
        }
    ]
    jar = har.parse(json.dumps({"log": {"version": "1.2", "entries": entries}}), "x.har")
    start = datetime(2026, 9, 21, 10, tzinfo=UTC).timestamp()
    assert jar.kind == "har"
    assert facts(jar) == [
        ("JSESSIONID", "J", "bailian.console.aliyun.com", True, "/cn-beijing", False, False, None),
        ("aliyun_lang", "en", "bailian.console.aliyun.com", True, "/", False, False, None),
        ("cna", "C", "bailian.console.aliyun.com", True, "/", False, False, None),
        ("login_aliyunid_ticket", "T", "aliyun.com", False, "/", True, True, start + 3600),
    ]


def test_raw_header_from_file_and_env(tmp_path: Path) -> None:
    path = tmp_path / "header"
    path.write_text("Cookie: login_aliyunid_ticket=T; login_aliyunid_pk=P\n")
    jar = detect.load(path, header_domain=".Aliyun.com")
    assert facts(jar) == [
        ("login_aliyunid_pk", "P", "aliyun.com", False, "/", False, False, None),
        ("login_aliyunid_ticket", "T", "aliyun.com", False, "/", False, False, None),
    ]
    assert jar.kind == "header"
    env_jar = rawheader.from_env({"ALIBABA_CODING_PLAN_COOKIE": "cna=C"}, "ALIBABA_CODING_PLAN_COOKIE", "aliyun.com")
    assert facts(env_jar) == [("cna", "C", "aliyun.com", False, "/", False, False, None)]


def test_detect_netscape_by_content(tmp_path: Path) -> None:
    path = tmp_path / "cookies.json"
    path.write_text("# Netscape HTTP Cookie File\n#HttpOnly_.aliyun.com\tTRUE\t/\tTRUE\t0\tlogin_aliyunid_ticket\tT\n")
    jar = detect.load(path)
    assert jar.kind == "netscape"
    assert facts(jar) == [("login_aliyunid_ticket", "T", "aliyun.com", False, "/", True, True, None)]


@pytest.mark.parametrize(
    ("header", "url", "expected"),
    [
        ("a=1", "https://h.example/x/y", ("a", "1", "h.example", True, "/x", False, False, None)),
        ("a=1; Path=relative", "https://h.example/", ("a", "1", "h.example", True, "/", False, False, None)),
        (
            "a=1; Domain=.H.Example; secure",
            "https://w.h.example/",
            ("a", "1", "h.example", False, "/", True, False, None),
        ),
        ("a = 1 ; HttpOnly", "https://h.example/", ("a", "1", "h.example", True, "/", False, True, None)),
        (
            "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
            "https://h/",
            ("a", "1", "h", True, "/", False, False, 1792567680.0),
        ),
        (
            "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=0",
            "https://h/",
            ("a", "1", "h", True, "/", False, False, 0.0),
        ),
        ("a=1; Max-Age=-5", "https://h/", ("a", "1", "h", True, "/", False, False, 0.0)),
        ("a=1; Max-Age=10", "https://h/", ("a", "1", "h", True, "/", False, False, NOW + 10)),
        ("a=1; Expires=21-Oct-70 07:28:00", "https://h/", ("a", "1", "h", True, "/", False, False, 25342080.0)),
        ("a=1; Expires=nonsense", "https://h/", ("a", "1", "h", True, "/", False, False, None)),
    ],
)
def test_set_cookie_attributes(header: str, url: str, expected: tuple[object, ...]) -> None:
    cookie = setcookie.parse(header, url, NOW)
    assert cookie is not None
    assert (c := cookie) and (
        c.name,
        c.value.reveal(),
        c.domain,
        c.host_only,
        c.path,
        c.secure,
        c.http_only,
        c.expires,
    ) == expected


@pytest.mark.parametrize(
    "header", ["novalue", "=1", "a=1; Domain=other.example", "a=1; Domain=example.com", "a=1; Domain=.example"]
)
def test_set_cookie_ignored(header: str) -> None:
    assert setcookie.parse(header, "https://h.example/", NOW) is None


# --- Bad input: one line each --------------------------------------------------------------------------------

BAD_FILES = {
    "bad_binary.bin": "binary data of no known cookie format",
    "bad_chromium_schema.sqlite": "the cookies table has no column encrypted_value: an unknown Chromium schema",
    "bad_corrupt.sqlite": "the SQLite database is corrupt (file is not a database)",
    "bad_directory": "a directory without cookies.sqlite, Cookies or Network/Cookies: not a browser profile",
    "bad_empty.txt": "the file is empty",
    "bad_firefox_expiry.sqlite": "row 1 has a non-numeric expiry",
    "bad_firefox_schema.sqlite": "moz_cookies has no column isHttpOnly, isSecure: an unknown Firefox schema",
    "bad_har_no_cookies.har": "HAR without cookies: none of its 1 entries sent or set a cookie",
    "bad_har_no_entries.har": "HAR without entries: no requests were recorded",
    "bad_header_empty.txt": "the Cookie header is empty",
    "bad_header_without_domain.txt": "a raw Cookie header, which carries no domain",
    "bad_json_empty_array.json": "the JSON array is empty: no cookies",
    "bad_json_missing_domain.json": "cookie #1 field 'domain' is missing, expected a string",
    "bad_json_numbers.json": "cookie #1 is a JSON number, not a cookie object",
    "bad_json_object.json": "a JSON object with keys data, version, not a cookie export (a JSON array of cookies)",
    "bad_json_syntax.json": ":2:13: not valid JSON (Expecting value)",
    "bad_netscape_fields.txt": ":2: not a Netscape cookie line (5 tab-separated fields, expected 7)",
    "bad_other_tables.sqlite": "SQLite database with tables notes, tags: not a Firefox or Chromium cookie store",
    "bad_session_store.jsonlz4": "corrupt session store (corrupt LZ4 block)",
    "bad_truncated.sqlite": "the SQLite database is corrupt (database disk image is malformed)",
    "bad_unknown_text.txt": "unknown cookie format (2 lines of text: no cookies.txt line, JSON or Cookie header)",
}


def test_every_bad_file_has_a_case() -> None:
    assert sorted(p.name for p in DATA.iterdir()) == sorted(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_cookie_file(name: str) -> None:
    path = DATA / name
    domain = "example.test" if name == "bad_header_empty.txt" else None
    with pytest.raises(CredentialError) as info:
        detect.load(path, header_domain=domain)
    separator = "" if BAD_FILES[name].startswith(":") else ": "
    assert info.value.message == f"{path}{separator}{BAD_FILES[name]}"
    assert "\n" not in info.value.message
    assert info.value.hint


def fake_home(root: Path) -> Path:
    """A $HOME with one Chromium profile ('Default', shown as 'Work') and one Firefox profile."""
    default = root / ".config" / "chromium" / "Default"
    default.mkdir(parents=True)
    chromium_db(default / "Cookies", 24, [(".aliyun.com", "cna", "C", b"", 0, 0, 0, 0)])
    (root / ".config" / "chromium" / "Local State").write_text(
        '{"profile": {"info_cache": {"Default": {"name": "Work"}}}}'
    )
    firefox_root = root / ".mozilla" / "firefox"
    (firefox_root / "abcd.default-release").mkdir(parents=True)
    firefox_db(firefox_root / "abcd.default-release" / "cookies.sqlite", [("cna", "F", ".aliyun.com", "/", 0, 0, 0)])
    (firefox_root / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\n\n"
        "[Install4F96D1932A9F858E]\nDefault=abcd.default-release\nLocked=1\n"
    )
    return root


BAD_BROWSERS = {
    "netscape": (
        "unknown browser 'netscape'; known browsers are firefox, zen, librewolf, chrome, chromium, edge, "
        "brave, vivaldi, arc"
    ),
    "chromium:Nope": "browser chromium: no profile 'Nope' in {home}/.config/chromium (profiles: Default, Work)",
    "firefox:nope": "browser firefox: no profile 'nope' in {home}/.mozilla/firefox (profiles: default-release)",
    "brave": "browser brave: no profile directory found (looked in ~/.config/BraveSoftware/Brave-Browser)",
    "arc": "browser arc: no profile directory found (looked in nowhere: arc has no build for linux)",
}


@pytest.mark.parametrize("spec", sorted(BAD_BROWSERS))
def test_bad_browser(spec: str, tmp_path: Path) -> None:
    home = fake_home(tmp_path)
    with pytest.raises(CredentialError) as info:
        browsers.load(spec, home=home, platform="linux")
    assert info.value.message == BAD_BROWSERS[spec].format(home=home)


def test_browser_profiles_by_default_directory_and_display_name(tmp_path: Path) -> None:
    home = fake_home(tmp_path)
    assert [c.value.reveal() for c in browsers.load("chromium", home=home, platform="linux").cookies] == ["C"]
    assert [c.value.reveal() for c in browsers.load("chromium:Work", home=home, platform="linux").cookies] == ["C"]
    assert [c.value.reveal() for c in browsers.load("firefox", home=home, platform="linux").cookies] == ["F"]
    assert [
        c.value.reveal() for c in browsers.load("firefox:default-release", home=home, platform="linux").cookies
    ] == ["F"]


# --- Fuzz: arbitrary input raises CredentialError or nothing -------------------------------------------------

TEXT_PARSERS: dict[str, Callable[[str], object]] = {
    "netscape": lambda t: netscape.parse(t, "x"),
    "jsonexport": lambda t: jsonexport.parse(t, "x"),
    "har": lambda t: har.parse(t, "x"),
    "rawheader": lambda t: rawheader.parse(t, "x", "example.test"),
    "setcookie": lambda t: setcookie.parse(t, "https://h.example/p", NOW),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "value",
                    "domain",
                    "path",
                    "hostOnly",
                    "expirationDate",
                    "log",
                    "entries",
                    "request",
                    "response",
                    "url",
                    "headers",
                    "cookies",
                    "session",
                    "secure",
                    "httpOnly",
                    "expires",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("parser", sorted(TEXT_PARSERS))
@settings(max_examples=150, deadline=None)
@given(text=st.text() | json_values.map(json.dumps))
def test_text_parsers_raise_only_credential_error(parser: str, text: str) -> None:
    try:
        TEXT_PARSERS[parser](text)
    except CredentialError as exc:
        assert "\n" not in exc.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=300)
    | st.binary(max_size=2000).map(lambda b: snapshot.MAGIC + b)
    | st.binary(max_size=200).map(lambda b: firefox.MOZLZ4 + b)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.text().map(str.encode)
)
def test_detect_raises_only_credential_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        try:
            detect.load(path, header_domain="example.test")
        except CredentialError as exc:
            assert "\n" not in exc.message


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.text(max_size=10),
            st.text(max_size=10),
            st.binary(max_size=80).map(lambda b: b"v10" + b) | st.binary(max_size=40),
            st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(max_size=5),
        ),
        max_size=3,
    ),
    version=st.sampled_from([20, 23, 24]),
)
def test_chromium_rows_raise_only_credential_error(rows: list[tuple[str, str, bytes, Any]], version: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = chromium_db(
            Path(tmp) / "Cookies",
            version,
            [(host, name, "", blob, expires, 0, 0, 1) for host, name, blob, expires in rows],
        )
        try:
            chromium.load(db, keys=chromium.Keys("chromium", "linux", no_keyring))
        except CredentialError as exc:
            assert "\n" not in exc.message


# --- Diagnosis -----------------------------------------------------------------------------------------------


def cookie(name: str, domain: str, host_only: bool = False, expires: float | None = LATER, path: str = "/") -> Cookie:
    return Cookie(
        name, Secret(f"VALUE-of-{name}-secret"), domain, host_only, path, True, name.endswith("ticket"), expires
    )


PROBES = (
    Probe(
        "console-rpc-cn",
        "CN RPC",
        "POST",
        "https://bailian-cs.console.aliyun.com/data/api.json?action=x",
        auth=Auth.COOKIES,
    ),
    Probe("dashboard-cn", "CN dashboard", "GET", "https://bailian.console.aliyun.com/cn-beijing/", auth=Auth.COOKIES),
    Probe("qwencloud-home", "QwenCloud", "GET", "https://home.qwencloud.com/tool/user/info.json", auth=Auth.COOKIES),
    Probe("models", "models", "GET", "https://dashscope.aliyuncs.com/api/v1/models", auth=Auth.KEY),
)


def test_diagnose_cn_ticket_session_and_host_scoping() -> None:
    jar = Jar(
        "test",
        (
            cookie("login_aliyunid_ticket", "aliyun.com"),
            cookie("login_aliyunid_pk", "aliyun.com"),
            cookie("login_aliyunid_csrf", "aliyun.com"),
            cookie("JSESSIONID", "bailian.console.aliyun.com", host_only=True),  # reference (b): scoped to one host
            cookie("unrelated", "example.org"),
        ),
    )
    d = diagnose.diagnose(jar, PROBES, NOW)
    assert [v.scheme for v in d.verdicts] == [diagnose.Scheme.CN_TICKET]
    assert d.verdicts[0].reason == "login_aliyunid_ticket (.aliyun.com) with login_aliyunid_pk (.aliyun.com)"
    hosts = {h.host: h.sends for h in d.hosts}
    assert hosts["bailian-cs.console.aliyun.com"] == (
        "login_aliyunid_ticket",
        "login_aliyunid_pk",
        "login_aliyunid_csrf",
    )
    assert hosts["bailian.console.aliyun.com"][-1] == "JSESSIONID"
    assert hosts["home.qwencloud.com"] == ()
    checks = {p.probe_id: p.missing for p in d.probes}
    assert checks == {
        "console-rpc-cn": ("sec_token cookie absent: the sec_token must come from the dashboard HTML or user info",),
        "dashboard-cn": (),
        "qwencloud-home": (
            "none of login_aliyunid_ticket, login_qwencloud_ticket, qwen_sso_ticket: QwenCloud will ask for login",
        ),
    }
    assert [g.domain for g in d.domains] == [".aliyun.com", "bailian.console.aliyun.com"]


def test_diagnose_intl_passport_session_names_the_missing_ticket() -> None:
    jar = Jar("test", tuple(cookie(n, "alibabacloud.com") for n in ("login_current_pk", "cr_token", "x5sec")))
    probes = (
        Probe(
            "rpc-intl", "d", "POST", "https://bailian-singapore-cs.alibabacloud.com/data/api.json", auth=Auth.COOKIES
        ),
    )
    d = diagnose.diagnose(jar, probes, NOW)
    assert d.verdicts == (
        diagnose.Verdict(
            diagnose.Scheme.INTL_PASSPORT,
            "passport cookies login_current_pk, cr_token, x5sec without login_aliyunid_ticket: console gateways "
            "expecting the CN ticket will redirect to login (CodexBar #612)",
        ),
    )
    assert d.probes[0].missing[0] == "login_aliyunid_ticket absent: the CN-style gateway will redirect to login"


def test_diagnose_qwencloud_expired_and_none() -> None:
    qwen = diagnose.diagnose(Jar("t", (cookie("qwen_sso_ticket", "qwencloud.com"),)), PROBES, NOW)
    assert [v.scheme for v in qwen.verdicts] == [diagnose.Scheme.QWENCLOUD]
    stale = Jar(
        "t",
        (
            cookie("login_aliyunid_ticket", "aliyun.com", expires=EARLIER),
            cookie("login_aliyunid_pk", "aliyun.com", expires=EARLIER),
        ),
    )
    d = diagnose.diagnose(stale, PROBES, NOW)
    assert [v.scheme for v in d.verdicts] == [diagnose.Scheme.EXPIRED]
    assert d.warnings == (
        "every cookie in the jar has expired (the last at 2026-09-20 14:13 UTC): log in and export again",
    )
    assert d.probes[1].missing[0] == "login_aliyunid_ticket expired: the CN-style gateway will redirect to login"
    nothing = diagnose.diagnose(Jar("t", (cookie("cna", "aliyun.com"),)), PROBES, NOW)
    assert [v.scheme for v in nothing.verdicts] == [diagnose.Scheme.NONE]


def test_diagnosis_markdown_never_shows_a_value() -> None:
    jar = Jar(
        "test", tuple(cookie(n, "aliyun.com") for n in diagnose.RELEVANT) + (cookie("s", "aliyun.com", expires=None),)
    )
    text = diagnose.markdown(diagnose.diagnose(jar, PROBES, NOW))
    assert "VALUE-of" not in text and "secret" not in text.lower().replace("values are never shown", "")
    assert (
        "### Verdict" in text
        and "| `login_aliyunid_ticket` | `/` | 2026-09-22 14:13 UTC | no | persistent | yes | yes |" in text
    )
