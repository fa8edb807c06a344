"""The console's sign-in settings: the OpenID Connect provider and the session's length, read
from the environment; every unusable value is refused at start with a message that says why."""

from __future__ import annotations

import pytest

from refstack_lite.errors import ConfigError
from refstack_lite.sign_in_settings import (
    DEFAULT_SCOPES,
    DEFAULT_SESSION_HOURS,
    OidcSettings,
    oidc_from_env,
    session_hours_from_env,
)

PROVIDER = {
    "REFSTACK_LITE_OIDC_ISSUER": "https://id.example.org",
    "REFSTACK_LITE_OIDC_CLIENT_ID": "refstack",
    "REFSTACK_LITE_OIDC_CLIENT_SECRET": "s3cret",
}


def test_no_issuer_is_no_single_sign_on() -> None:
    assert oidc_from_env({}, production=True) is None


def test_a_provider_with_its_defaults() -> None:
    oidc = oidc_from_env(PROVIDER, production=True)
    assert oidc == OidcSettings("https://id.example.org", "refstack", "s3cret")
    assert oidc.scopes == DEFAULT_SCOPES
    assert oidc.metadata_url == "https://id.example.org/.well-known/openid-configuration"
    assert not oidc.merge_verified_email
    assert oidc.role_claim is None
    assert dict(oidc.role_map) == {}


def test_every_setting_is_read() -> None:
    oidc = oidc_from_env(
        {
            **PROVIDER,
            "REFSTACK_LITE_OIDC_ISSUER": "https://id.example.org/realms/main/",
            "REFSTACK_LITE_OIDC_SCOPES": "openid email groups",
            "REFSTACK_LITE_OIDC_NAME": "Example ID",
            "REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL": "yes",
            "REFSTACK_LITE_OIDC_ROLE_CLAIM": "groups",
            "REFSTACK_LITE_OIDC_ROLE_MAP": "refstack-admins=admin, refstack-reviewers=reviewer",
        },
        production=True,
    )
    assert oidc is not None
    assert oidc.metadata_url == "https://id.example.org/realms/main/.well-known/openid-configuration"
    assert oidc.scopes == ("openid", "email", "groups")
    assert oidc.name == "Example ID"
    assert oidc.merge_verified_email
    assert oidc.role_claim == "groups"
    assert dict(oidc.role_map) == {"refstack-admins": "admin", "refstack-reviewers": "reviewer"}


def test_plain_http_is_for_development_only() -> None:
    development = oidc_from_env({**PROVIDER, "REFSTACK_LITE_OIDC_ISSUER": "http://127.0.0.1:9000"}, production=False)
    assert development is not None
    with pytest.raises(ConfigError, match="must be an https URL"):
        oidc_from_env({**PROVIDER, "REFSTACK_LITE_OIDC_ISSUER": "http://id.example.org"}, production=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"REFSTACK_LITE_OIDC_ISSUER": "id.example.org"}, "must be the provider's issuer URL"),
        ({"REFSTACK_LITE_OIDC_ISSUER": "ftp://id.example.org"}, "must be the provider's issuer URL"),
        ({"REFSTACK_LITE_OIDC_ISSUER": "https://id.example.org/?x=1"}, "must be the provider's issuer URL"),
        ({"REFSTACK_LITE_OIDC_ISSUER": "https://id.example.org/#top"}, "must be the provider's issuer URL"),
        (
            {"REFSTACK_LITE_OIDC_CLIENT_ID": ""},
            "needs REFSTACK_LITE_OIDC_CLIENT_ID and REFSTACK_LITE_OIDC_CLIENT_SECRET",
        ),
        (
            {"REFSTACK_LITE_OIDC_CLIENT_SECRET": ""},
            "needs REFSTACK_LITE_OIDC_CLIENT_ID and REFSTACK_LITE_OIDC_CLIENT_SECRET",
        ),
        ({"REFSTACK_LITE_OIDC_SCOPES": "email profile"}, "must include 'openid'"),
        ({"REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL": "maybe"}, "must be true or false"),
        ({"REFSTACK_LITE_OIDC_ROLE_CLAIM": "groups"}, "go together"),
        ({"REFSTACK_LITE_OIDC_ROLE_MAP": "refstack-admins=admin"}, "go together"),
        (
            {"REFSTACK_LITE_OIDC_ROLE_CLAIM": "groups", "REFSTACK_LITE_OIDC_ROLE_MAP": "refstack-admins=owner"},
            "CLAIM_VALUE=ROLE with ROLE one of admin, reviewer",
        ),
        (
            {"REFSTACK_LITE_OIDC_ROLE_CLAIM": "groups", "REFSTACK_LITE_OIDC_ROLE_MAP": "admin"},
            "CLAIM_VALUE=ROLE",
        ),
        (
            {"REFSTACK_LITE_OIDC_ROLE_CLAIM": "groups", "REFSTACK_LITE_OIDC_ROLE_MAP": "=admin"},
            "CLAIM_VALUE=ROLE",
        ),
    ],
)
def test_an_unusable_provider_setting_is_refused(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        oidc_from_env({**PROVIDER, **changes}, production=False)


def test_provider_settings_without_an_issuer_are_refused() -> None:
    """A forgotten issuer must not silently leave the console without single sign-on."""
    with pytest.raises(ConfigError, match="REFSTACK_LITE_OIDC_CLIENT_ID, REFSTACK_LITE_OIDC_CLIENT_SECRET set without"):
        oidc_from_env({k: v for k, v in PROVIDER.items() if k != "REFSTACK_LITE_OIDC_ISSUER"}, production=False)


def test_the_session_lasts_eight_hours_unless_told() -> None:
    assert session_hours_from_env({}) == DEFAULT_SESSION_HOURS == 8
    assert session_hours_from_env({"REFSTACK_LITE_SESSION_HOURS": "168"}) == 168


@pytest.mark.parametrize("raw", ["0", "169", "-1", "8.5", "²", "", " 8"])
def test_an_unusable_session_length_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_SESSION_HOURS must be how long a console sign-in lasts"):
        session_hours_from_env({"REFSTACK_LITE_SESSION_HOURS": raw})
