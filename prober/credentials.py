"""Where the API key and the cookie jar come from. Values are wrapped in Secret the moment they are read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prober.cookies import Jar, netscape
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
    cookie_source: str | None = None
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


def load_jar(path: Path) -> Jar:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CredentialError(
            f"cannot read cookie file {path}: {exc.strerror or type(exc).__name__}",
            "pass --cookies with a readable Netscape cookies.txt",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(
            f"cookie file {path} is not UTF-8 text",
            "pass a Netscape cookies.txt (browser databases are supported in a later version)",
        ) from None
    return netscape.parse(text, str(path))


def resolve(env: Mapping[str, str], key_env: str | None, key_file: Path | None, cookies: Path | None) -> Credentials:
    notes: list[str] = []
    key, key_source = resolve_key(env, key_env, key_file, notes)
    jar = load_jar(cookies) if cookies is not None else None
    return Credentials(
        key=key,
        key_source=key_source,
        jar=jar,
        cookie_source=f"{jar.kind} {cookies}" if jar is not None else None,
        notes=tuple(notes),
    )
