"""The OpenAPI 3.1 description of the /v2 API, served at ``GET /v2/openapi.json``.

Request bodies are ``bodies.SCHEMAS`` themselves (the very dicts ``json_body`` validates with),
so the document and the validation cannot drift; tests/functional/test_openapi.py checks that
every /v2 route is documented and that live answers match the documented schemas."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, Response, jsonify

from refstack_lite import __version__
from refstack_lite.api.bodies import SCHEMAS
from refstack_lite.api.openapi.builders import JSON, page_of, problem_responses, query_param, string
from refstack_lite.api.openapi.paths import (
    account_paths,
    audit_paths,
    guideline_paths,
    key_paths,
    meta_paths,
    product_paths,
    submission_paths,
    vendor_paths,
)
from refstack_lite.api.openapi.schemas import guideline_schemas, identity_schemas, submission_schemas
from refstack_lite.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

bp = Blueprint("v2_openapi", __name__, url_prefix="/v2")

PAGINATED = ("User", "Token", "Vendor", "Member", "Product", "Version", "Key", "AuditEvent", "Submission")


@cache
def document() -> JSON:
    """The whole document, built once. Its request body schemas are ``bodies.SCHEMAS`` themselves."""
    paths: JSON = {
        **guideline_paths(),
        **account_paths(),
        **vendor_paths(),
        **product_paths(),
        **key_paths(),
        **submission_paths(),
        **audit_paths(),
        **meta_paths(),
    }
    schemas: JSON = {**SCHEMAS, **guideline_schemas(), **identity_schemas(), **submission_schemas()}
    schemas.update({f"{item}Page": page_of(item) for item in PAGINATED})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "refstack-lite API",
            "version": __version__,
            "description": (
                "The native v2 API of refstack-lite. Authenticate with `Authorization: Bearer <token>`. "
                "Errors are RFC 9457 problem+json, typed urn:refstack-lite:problem:<slug>. Lists are paginated "
                f"with ?limit= (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}) and an opaque ?cursor=."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": name}
            for name in (
                "guidelines",
                "accounts",
                "vendors",
                "members",
                "products",
                "keys",
                "submissions",
                "audit",
                "meta",
            )
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": problem_responses(),
            "parameters": {
                "limit": query_param(
                    "limit",
                    "page size",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                ),
                "cursor": query_param("cursor", "the opaque cursor from the previous page's next link"),
            },
            "headers": {
                "Link": {
                    "description": 'the next page as <url>; rel="next", when there is one',
                    "schema": string(),
                },
                "WWW-Authenticate": {"description": 'Bearer realm="refstack-lite"', "schema": string()},
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API token (rlt_...) from POST /v2/tokens or the refstack-lite CLI",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
