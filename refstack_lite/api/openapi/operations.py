"""The OpenAPI declaration of one /v2 operation, written once, on its view::

    @bp.get("/<vendor_id>")
    @operation("getVendor", "vendors", "One vendor", ok("the vendor", "Vendor"), auth=OPTIONAL)
    def get_vendor(vendor_id: str) -> Response: ...

A declaration says what only its author knows: the summary, the answers, who may call, the
errors the view raises itself, the request body (by its name in ``bodies.SCHEMAS``, the very
schema ``json_body`` validates with) and the query parameters. What follows from the route or
the declaration is added by ``Operation.render`` the same way everywhere: the path parameters,
the problem answers every such operation may give (``Operation.problems``), and ``limit``,
``cursor`` and the ``Link`` header on a paginated list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from refstack_lite.api.bodies import SCHEMAS
from refstack_lite.api.openapi.builders import ERRORS, JSON, string

# Who may call an operation: no authentication at all, an optional token (public reads that
# show more to members and the foundation) or a required one.
NONE: list[JSON] = []
OPTIONAL: list[JSON] = [{}, {"bearer": []}]
REQUIRED: list[JSON] = [{"bearer": []}]

# Path parameters that mean one thing wherever they appear; ``name`` differs by route, so an
# operation describes it (``path=GUIDELINE_NAME``).
PATH_PARAMETERS = {
    "vendor_id": "the vendor's id",
    "product_id": "the product's id",
    "version_id": "the product version's id",
    "key_id": "the signing key's id",
    "token_id": "the API token's id",
    "submission_id": "the submission's id",
    "program_id": "the program's id, e.g. powered-platform or dns",
    "request_id": "the certification request's id",
    "certification_id": "the certification's id",
}
GUIDELINE_NAME = {"name": "the guideline's name, e.g. 2020.06 or dns.2020.06"}
USER_NAME = {"name": "the user's name"}


def query_param(name: str, description: str, schema: JSON | None = None, *, required: bool = False) -> JSON:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema or string()}


TARGET = query_param(
    "target",
    "the guideline target (component); without it, the guideline's only target, else platform when the"
    " guideline has it, else a 400 target-required problem listing valid_targets",
)


# --- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One successful answer. Schemas given by name become references to component schemas."""

    status: int
    response: JSON
    lists: str | None = None  # the item schema of a paginated list


def answer(
    description: str, content: Mapping[str, str | JSON], *, status: int = 200, headers: JSON | None = None
) -> Answer:
    response: JSON = {"description": description, "content": {media: {"schema": s} for media, s in content.items()}}
    if headers:
        response["headers"] = headers
    return Answer(status, response)


def ok(description: str, schema: str | JSON) -> Answer:
    return answer(description, {"application/json": schema})


def created(description: str, schema: str | JSON) -> Answer:
    return answer(description, {"application/json": schema}, status=201)


def no_content(description: str) -> Answer:
    return Answer(204, {"description": description})


def paginated(description: str, item: str) -> Answer:
    """One page of a paginated list of ``item`` (the ``{item}Page`` schema is generated)."""
    response = {**ok(description, f"{item}Page").response, "headers": {"Link": "Link"}}
    return Answer(200, response, lists=item)


@dataclass(frozen=True)
class RawBody:
    """A request body that is not a JSON document read by ``json_body`` (an envelope, a stream)."""

    media_type: str
    schema: JSON


# --- the declaration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    operation_id: str
    tag: str
    summary: str
    answers: tuple[Answer, ...]
    auth: list[JSON]
    errors: frozenset[int] = frozenset()
    body: str | RawBody | None = None
    query: tuple[JSON, ...] = ()
    path: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def lists(self) -> str | None:
        return next((a.lists for a in self.answers if a.lists is not None), None)

    def problems(self, *, names_something: bool) -> list[int]:
        """Every problem status the operation may answer: its own ``errors``, 400 everywhere (a path
        or query with unusable characters is refused before any view runs), 401 wherever a token is
        read, 404 where the path names something, 413 and 415 with a body."""
        statuses = {400, *self.errors}
        if self.auth:
            statuses.add(401)
        if names_something:
            statuses.add(404)
        if self.body is not None:
            statuses |= {413, 415}
        return sorted(statuses)

    def render(self, path_names: list[str]) -> JSON:
        """The OpenAPI operation served at a path with ``path_names`` as its parameters; references
        to components are by name, for apispec to resolve."""
        descriptions = {**PATH_PARAMETERS, **self.path}
        undescribed = [name for name in path_names if name not in descriptions]
        if undescribed:
            raise LookupError(f"{self.operation_id}: describe the path parameters {undescribed} (path=...)")
        parameters: list[JSON | str] = [
            {"name": name, "in": "path", "required": True, "description": descriptions[name], "schema": string()}
            for name in path_names
        ]
        parameters += self.query
        if self.lists is not None:
            parameters += ["limit", "cursor"]
        op: JSON = {"operationId": self.operation_id, "tags": [self.tag], "summary": self.summary}
        if self.description:
            op["description"] = self.description
        if parameters:
            op["parameters"] = parameters
        if isinstance(self.body, str):
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": self.body}}}
        elif self.body is not None:
            op["requestBody"] = {"required": True, "content": {self.body.media_type: {"schema": self.body.schema}}}
        responses: JSON = {str(a.status): a.response for a in self.answers}
        for status in self.problems(names_something=bool(path_names)):
            responses[str(status)] = ERRORS[status][0]
        op["responses"] = responses
        op["security"] = self.auth
        return op


View = TypeVar("View", bound=Callable[..., Any])

_ATTRIBUTE = "openapi_operation"


def operation(
    operation_id: str,
    tag: str,
    summary: str,
    *answers: Answer,
    auth: list[JSON],
    errors: tuple[int, ...] = (),
    body: str | RawBody | None = None,
    query: tuple[JSON, ...] = (),
    path: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Callable[[View], View]:
    """Declare the decorated view's operation. ``errors`` are the refusals the view itself makes
    beyond those the declaration implies (see the module's docstring)."""
    if isinstance(body, str) and body not in SCHEMAS:
        raise KeyError(f"{operation_id}: no request body schema {body!r} in bodies.SCHEMAS")
    unknown = set(errors) - ERRORS.keys()
    if unknown or not answers:
        raise ValueError(f"{operation_id}: no answer, or errors without a problem response: {sorted(unknown)}")
    declared = Operation(
        operation_id, tag, summary, answers, auth, frozenset(errors), body, query, path or {}, description
    )

    def declare(view: View) -> View:
        setattr(view, _ATTRIBUTE, declared)
        return view

    return declare


def declaration(view: Callable[..., Any]) -> Operation | None:
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None
