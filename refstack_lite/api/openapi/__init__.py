"""The OpenAPI 3.1 description of the /v2 API, served at ``GET /v2/openapi.json``.

It is generated with apispec from the app's own routes: every /v2 route of ``app.url_map`` must
have a view declared with ``operations.operation``, or building the document fails naming the
routes left out. Component schemas come from ``schemas``; request bodies are ``bodies.SCHEMAS``
themselves (the very dicts ``json_body`` validates with), so the document and the validation
cannot drift; tests/functional/test_openapi.py checks live answers against the document."""

from __future__ import annotations

import re

from apispec import APISpec
from flask import Blueprint, Flask, Response, current_app, jsonify
from werkzeug.routing import Rule

from refstack_lite import __version__
from refstack_lite.api.bodies import SCHEMAS
from refstack_lite.api.openapi.builders import ERRORS, JSON, PROBLEM_JSON, page_of, ref, string
from refstack_lite.api.openapi.directory_schemas import directory_schemas
from refstack_lite.api.openapi.log_schemas import log_schemas
from refstack_lite.api.openapi.operations import NONE, declaration, ok, operation, query_param
from refstack_lite.api.openapi.schemas import (
    certification_schemas,
    guideline_schemas,
    identity_schemas,
    submission_schemas,
)
from refstack_lite.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

bp = Blueprint("v2_openapi", __name__, url_prefix="/v2")

# ``<name>`` or ``<converter:name>`` in a Flask rule; OpenAPI writes ``{name}``.
_VARIABLE = re.compile(r"<(?:([^<>:]+):)?([^<>]+)>")
_UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask itself


class UndocumentedRoutes(LookupError):
    """A /v2 route whose view declares no operation: the document would be incomplete."""


def document(app: Flask) -> JSON:
    """``app``'s document, generated once."""
    built: JSON | None = app.extensions.get("openapi")
    if built is None:
        built = app.extensions["openapi"] = _generate(app)
    return built


def _generate(app: Flask) -> JSON:
    spec = APISpec(
        title="refstack-lite API",
        version=__version__,
        openapi_version="3.1.0",
        info={
            "description": (
                "The native v2 API of refstack-lite. Authenticate with `Authorization: Bearer <token>`. "
                "Errors are RFC 9457 problem+json, typed urn:refstack-lite:problem:<slug>. Lists are paginated "
                f"with ?limit= (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}) and an opaque ?cursor=."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
    )
    _register_components(spec)
    tags: list[str] = []
    lists: set[str] = set()
    undocumented: list[str] = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule == "/v2" or rule.rule.startswith("/v2/")):
            continue
        declared = declaration(app.view_functions[rule.endpoint])
        methods = sorted((rule.methods or set()) - _UNDOCUMENTED_METHODS)
        if declared is None:
            undocumented += [f"{method} {rule.rule}" for method in methods]
            continue
        if len(methods) != 1:
            raise ValueError(f"{rule.endpoint} serves {methods}: declare one view per method")
        path, names = _openapi_path(rule)
        spec.path(path=path, operations={methods[0].lower(): declared.render(names)})
        if declared.tag not in tags:
            tags.append(declared.tag)
        if declared.lists is not None:
            lists.add(declared.lists)
    if undocumented:
        raise UndocumentedRoutes(
            f"routes without an OpenAPI declaration (openapi.operations.operation): {', '.join(undocumented)}"
        )
    for tag in tags:
        spec.tag({"name": tag})
    for item in sorted(lists):
        spec.components.schema(f"{item}Page", page_of(item))
    built = spec.to_dict()
    ids = [op["operationId"] for item in built["paths"].values() for op in item.values()]
    if len(ids) != len(set(ids)):
        raise ValueError(f"operation ids are not unique: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    # apispec registers a copy of each component; publish the request bodies as the very objects
    # json_body validates with, so that nothing can change one without the other.
    built["components"]["schemas"].update(SCHEMAS)
    return built


def _openapi_path(rule: Rule) -> tuple[str, list[str]]:
    """The OpenAPI path template of ``rule`` and the names of its variables, in order."""
    variables = _VARIABLE.findall(rule.rule)
    converters = {converter for converter, _ in variables} - {"", "string"}
    if converters:
        raise ValueError(f"{rule.rule}: path parameters are documented as strings, not {sorted(converters)}")
    return _VARIABLE.sub(r"{\2}", rule.rule), [name for _, name in variables]


def _register_components(spec: APISpec) -> None:
    for name, schema in {
        **SCHEMAS,
        **guideline_schemas(),
        **identity_schemas(),
        **submission_schemas(),
        **certification_schemas(),
        **directory_schemas(),
        **log_schemas(),
    }.items():
        spec.components.schema(name, schema)
    spec.components.header(
        "Link", {"description": 'the next page as <url>; rel="next", when there is one', "schema": string()}
    )
    spec.components.header("WWW-Authenticate", {"description": 'Bearer realm="refstack-lite"', "schema": string()})
    for status, (name, description) in ERRORS.items():
        response: JSON = {"description": description, "content": {PROBLEM_JSON: {"schema": ref("Problem")}}}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": "WWW-Authenticate"}
        spec.components.response(name, response)
    limit = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
    spec.components.parameter("limit", "query", query_param("limit", "page size", limit))
    cursor = query_param("cursor", "the opaque cursor from the previous page's next link")
    spec.components.parameter("cursor", "query", cursor)
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "an API token (rlt_...) from POST /v2/tokens or the refstack-lite CLI",
        },
    )


@bp.get("/openapi.json")
@operation("getOpenApi", "meta", "This document", ok("the OpenAPI 3.1 document", {"type": "object"}), auth=NONE)
def openapi() -> Response:
    return jsonify(document(current_app))
