"""The command line's shared context: the global options, and the settings and API made from them
only for the commands that use them. The command modules take it from here, so their imports
point down to this module rather than up to ``cli``."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import click

from refstack_lite_client.api import DEFAULT_RETRIES, Api
from refstack_lite_client.config import ENV_TOKEN, ConfigError, Settings, load


@dataclass
class State:
    """The global options; settings and the API are made only for commands that use them."""

    url: str | None
    token: str | None = field(repr=False)
    config: str | None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load(self.url, self.token, self.config)
            for warning in self._settings.warnings:
                click.echo(warning, err=True)
        return self._settings

    def api(self, retries: int = DEFAULT_RETRIES, *, public: bool = False) -> Api:
        """The server's API as the token's owner. ``public``: for reads anyone may make (guidelines,
        official vendors, public products), where a missing token is no error; one that is set is sent."""
        settings = self.settings()
        url = settings.require_url()
        if not settings.token and not public:
            raise ConfigError(
                f'no token: pass --token, set {ENV_TOKEN}, or put token = "rlt_..." in the config file '
                f"{settings.config_path}"
            )
        if settings.token and _plain_http_elsewhere(url):
            click.echo(f"warning: {url} is plain http: the API token crosses the network readable by anyone", err=True)
        api = Api(url, settings.token or None, retries=retries)
        click.get_current_context().call_on_close(api.close)
        return api


def _plain_http_elsewhere(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1")
