"""Request bodies: their JSON Schemas (also published in the OpenAPI document) and one reader
that refuses a wrong content type, an oversized body, malformed JSON or any schema violation,
listing every problem at once."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from refstack_lite_client.schemas import Problem

from refstack_lite.api.uploads import read_body
from refstack_lite.errors import InvalidInput, TooLarge, UnsupportedMediaType
from refstack_lite.text import MAX_TEXT, UNUSABLE_TEXT

MAX_BODY = 64 * 1024

_text = {"type": "string", "maxLength": MAX_TEXT}
_reason = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
_name = {"type": "string", "minLength": 1, "maxLength": 200}
_time = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "NewUser": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "email": {"type": "string", "minLength": 3, "maxLength": 254},
            "role": {"enum": ["admin", "reviewer", None]},
        },
        "required": ["name", "email"],
        "additionalProperties": False,
    },
    "RoleChange": {
        "type": "object",
        "properties": {"role": {"enum": ["admin", "reviewer", None]}},
        "required": ["role"],
        "additionalProperties": False,
    },
    "NewToken": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "minLength": 1, "maxLength": 100},
            "expires_at": _time,
        },
        "required": ["label"],
        "additionalProperties": False,
    },
    "NewVendor": {
        "type": "object",
        "properties": {"name": _name, "description": _text},
        "required": ["name"],
        "additionalProperties": False,
    },
    "VendorChange": {
        "type": "object",
        "properties": {"name": _name, "description": _text},
        "minProperties": 1,
        "additionalProperties": False,
    },
    "NewCertificationRequest": {
        "type": "object",
        "properties": {
            "product_version_id": {"type": "string", "minLength": 1, "maxLength": 36},
            "program": {"type": "string", "minLength": 1, "maxLength": 100},
            "submission_id": {"type": "string", "minLength": 1, "maxLength": 36},
            "guideline": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        "required": ["product_version_id", "program", "submission_id"],
        "additionalProperties": False,
    },
    "RequestDenial": {
        "type": "object",
        "properties": {"reason": _reason},
        "required": ["reason"],
        "additionalProperties": False,
    },
    "CertificationRevocation": {
        "type": "object",
        "properties": {"reason": _reason},
        "required": ["reason"],
        "additionalProperties": False,
    },
    "Approval": {
        "type": "object",
        "properties": {"reason": _reason},
        "additionalProperties": False,
    },
    "Denial": {
        "type": "object",
        "properties": {"reason": _reason},
        "required": ["reason"],
        "additionalProperties": False,
    },
    "NewMember": {
        "type": "object",
        "properties": {
            "user": {"type": "string", "minLength": 1, "maxLength": 64},
            "role": {"enum": ["owner", "member"]},
        },
        "required": ["user"],
        "additionalProperties": False,
    },
    "MemberChange": {
        "type": "object",
        "properties": {"role": {"enum": ["owner", "member"]}},
        "required": ["role"],
        "additionalProperties": False,
    },
    "NewProduct": {
        "type": "object",
        "properties": {
            "name": _name,
            "description": _text,
            "product_type": {"enum": ["distribution", "public_cloud", "hosted_private_cloud"]},
            "public": {"type": "boolean"},
        },
        "required": ["name", "product_type"],
        "additionalProperties": False,
    },
    "ProductChange": {
        "type": "object",
        "properties": {
            "name": _name,
            "description": _text,
            "product_type": {"enum": ["distribution", "public_cloud", "hosted_private_cloud"]},
            "public": {"type": "boolean"},
        },
        "minProperties": 1,
        "additionalProperties": False,
    },
    "NewVersion": {
        "type": "object",
        "properties": {
            "version": {"type": "string", "minLength": 1, "maxLength": 100},
            "cpid": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
        },
        "required": ["version"],
        "additionalProperties": False,
    },
    "VersionChange": {
        "type": "object",
        "properties": {
            "version": {"type": "string", "minLength": 1, "maxLength": 100},
            "cpid": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
        },
        "minProperties": 1,
        "additionalProperties": False,
    },
    "KeyChallengeRequest": {
        "type": "object",
        "properties": {"public_key": {"type": "string", "minLength": 1, "maxLength": 16_384}},
        "required": ["public_key"],
        "additionalProperties": False,
    },
    "NewKey": {
        "type": "object",
        "properties": {
            "public_key": {"type": "string", "minLength": 1, "maxLength": 16_384},
            "challenge_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "signature": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4096,
                "description": "base64 of the signature over the challenge message",
            },
        },
        "required": ["public_key", "challenge_id", "signature"],
        "additionalProperties": False,
    },
    "NewChallenge": {
        "type": "object",
        "properties": {"vendor_id": {"type": "string", "minLength": 1, "maxLength": 64}},
        "additionalProperties": False,
    },
    "Revocation": {
        "type": "object",
        "properties": {"reason": _reason, "compromised_since": _time},
        "required": ["reason"],
        "additionalProperties": False,
    },
}

# "format" stays an annotation (JSON Schema 2020-12's default): times are checked by parse_time,
# the same way whichever optional format packages happen to be installed.
_validators = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}


def json_body(schema: str) -> dict[str, Any]:
    """The request's JSON object, valid against ``SCHEMAS[schema]``."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise TooLarge(f"the body may be at most {MAX_BODY} bytes")
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    raw = read_body(MAX_BODY)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise InvalidInput(f"the body is not valid JSON: {err}", slug="malformed-json") from err
    errors = sorted(_validators[schema].iter_errors(body), key=lambda e: list(e.absolute_path))
    problems = [Problem(e.json_path, e.message) for e in errors] + list(_unusable_text(body, "$"))
    if problems:
        raise InvalidInput(f"the body does not match the {schema} schema", problems, slug="schema-violation")
    assert isinstance(body, dict)
    return body


def _unusable_text(value: Any, path: str) -> Iterator[Problem]:
    if isinstance(value, str):
        if UNUSABLE_TEXT.search(value):
            yield Problem(path, "contains a control character or an unpaired surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unusable_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unusable_text(item, f"{path}[{index}]")


def parse_time(value: str, path: str) -> datetime:
    """An RFC 3339 time with its offset; a time without one is ambiguous and refused."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        raise InvalidInput(
            f"{value!r} is not a time", [Problem(path, "expected RFC 3339, e.g. 2026-11-25T10:00:00Z")]
        ) from err
    if parsed.tzinfo is None:
        raise InvalidInput(f"{value!r} has no UTC offset", [Problem(path, "add Z or an offset such as +01:00")])
    try:
        return parsed.astimezone(UTC)
    except OverflowError as err:
        raise InvalidInput(
            f"{value!r} is out of range", [Problem(path, "a time between years 1 and 9999 in UTC")]
        ) from err


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def digest_base64(digest: str) -> str:
    """A ``sha256:<hex>`` digest as the base64 of its bytes, as HTTP's digest headers carry it."""
    return base64.b64encode(bytes.fromhex(digest.removeprefix("sha256:"))).decode("ascii")


def refuse_unusable_text() -> None:
    """Before every request: a path or query value with a NUL or a lone surrogate is a 400, not a
    database error (PostgreSQL refuses NUL in text)."""
    values = [("$path", request.path), *((f"$.{k}", v) for k, v in request.args.items(multi=True))]
    problems = [
        Problem(where, "contains a control character or an unpaired surrogate")
        for where, v in values
        if UNUSABLE_TEXT.search(v)
    ]
    if problems:
        raise InvalidInput("the request's path or query has unusable characters", problems)
