"""Where the client finds its server and credentials.

Each setting comes from the first of: a command-line flag (``--url``, ``--token``), the
environment (``REFSTACK_LITE_URL``, ``REFSTACK_LITE_TOKEN``), the config file. The config file is
TOML with the keys ``url``, ``token`` and ``vendor``; it lives at
``$XDG_CONFIG_HOME/refstack-lite/client.toml`` (``~/.config/...`` without XDG_CONFIG_HOME)
unless ``--config`` or ``REFSTACK_LITE_CONFIG`` names another file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_URL = "REFSTACK_LITE_URL"
ENV_TOKEN = "REFSTACK_LITE_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_CONFIG = "REFSTACK_LITE_CONFIG"
CONFIG_KEYS = ("url", "token", "vendor")


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    """The resolved settings. ``warnings`` are for stderr; the token never shows in ``repr``."""

    url: str | None
    token: str | None = field(repr=False)
    vendor: str | None
    config_path: Path
    warnings: tuple[str, ...] = ()

    def require_url(self) -> str:
        if not self.url:
            raise ConfigError(
                "no server URL: pass --url, set "
                f'{ENV_URL}, or put url = "https://..." in the config file {self.config_path}'
            )
        return self.url.rstrip("/")


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/refstack-lite``, or ``~/.config/refstack-lite``."""
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "refstack-lite"


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "client.toml"


def read_config_file(path: Path, *, required: bool) -> dict[str, str]:
    """The settings in ``path``; an absent file is empty unless the user named it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"the config file {path} does not exist") from None
        return {}
    except OSError as err:
        raise ConfigError(f"cannot read the config file {path}: {err.strerror}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"the config file {path} is not valid TOML: {err}") from None
    return _settings_of(path, document)


def _settings_of(path: Path, document: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in CONFIG_KEYS:
        value = document.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ConfigError(f"{key} in the config file {path} must be a string")
        found[key] = value
    return found


def loose_permissions_warning(path: Path) -> str | None:
    """Like ssh: a file holding a secret must not be readable by group or others."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077 == 0:
        return None
    return (
        f"warning: permissions {mode:04o} for '{path}' are too open; it holds a token, "
        f"so only you should read it (chmod 600 '{path}')"
    )


def load(
    url: str | None = None,
    token: str | None = None,
    config: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> Settings:
    """Resolve the settings from flags (the arguments), then ``env``, then the config file."""
    named = config or env.get(ENV_CONFIG)
    path = Path(named).expanduser() if named else default_config_path(env)
    from_file = read_config_file(path, required=bool(named))
    warnings: list[str] = []
    if "token" in from_file and (warning := loose_permissions_warning(path)):
        warnings.append(warning)
    return Settings(
        url=url or env.get(ENV_URL) or from_file.get("url"),
        token=token or env.get(ENV_TOKEN) or from_file.get("token"),
        vendor=from_file.get("vendor"),
        config_path=path,
        warnings=tuple(warnings),
    )
