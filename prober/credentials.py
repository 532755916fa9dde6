"""Where the API key and the cookie jar come from. Values are wrapped in Secret the moment they are read."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prober.cookies import Jar, browsers, detect, rawheader
from prober.errors import CredentialError
from prober.redact import Secret

# CodexBar reads ALIBABA_CODING_PLAN_API_KEY first (reference (b)); the issue puts DASHSCOPE_API_KEY, the
# vendor's own variable, first. Both are read; --key-env picks another.
KEY_ENV_VARS = ("DASHSCOPE_API_KEY", "ALIBABA_CODING_PLAN_API_KEY")


@dataclass(frozen=True, slots=True)
class Credentials:
    key: Secret | None = None
    key_source: str | None = None
    jar: Jar | None = None
    notes: tuple[str, ...] = ()

    def secrets(self) -> Iterable[Secret]:
        if self.key:
            yield self.key
        if self.jar:
            yield from self.jar.secrets()


def _clean(raw: str, where: str, notes: list[str]) -> Secret:
    value = raw.strip()
    if not value:
        raise CredentialError(
            f"the API key from {where} is empty", "set it to your sk-… key, or unset it to skip key probes"
        )
    if value != raw:
        notes.append(f"stripped surrounding whitespace from the API key in {where}")
    if any(ch.isspace() for ch in value):
        raise CredentialError(
            f"the API key from {where} contains whitespace inside it",
            "an API key is one word: check that only the key was pasted",
        )
    return Secret(value)


def resolve_key(
    env: Mapping[str, str], key_env: str | None, key_file: Path | None, notes: list[str]
) -> tuple[Secret | None, str | None]:
    """The key and a description of its source (never the value). None when no source is set."""
    if key_file is not None:
        try:
            raw = key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise CredentialError(
                f"cannot read key file {key_file}: {reason}", "pass a readable file holding only the key"
            ) from None
        return _clean(raw, f"file {key_file}", notes), f"file {key_file}"
    if key_env is not None:
        if key_env not in env:
            raise CredentialError(
                f"environment variable {key_env} is not set", f"export {key_env}=sk-… or drop --key-env"
            )
        return _clean(env[key_env], f"${key_env}", notes), f"env {key_env}"
    for name in KEY_ENV_VARS:
        if name in env:
            return _clean(env[name], f"${name}", notes), f"env {name}"
    return None, None


@dataclass(frozen=True, slots=True)
class CookieSource:
    """Where the cookie jar comes from: at most one of a file, a browser profile, or a Cookie header variable."""

    path: Path | None = None
    browser: str | None = None
    header_env: str | None = None
    domain: str | None = None  # the domain a raw Cookie header belongs to (a header carries no scope)

    @property
    def given(self) -> bool:
        return any(x is not None for x in (self.path, self.browser, self.header_env))


def load_jar(source: CookieSource, env: Mapping[str, str]) -> Jar:
    flags = (("--cookies", source.path), ("--browser", source.browser), ("--cookie-header-env", source.header_env))
    given = [flag for flag, value in flags if value is not None]
    if len(given) > 1:
        raise CredentialError(f"{' and '.join(given)} both name a cookie source", "give one cookie source per run")
    if source.path is not None:
        return detect.load(source.path, header_domain=source.domain)
    if source.browser is not None:
        return browsers.load(source.browser)
    if source.header_env is None:
        raise CredentialError("no cookie source given", "pass --cookies FILE, --browser NAME or --cookie-header-env")
    if source.domain is None:
        raise CredentialError(
            "--cookie-header-env needs --cookie-domain: a Cookie header does not say which site it belongs to",
            "add --cookie-domain aliyun.com (CN console) or alibabacloud.com (INTL console)",
        )
    return rawheader.from_env(env, source.header_env, source.domain)


def resolve(
    env: Mapping[str, str], key_env: str | None, key_file: Path | None, cookies: CookieSource | None = None
) -> Credentials:
    notes: list[str] = []
    key, key_source = resolve_key(env, key_env, key_file, notes)
    jar = load_jar(cookies, env) if cookies is not None and cookies.given else None
    if jar is not None and all(c.expired(time.time()) for c in jar.cookies):
        notes.append(f"every cookie in the {jar.kind} jar has expired: log in again and re-export")
    return Credentials(
        key=key,
        key_source=key_source,
        jar=jar,
        notes=tuple(notes),
    )
