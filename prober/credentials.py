"""Where the API key and the cookie jar come from. Values are wrapped in Secret the moment they are read."""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prober import inputs, scope
from prober.cookies import Jar, rawheader
from prober.errors import CredentialError
from prober.redact import Secret

# CodexBar reads ALIBABA_CODING_PLAN_API_KEY first (reference (b)); the issue puts DASHSCOPE_API_KEY, the
# vendor's own variable, first. Both are read; --key-env picks another.
KEY_ENV_VARS = ("DASHSCOPE_API_KEY", "ALIBABA_CODING_PLAN_API_KEY")

# The console access token (docs/vendor.md#console-token): ours first, then the variable Alibaba's own
# CLI `bl` reads (modelstudioai/cli packages/core/src/auth/resolver.ts), then the file `bl auth login --console`
# writes: `access_token` in `$BAILIAN_CONFIG_DIR/config.json`, else `~/.bailian/config.json`, in the profile named
# by its `active_config` key or at the top level (packages/core/src/config/paths.ts, config/loader.ts).
TOKEN_ENV_VARS = ("BAILIAN_CONSOLE_TOKEN", "DASHSCOPE_ACCESS_TOKEN")


@dataclass(frozen=True, slots=True)
class Credentials:
    key: Secret | None = None
    key_source: str | None = None
    jar: Jar | None = None
    notes: tuple[str, ...] = ()
    console_token: Secret | None = None
    console_token_source: str | None = None

    def secrets(self) -> Iterable[Secret]:
        if self.key:
            yield self.key
        if self.console_token:
            yield self.console_token
        if self.jar:
            yield from self.jar.secrets()


# What an editor, `echo` or a copy leaves around a key; anything else around or inside it is refused below.
_AROUND = " \t\r\n"


def _clean(raw: str, where: str, notes: list[str], what: str = "API key") -> Secret:
    """The credential in `raw`, refused with the reason (never the value) when it is empty or holds anything
    but printable characters; `where` names its source without a path, since notes reach reports."""
    value = raw.strip(_AROUND)
    if not value:
        raise CredentialError(
            f"the {what} from {where} is empty", f"set it to your {what}, or unset it to skip the probes that need it"
        )
    if value != raw:
        notes.append(f"stripped surrounding whitespace from the {what} in {where}")
    # The reasons name the offending character, never the value: a broken key is still a secret.
    if "\ufeff" in value:
        raise CredentialError(
            f"the {what} from {where} contains a byte-order mark (U+FEFF)",
            f"save the file as UTF-8 without a BOM, or copy the {what} again",
        )
    if any(ch.isspace() for ch in value):
        raise CredentialError(
            f"the {what} from {where} contains whitespace inside it",
            f"the {what} is one word: check that only it was pasted",
        )
    control = next((ch for ch in value if unicodedata.category(ch).startswith("C")), None)
    if control is not None:
        raise CredentialError(
            f"the {what} from {where} contains a control or invisible character (U+{ord(control):04X})",
            f"the {what} is printable text: check that only it was pasted",
        )
    return Secret(value)


def resolve_key(
    env: Mapping[str, str], key_env: str | None, key_file: Path | None, notes: list[str]
) -> tuple[Secret | None, str | None]:
    """The key and a description of its source (never the value). None when no source is set."""
    if key_file is not None:
        hint = "pass a readable file holding only the key"
        data = inputs.read_bytes(key_file, inputs.KEY_LIMIT, "key file", CredentialError, hint)
        try:
            raw = data.decode("utf-8")  # a BOM stays, to be refused by _clean rather than sent
        except UnicodeDecodeError:
            raise CredentialError(f"cannot read key file {key_file}: not UTF-8 text", hint) from None
        return _clean(raw, "the key file", notes), "file (--key-file)"
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
    """Where the cookie jar comes from: at most one of a file, a browser profile, or a Cookie header variable.

    Only cookies for Alibaba's domains (`scope.COOKIE_DOMAINS`), `domain` and `allow` are kept.
    """

    path: Path | None = None
    browser: str | None = None
    header_env: str | None = None
    domain: str | None = None  # the domain a raw Cookie header belongs to (a header carries no scope)
    allow: tuple[str, ...] = ()  # more hosts or domains whose cookies are kept (`--allow-key-host`)

    @property
    def given(self) -> bool:
        return any(x is not None for x in (self.path, self.browser, self.header_env))


def load_jar(source: CookieSource, env: Mapping[str, str]) -> Jar:
    """The jar `source` names, holding only the cookies for its domains; the others are counted, never kept.

    Every format and source goes through here. Browser databases are read for those domains only.
    """
    flags = (("--cookies", source.path), ("--browser", source.browser), ("--cookie-header-env", source.header_env))
    given = [flag for flag, value in flags if value is not None]
    if len(given) > 1:
        raise CredentialError(f"{' and '.join(given)} both name a cookie source", "give one cookie source per run")
    added = (rawheader.domain(source.domain),) if source.domain is not None else ()
    domains = scope.cookie_domains((*added, *source.allow))
    return _read(source, env, domains).scoped(domains)


def _read(source: CookieSource, env: Mapping[str, str], domains: tuple[str, ...]) -> Jar:
    if source.path is not None:
        from prober.cookies import detect  # the readers of every file format load only when a file is read

        return detect.load(source.path, header_domain=source.domain, domains=domains)
    if source.browser is not None:
        from prober.cookies import browsers  # Chromium's decryption library loads only when a browser is read

        return browsers.load(source.browser, domains=domains)
    if source.header_env is None:
        raise CredentialError("no cookie source given", "pass --cookies FILE, --browser NAME or --cookie-header-env")
    if source.domain is None:
        raise CredentialError(
            "--cookie-header-env needs --cookie-domain: a Cookie header does not say which site it belongs to",
            "add --cookie-domain aliyun.com (CN console) or alibabacloud.com (INTL console)",
        )
    return rawheader.from_env(env, source.header_env, source.domain)


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Where the console token comes from when no variable of TOKEN_ENV_VARS is set: --console-token-env or
    --console-token-file; `home` is where `bl`'s own config is looked for (None: never)."""

    env: str | None = None
    file: Path | None = None
    home: Path | None = None


def _bl_config(env: Mapping[str, str], home: Path) -> Path:
    directory = env.get("BAILIAN_CONFIG_DIR")
    return (Path(directory) if directory else home / ".bailian") / "config.json"


def _bl_token(env: Mapping[str, str], home: Path, notes: list[str]) -> tuple[Secret | None, str | None]:
    """The console token `bl auth login --console` saved, if there is one."""
    path = _bl_config(env, home)
    if not path.is_file():
        return None, None
    hint = "log in again with `bl auth login --console`, or pass --console-token-file"
    data = inputs.read_bytes(path, inputs.KEY_LIMIT * 16, "bl config file", CredentialError, hint)
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CredentialError("the bl config file is not JSON", hint) from None
    if not isinstance(config, dict):
        return None, None
    active = config.get("active_config")
    block = config.get(active) if isinstance(active, str) and active != "default" else config
    # bl writes `access_token` and also reads an `accessToken` spelling (docs/vendor.md#console-token-storage).
    token = (block.get("access_token") or block.get("accessToken")) if isinstance(block, dict) else None
    if not isinstance(token, str) or not token:
        return None, None
    profile = f" (profile {active})" if block is not config else ""
    return _clean(token, "the bl config file", notes, "console token"), f"bl config{profile}"


def resolve_token(env: Mapping[str, str], source: TokenSource, notes: list[str]) -> tuple[Secret | None, str | None]:
    """The console token and a description of its source (never the value or a path). None when none is set."""
    what = "console token"
    if source.file is not None:
        hint = "pass a readable file holding only the console token"
        data = inputs.read_bytes(source.file, inputs.KEY_LIMIT, "console token file", CredentialError, hint)
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialError("cannot read the console token file: not UTF-8 text", hint) from None
        return _clean(raw, "the console token file", notes, what), "file (--console-token-file)"
    if source.env is not None:
        if source.env not in env:
            raise CredentialError(
                f"environment variable {source.env} is not set", f"export {source.env}=… or drop --console-token-env"
            )
        return _clean(env[source.env], f"${source.env}", notes, what), f"env {source.env}"
    for name in TOKEN_ENV_VARS:
        if name in env:
            return _clean(env[name], f"${name}", notes, what), f"env {name}"
    if source.home is not None:
        return _bl_token(env, source.home, notes)
    return None, None


def resolve(
    env: Mapping[str, str],
    key_env: str | None,
    key_file: Path | None,
    cookies: CookieSource | None = None,
    token: TokenSource | None = None,
) -> Credentials:
    notes: list[str] = []
    key, key_source = resolve_key(env, key_env, key_file, notes)
    console_token, token_source = resolve_token(env, token, notes) if token is not None else (None, None)
    jar = load_jar(cookies, env) if cookies is not None and cookies.given else None
    if jar is not None and not jar.cookies:
        notes.append(
            f"the {jar.kind} jar holds no cookies for {', '.join(scope.COOKIE_DOMAINS)} "
            f"(left out {jar.left_out:,} for other sites): add --cookie-domain DOMAIN for another site"
        )
    elif jar is not None and all(c.expired(time.time()) for c in jar.cookies):
        notes.append(f"every cookie in the {jar.kind} jar has expired: log in again and re-export")
    return Credentials(
        key=key,
        key_source=key_source,
        jar=jar,
        notes=tuple(notes),
        console_token=console_token,
        console_token_source=token_source,
    )
