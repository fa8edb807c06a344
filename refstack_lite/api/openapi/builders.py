"""Small builders for the OpenAPI document: schema shorthands, responses, parameters, operations."""

from __future__ import annotations

from typing import Any

from refstack_lite.api.bodies import MAX_BODY, SCHEMAS

JSON = dict[str, Any]

PROBLEM_JSON = "application/problem+json"

# Who may call an operation: no authentication at all, an optional token (public reads that
# show more to members and the foundation) or a required one.
NONE: list[JSON] = []
OPTIONAL: list[JSON] = [{}, {"bearer": []}]
REQUIRED: list[JSON] = [{"bearer": []}]


# --- schema helpers ---------------------------------------------------------------------------


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


# --- response helpers -------------------------------------------------------------------------


def json_response(description: str, schema: JSON, media_type: str = "application/json") -> JSON:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def paginated(description: str, item: str) -> JSON:
    response = json_response(description, ref(f"{item}Page"))
    response["headers"] = {"Link": {"$ref": "#/components/headers/Link"}}
    return response


def no_content(description: str) -> JSON:
    return {"description": description}


# Each error status: (component name, description). Every error body is a Problem.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Invalid input (slugs invalid-input, malformed-json, schema-violation, ...): `problems` lists every problem.",
    ),
    401: (
        "Unauthorized",
        "No token where one is needed (unauthenticated), or a bad, unknown, expired or revoked one (invalid-token), "
        "which is refused even where a token is optional.",
    ),
    403: ("Forbidden", "The caller may not do this (forbidden, official-name)."),
    404: ("NotFound", "Not found, or not visible to the caller (its existence is not revealed)."),
    409: ("Conflict", "The request clashes with the current state; the slug names how."),
    413: ("TooLarge", f"The body is larger than {MAX_BODY} bytes."),
    415: ("UnsupportedMediaType", "The body is not sent as application/json."),
}


def problem_response(status: int) -> JSON:
    return {"$ref": f"#/components/responses/{ERRORS[status][0]}"}


def problem_responses() -> JSON:
    responses: JSON = {}
    for status, (name, description) in ERRORS.items():
        response = json_response(description, ref("Problem"), PROBLEM_JSON)
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}}
        responses[name] = response
    return responses


# --- parameter helpers ------------------------------------------------------------------------


def path_param(name: str, description: str) -> JSON:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": string()}


def query_param(name: str, description: str, schema: JSON | None = None, *, required: bool = False) -> JSON:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema or string()}


PAGE_PARAMS = [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}]

VENDOR_ID = path_param("vendor_id", "the vendor's id")
PRODUCT_ID = path_param("product_id", "the product's id")
VERSION_ID = path_param("version_id", "the product version's id")
KEY_ID = path_param("key_id", "the signing key's id")
TOKEN_ID = path_param("token_id", "the API token's id")
SUBMISSION_ID = path_param("submission_id", "the submission's id")
USER_NAME = path_param("name", "the user's name")
GUIDELINE_NAME = path_param("name", "the guideline's name, e.g. 2020.06 or dns.2020.06")
TARGET = query_param("target", "the guideline target (component), default platform", string(default="platform"))


# --- operations -------------------------------------------------------------------------------


def operation(
    operation_id: str,
    tag: str,
    summary: str,
    responses: JSON,
    *,
    security: list[JSON],
    errors: tuple[int, ...] = (),
    body: str | None = None,
    parameters: list[JSON] | None = None,
    description: str | None = None,
) -> JSON:
    """One operation. ``body`` names the request body's schema in ``bodies.SCHEMAS``; a body adds
    the 400/413/415 answers, and authentication (optional or required) the 401."""
    statuses = set(errors)
    if body is not None:
        statuses |= {400, 413, 415}
    if security:
        statuses.add(401)
    op: JSON = {"operationId": operation_id, "tags": [tag], "summary": summary}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        if body not in SCHEMAS:
            raise KeyError(f"no request body schema {body!r} in bodies.SCHEMAS")
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    op["responses"] = {**responses, **{str(s): problem_response(s) for s in sorted(statuses)}}
    op["security"] = security
    return op
