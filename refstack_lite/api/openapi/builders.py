"""The vocabulary the OpenAPI document is written in: schema shorthands and the problem answers."""

from __future__ import annotations

from typing import Any

from refstack_lite.api.bodies import MAX_BODY

JSON = dict[str, Any]

PROBLEM_JSON = "application/problem+json"


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def string(**extra: Any) -> JSON:
    return {"type": "string", **extra}


def nullable(schema: JSON) -> JSON:
    """``schema`` or null (``schema`` must name a single ``type``)."""
    return {**schema, "type": [schema["type"], "null"]}


TIME = string(format="date-time")
TIME_OR_NULL = nullable(TIME)


def obj(properties: JSON, *, optional: tuple[str, ...] = (), extensible: bool = False) -> JSON:
    """An object whose ``properties`` are all required except ``optional``; closed unless ``extensible``."""
    schema: JSON = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if not extensible:
        schema["additionalProperties"] = False
    return schema


def page_of(item: str) -> JSON:
    """The ``{"items", "next"}`` wrapper of one page of a paginated list."""
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "next": {
                "type": ["string", "null"],
                "format": "uri-reference",
                "description": "the next page (same filters, a new cursor), or null on the last page",
            },
        }
    )


# Each error status: (response component name, description). Every error body is a Problem.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Invalid input (slugs invalid-input, malformed-json, schema-violation, ...): `problems` lists every problem. "
        "Every operation answers invalid-input when a path or query value contains a control character such as NUL "
        "(the problem's path is `$path` or `$.<parameter>`).",
    ),
    401: (
        "Unauthorized",
        "No token where one is needed (unauthenticated), or a bad, unknown, expired or revoked one (invalid-token), "
        "which is refused even where a token is optional.",
    ),
    403: ("Forbidden", "The caller may not do this (forbidden, official-name)."),
    404: ("NotFound", "Not found, or not visible to the caller (its existence is not revealed)."),
    409: ("Conflict", "The request clashes with the current state; the slug names how."),
    413: (
        "TooLarge",
        f"The body is larger than the operation accepts: {MAX_BODY} bytes for a JSON body, "
        "REFSTACK_LITE_MAX_UPLOAD_MB for a bundle or evidence upload.",
    ),
    415: (
        "UnsupportedMediaType",
        "The body is not sent as a media type the operation accepts (application/json for a JSON body).",
    ),
}
