"""How people sign in to the console: the OpenID Connect provider and the session rules, read
from the environment by ``config.Settings``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from refstack_lite.errors import ConfigError
from refstack_lite.services.actors import FOUNDATION_ROLES

DEFAULT_SCOPES = ("openid", "email", "profile")
DEFAULT_SESSION_HOURS = 8
MAX_SESSION_HOURS = 24 * 7


@dataclass(frozen=True)
class OidcSettings:
    """One OpenID Connect provider the console trusts."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    # Shown on the sign-in button: "Sign in with <name>".
    name: str = "your organisation's sign-in"
    # Link a first sign-in to an existing account with the same email, only when the provider says
    # the address is verified (``email_verified``) and the operator opted in.
    merge_verified_email: bool = False
    # A claim the operator maps to foundation roles (``groups``), and which of its values grants
    # which role; empty: claims never grant a role.
    role_claim: str | None = None
    role_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def oidc_from_env(env: Mapping[str, str], production: bool) -> OidcSettings | None:
    """The provider of ``REFSTACK_LITE_OIDC_*``, or None when ``REFSTACK_LITE_OIDC_ISSUER`` is unset."""
    issuer = env.get("REFSTACK_LITE_OIDC_ISSUER", "")
    if not issuer:
        stray = sorted(k for k in env if k.startswith("REFSTACK_LITE_OIDC_") and env[k])
        if stray:
            raise ConfigError(f"{', '.join(stray)} set without REFSTACK_LITE_OIDC_ISSUER, the provider to sign in with")
        return None
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"REFSTACK_LITE_OIDC_ISSUER must be the provider's issuer URL, such as https://id.example.org, not {issuer!r}"
        )
    if production and parts.scheme != "https":
        raise ConfigError(
            "in production REFSTACK_LITE_OIDC_ISSUER must be an https URL: sign-in must not cross the network in clear"
        )
    client_id = env.get("REFSTACK_LITE_OIDC_CLIENT_ID", "")
    client_secret = env.get("REFSTACK_LITE_OIDC_CLIENT_SECRET", "")
    if not client_id or not client_secret:
        raise ConfigError(
            "REFSTACK_LITE_OIDC_ISSUER needs REFSTACK_LITE_OIDC_CLIENT_ID and REFSTACK_LITE_OIDC_CLIENT_SECRET, "
            "the client this server is registered as at the provider"
        )
    scopes = tuple(env.get("REFSTACK_LITE_OIDC_SCOPES", " ".join(DEFAULT_SCOPES)).split())
    if "openid" not in scopes:
        raise ConfigError(f"REFSTACK_LITE_OIDC_SCOPES must include 'openid', not {' '.join(scopes)!r}")
    role_claim = env.get("REFSTACK_LITE_OIDC_ROLE_CLAIM", "") or None
    role_map = _role_map(env.get("REFSTACK_LITE_OIDC_ROLE_MAP", ""))
    if (role_claim is None) != (not role_map):
        raise ConfigError(
            "REFSTACK_LITE_OIDC_ROLE_CLAIM and REFSTACK_LITE_OIDC_ROLE_MAP go together: the claim to read "
            "and which of its values grants which role (for example 'refstack-admins=admin,refstack-reviewers=reviewer')"
        )
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        name=env.get("REFSTACK_LITE_OIDC_NAME", "") or OidcSettings.name,
        merge_verified_email=_flag(env, "REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL"),
        role_claim=role_claim,
        role_map=role_map,
    )


def _role_map(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        value, sep, role = item.rpartition("=")
        if not sep or not value or role not in FOUNDATION_ROLES:
            raise ConfigError(
                "REFSTACK_LITE_OIDC_ROLE_MAP must be a comma-separated list of CLAIM_VALUE=ROLE with ROLE one of "
                f"{', '.join(FOUNDATION_ROLES)}, not {raw!r}"
            )
        mapping[value] = role
    return mapping


def session_hours_from_env(env: Mapping[str, str]) -> int:
    raw = env.get("REFSTACK_LITE_SESSION_HOURS", str(DEFAULT_SESSION_HOURS))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_SESSION_HOURS:
        raise ConfigError(
            "REFSTACK_LITE_SESSION_HOURS must be how long a console sign-in lasts, "
            f"a whole number of hours from 1 to {MAX_SESSION_HOURS}, not {raw!r}"
        )
    return int(raw)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, not {env[name]!r}")
