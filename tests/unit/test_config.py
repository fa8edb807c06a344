"""Settings come from the environment only; production refuses to start without a real secret."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from refstack_lite.app import create_app
from refstack_lite.config import DEVELOPMENT_SECRET, MIN_SECRET_LENGTH, Settings
from refstack_lite.db import engine_of
from refstack_lite.errors import ConfigError, RefstackError
from refstack_lite.foundation_key_settings import FoundationKeySettings
from tests.foundation_keys import key_pem

GOOD_SECRET = "0123456789abcdef" * 4  # 64 characters, like secrets.token_hex(32)
PUBLIC_URL = "https://refstack.example.org"
FOUNDATION_KEY = key_pem()
PRODUCTION = {
    "REFSTACK_LITE_ENV": "production",
    "REFSTACK_LITE_SECRET_KEY": GOOD_SECRET,
    "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL,
    "REFSTACK_LITE_FOUNDATION_KEY": FOUNDATION_KEY,
}


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(
        database_url=None,
        secret_key=DEVELOPMENT_SECRET,
        production=False,
        accepted_guidelines=2,
        challenge_hours=72,
    )


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "REFSTACK_LITE_ENV": "production",
            "REFSTACK_LITE_SECRET_KEY": GOOD_SECRET,
            "REFSTACK_LITE_DATABASE_URL": "postgresql+psycopg://refstack@db/refstack",
            "REFSTACK_LITE_ACCEPTED_GUIDELINES": "3",
            "REFSTACK_LITE_CHALLENGE_HOURS": "240",
            "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL,
            "REFSTACK_LITE_TRUSTED_PROXIES": "1",
            "REFSTACK_LITE_REDIS_URL": "redis://127.0.0.1:6379/2",
            "REFSTACK_LITE_PUBLIC_CACHE_MB": "0",
            "REFSTACK_LITE_FOUNDATION_KEY": FOUNDATION_KEY,
        }
    )
    assert settings.foundation_key.signer is not None
    assert settings.foundation_key.name == "refstack.example.org"
    assert settings == Settings(
        database_url="postgresql+psycopg://refstack@db/refstack",
        secret_key=GOOD_SECRET,
        production=True,
        accepted_guidelines=3,
        challenge_hours=240,
        public_url=PUBLIC_URL,
        trusted_proxies=1,
        redis_url="redis://127.0.0.1:6379/2",
        public_cache_bytes=0,
        foundation_key=FoundationKeySettings("refstack.example.org", settings.foundation_key.signer),
    )


@pytest.mark.parametrize("url", ["127.0.0.1:6379", "http://127.0.0.1:6379", "postgresql://db/x"])
def test_an_unusable_redis_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_REDIS_URL must be a Redis URL"):
        Settings.from_env({"REFSTACK_LITE_REDIS_URL": url})


@pytest.mark.parametrize("hours", ["0", "2161", "-1", "72h", "1.5", "", "٣"])
def test_bad_challenge_hours_are_refused(hours: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_CHALLENGE_HOURS"):
        Settings.from_env({"REFSTACK_LITE_CHALLENGE_HOURS": hours})


@pytest.mark.parametrize("megabytes", ["-1", "4097", "64MB", "1.5", "", " 64", "٣"])
def test_a_bad_public_cache_size_is_refused(megabytes: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_PUBLIC_CACHE_MB must be the memory in MB"):
        Settings.from_env({"REFSTACK_LITE_PUBLIC_CACHE_MB": megabytes})


def test_the_public_cache_size_is_in_megabytes() -> None:
    assert Settings.from_env({}).public_cache_bytes == 64 * 1024 * 1024
    assert Settings.from_env({"REFSTACK_LITE_PUBLIC_CACHE_MB": "4096"}).public_cache_bytes == 4096 * 1024 * 1024


def test_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("REFSTACK_LITE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REFSTACK_LITE_ACCEPTED_GUIDELINES", "4")
    monkeypatch.setenv("REFSTACK_LITE_DATABASE_URL", "sqlite:///somewhere.sqlite3")
    settings = Settings.from_env()
    assert settings.accepted_guidelines == 4
    assert settings.database_url == "sqlite:///somewhere.sqlite3"
    assert not settings.production


def test_empty_database_url_means_the_default() -> None:
    assert Settings.from_env({"REFSTACK_LITE_DATABASE_URL": ""}).database_url is None


def test_development_takes_any_secret() -> None:
    assert Settings.from_env({"REFSTACK_LITE_SECRET_KEY": "short"}).secret_key == "short"


def test_settings_are_immutable() -> None:
    settings = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.production = True  # type: ignore[misc]


@pytest.mark.parametrize(
    "secret",
    [None, "", DEVELOPMENT_SECRET, "x" * (MIN_SECRET_LENGTH - 1), "too-short-secret"],
    ids=["missing", "empty", "development-default", "one-too-short", "short"],
)
def test_production_refuses_an_unusable_secret(secret: str | None) -> None:
    env = {"REFSTACK_LITE_ENV": "production"}
    if secret is not None:
        env["REFSTACK_LITE_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="REFSTACK_LITE_SECRET_KEY") as caught:
        Settings.from_env(env)
    if secret:
        assert secret not in str(caught.value), "the error message must not repeat the secret"


def test_production_takes_a_secret_of_the_minimum_length() -> None:
    secret = "s" * MIN_SECRET_LENGTH
    settings = Settings.from_env({**PRODUCTION, "REFSTACK_LITE_SECRET_KEY": secret})
    assert settings.production
    assert settings.secret_key == secret


@pytest.mark.parametrize("mode", ["prod", "Production", "PRODUCTION", "staging", "test", " production"])
def test_unknown_env_is_refused(mode: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_ENV") as caught:
        Settings.from_env({"REFSTACK_LITE_ENV": mode, "REFSTACK_LITE_SECRET_KEY": GOOD_SECRET})
    assert repr(mode) in str(caught.value)


@pytest.mark.parametrize("window", ["0", "-1", "two", "1.5", " 2", "2 ", "+2", "0x2", "²", "٣"])
def test_bad_accepted_guidelines_is_refused(window: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_ACCEPTED_GUIDELINES"):
        Settings.from_env({"REFSTACK_LITE_ACCEPTED_GUIDELINES": window})


@pytest.mark.parametrize(("window", "expected"), [("1", 1), ("2", 2), ("12", 12), ("007", 7)])
def test_accepted_guidelines_is_a_whole_number(window: str, expected: int) -> None:
    assert Settings.from_env({"REFSTACK_LITE_ACCEPTED_GUIDELINES": window}).accepted_guidelines == expected


def test_config_error_is_a_refstack_error() -> None:
    assert issubclass(ConfigError, RefstackError)


def test_create_app_in_production_with_a_good_secret(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "prod.sqlite3")
    app = create_app({**PRODUCTION, "REFSTACK_LITE_DATABASE_URL": url})
    try:
        assert app.config["SECRET_KEY"] == GOOD_SECRET
        settings: Settings = app.config["SETTINGS"]
        assert settings.production
        assert not app.debug
        assert not app.testing
        assert engine_of(app).url == make_url(url)
    finally:
        engine_of(app).dispose()


def test_create_app_refuses_production_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_SECRET_KEY"):
        create_app(
            {"REFSTACK_LITE_ENV": "production", "REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db")}
        )
    assert not (tmp_path / "x.db").exists()


def test_default_database_is_a_sqlite_file_in_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    app = create_app({})
    try:
        assert app.instance_path == str(instance)
        assert instance.is_dir(), "the instance folder is created so SQLite can make its file there"
        url = engine_of(app).url
        assert url.get_backend_name() == "sqlite"
        assert url.database == str(instance / "refstack-lite.sqlite3")
        assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET
    finally:
        engine_of(app).dispose()


def test_production_refuses_to_start_without_a_public_url(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "REFSTACK_LITE_PUBLIC_URL"}
    for missing in (env, {**env, "REFSTACK_LITE_PUBLIC_URL": ""}):
        with pytest.raises(ConfigError, match="production mode needs REFSTACK_LITE_PUBLIC_URL") as caught:
            create_app({**missing, "REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db")})
        assert "Host header" in str(caught.value)
    assert not (tmp_path / "x.db").exists()


def test_development_needs_no_public_url() -> None:
    assert Settings.from_env({}).public_url is None


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://refstack.example.org", "https://refstack.example.org"),
        ("https://RefStack.Example.ORG/", "https://refstack.example.org"),
        ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_a_public_url_is_kept_as_its_origin(raw: str, origin: str) -> None:
    assert Settings.from_env({**PRODUCTION, "REFSTACK_LITE_PUBLIC_URL": raw}).public_url == origin


@pytest.mark.parametrize(
    "raw",
    [
        "refstack.example.org",
        "ftp://refstack.example.org",
        "https://",
        "https:///v1",
        "https://refstack.example.org/refstack",
        "https://refstack.example.org/?a=1",
        "https://refstack.example.org/#top",
        "https://admin:pw@refstack.example.org",
        "https://refstack.example.org:0",
        "https://refstack.example.org:65536",
        "https://refstack.example.org:https",
        "https://refstack example.org",
        "https://bücher.example",
        " https://refstack.example.org",
        "https://refstack.example.org\n",
    ],
)
def test_an_unusable_public_url_is_refused_clearly(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**PRODUCTION, "REFSTACK_LITE_PUBLIC_URL": raw})
    message = str(caught.value)
    assert message.startswith("REFSTACK_LITE_PUBLIC_URL must be an http or https origin such as https://")
    assert "no path, query, fragment or user name" in message
    assert repr(raw) in message


def test_trusted_proxies_default_to_none() -> None:
    assert Settings.from_env({}).trusted_proxies == 0


@pytest.mark.parametrize(("raw", "hops"), [("0", 0), ("1", 1), ("2", 2), ("10", 10)])
def test_trusted_proxies_count_hops(raw: str, hops: int) -> None:
    assert Settings.from_env({"REFSTACK_LITE_TRUSTED_PROXIES": raw}).trusted_proxies == hops


@pytest.mark.parametrize("raw", ["", "-1", "11", "yes", "true", "1.0", " 1", "٣"])
def test_bad_trusted_proxies_are_refused_clearly(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REFSTACK_LITE_TRUSTED_PROXIES": raw})
    assert str(caught.value) == (
        "REFSTACK_LITE_TRUSTED_PROXIES must be the number of reverse proxies in front of the server that set "
        f"X-Forwarded-* (a whole number from 0 to 10), not {raw!r}"
    )
