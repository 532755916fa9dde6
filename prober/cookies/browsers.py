"""`--browser NAME[:PROFILE]`: find an installed browser's default (or named) profile on Linux or macOS and read it."""

from __future__ import annotations

import configparser
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prober.cookies import Jar, chromium, firefox
from prober.errors import CredentialError

_MAC = "Library/Application Support"
_FLATPAK = ".var/app"


@dataclass(frozen=True, slots=True)
class Browser:
    name: str
    family: str  # "firefox" or "chromium"
    linux: tuple[str, ...]  # profile roots relative to $HOME, first found wins
    mac: tuple[str, ...]


BROWSERS = {
    b.name: b
    for b in (
        Browser(
            "firefox",
            "firefox",
            (
                ".mozilla/firefox",
                "snap/firefox/common/.mozilla/firefox",
                ".var/app/org.mozilla.firefox/.mozilla/firefox",
            ),
            (f"{_MAC}/Firefox",),
        ),
        Browser("zen", "firefox", (".zen", ".var/app/app.zen_browser.zen/.zen"), (f"{_MAC}/zen",)),
        Browser(
            "librewolf",
            "firefox",
            (".librewolf", ".var/app/io.gitlab.librewolf-community/.librewolf"),
            (f"{_MAC}/librewolf",),
        ),
        Browser("chrome", "chromium", (".config/google-chrome",), (f"{_MAC}/Google/Chrome",)),
        Browser("chromium", "chromium", (".config/chromium", "snap/chromium/common/chromium"), (f"{_MAC}/Chromium",)),
        Browser("edge", "chromium", (".config/microsoft-edge",), (f"{_MAC}/Microsoft Edge",)),
        Browser(
            "brave", "chromium", (".config/BraveSoftware/Brave-Browser",), (f"{_MAC}/BraveSoftware/Brave-Browser",)
        ),
        Browser("vivaldi", "chromium", (".config/vivaldi",), (f"{_MAC}/Vivaldi",)),
        Browser("arc", "chromium", (), (f"{_MAC}/Arc/User Data",)),  # Arc has no Linux build
    )
}


def _root(browser: Browser, home: Path, platform: str) -> Path:
    candidates = browser.mac if platform == "darwin" else browser.linux
    for relative in candidates:
        if (home / relative).is_dir():
            return home / relative
    where = ", ".join(f"~/{c}" for c in candidates) or f"nowhere: {browser.name} has no build for {platform}"
    raise CredentialError(
        f"browser {browser.name}: no profile directory found (looked in {where})",
        f"start {browser.name} once to create its profile, or pass --cookies with a cookie file",
    )


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    # An unreadable profiles.ini leaves only the profiles that can be named by directory.
    with contextlib.suppress(configparser.Error, UnicodeDecodeError, OSError):
        parser.read(path, encoding="utf-8")
    return parser


def firefox_profiles(root: Path) -> dict[str, Path]:
    """Profile name -> directory, from profiles.ini (Firefox's profile manager)."""
    parser = _ini(root / "profiles.ini")
    found: dict[str, Path] = {}
    for section in parser.sections():
        if not section.startswith("Profile") or "Path" not in parser[section]:
            continue
        relative = parser[section].get("IsRelative", "1") == "1"
        path = root / parser[section]["Path"] if relative else Path(parser[section]["Path"])
        found[parser[section].get("Name", path.name)] = path
    return found


def firefox_default(root: Path) -> Path | None:
    """The profile this installation opens: installs.ini / [Install…] Default= first (Firefox 67+), then Default=1."""
    for ini in (root / "installs.ini", root / "profiles.ini"):
        parser = _ini(ini)
        for section in parser.sections():
            if (ini.name == "installs.ini" or section.startswith("Install")) and "Default" in parser[section]:
                return root / parser[section]["Default"]
    parser = _ini(root / "profiles.ini")
    for section in parser.sections():
        if section.startswith("Profile") and parser[section].get("Default") == "1" and "Path" in parser[section]:
            relative = parser[section].get("IsRelative", "1") == "1"
            return root / parser[section]["Path"] if relative else Path(parser[section]["Path"])
    return None


def chromium_profiles(root: Path) -> dict[str, Path]:
    """Profile directory and display name -> directory, from the profile dirs and `Local State`."""
    found = {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and ((p / "Cookies").is_file() or (p / "Network" / "Cookies").is_file())
    }
    try:
        state = json.loads((root / "Local State").read_text(encoding="utf-8"))
        cache = state["profile"]["info_cache"]
        for directory, info in cache.items():
            if isinstance(info, dict) and isinstance(info.get("name"), str) and directory in found:
                found.setdefault(info["name"], found[directory])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no Local State: directory names only
    return found


def profile(spec: str, home: Path | None = None, platform: str | None = None) -> tuple[Browser, Path]:
    """The browser and profile directory `NAME[:PROFILE]` names."""
    home = home if home is not None else Path.home()
    platform = platform or sys.platform
    name, _, wanted = spec.partition(":")
    browser = BROWSERS.get(name.strip().lower())
    if browser is None:
        raise CredentialError(
            f"unknown browser {name!r}; known browsers are {', '.join(BROWSERS)}",
            "pass --browser NAME[:PROFILE], for example --browser firefox or --browser chrome:'Profile 1'",
        )
    root = _root(browser, home, platform)
    if browser.family == "firefox":
        profiles = firefox_profiles(root)
        chosen = profiles.get(wanted) if wanted else firefox_default(root)
        if chosen is None and wanted:
            chosen = next((p for p in profiles.values() if p.name == wanted), None)
    else:
        profiles = chromium_profiles(root)
        chosen = profiles.get(wanted or "Default")
    if chosen is None or not chosen.is_dir():
        known = ", ".join(sorted(profiles)) or "none"
        what = f"no profile {wanted!r}" if wanted else "no default profile"
        raise CredentialError(
            f"browser {browser.name}: {what} in {root} (profiles: {known})",
            f"pass --browser {browser.name}:PROFILE with one of the profiles listed",
        )
    return browser, chosen


def load(spec: str, home: Path | None = None, platform: str | None = None, domains: Sequence[str] | None = None) -> Jar:
    """The cookies of `--browser NAME[:PROFILE]` (the default profile when PROFILE is left out), read for
    `domains` only when given (a browser holds thousands of other sites' cookies)."""
    browser, directory = profile(spec, home, platform)
    if browser.family == "firefox":
        return firefox.load(directory, domains)
    keys = chromium.Keys(browser.name, platform or sys.platform)
    return chromium.load(directory, browser.name, keys, domains)
