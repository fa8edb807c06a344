"""The OpenAPI document at /v2/openapi.json: valid OpenAPI 3.1, documenting exactly the /v2 routes,
its request bodies the very schemas ``json_body`` validates with, and live answers matching the
documented response schemas."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from refstack_lite_client import keys
from werkzeug.test import TestResponse

from refstack_lite import __version__
from refstack_lite import guideline_registry as registry
from refstack_lite.api import bodies, openapi
from refstack_lite.api.openapi import operations as decl
from refstack_lite.db import get_session
from refstack_lite.guideline_sources import Document
from tests.functional.api_helpers import PROBLEM, PROBLEM_TYPE
from tests.functional.certification_helpers import certification_world
from tests.functional.directory_helpers import build
from tests.functional.submission_helpers import ready_vendor
from tests.identity import bearer, make_user

METHODS = {"get", "put", "post", "delete", "patch"}
DOC_URI = "urn:refstack-lite:test:openapi.json"


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/v2/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path template) -> operation, for every documented operation."""
    return {
        (method, path): op for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS
    }


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path template) of every /v2 route, Flask's ``<x>`` written as OpenAPI's ``{x}``."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == "/v2" or rule.rule.startswith("/v2/"):
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(m.lower(), path) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return found


class Checker:
    """Validates live answers against the schemas the document gives for them."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(spec))

    def schema(self, path: str, method: str, status: int, media: str) -> dict[str, Any]:
        """A schema that ``$ref``s the documented one where it stands in the document, so the
        document's own ``#/components/...`` references resolve."""
        responses = self.spec["paths"][path][method]["responses"]
        assert str(status) in responses, f"{method.upper()} {path} does not document a {status}"
        pointer = ["paths", path, method, "responses", str(status)]
        response = responses[str(status)]
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#/").split("/")
            response = self.spec
            for part in pointer:
                response = response[part]
        assert media in response.get("content", {}), f"{method.upper()} {path} {status} documents no {media}"
        parts = [*pointer, "content", media, "schema"]
        escaped = [quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts]
        return {"$ref": f"{DOC_URI}#/{'/'.join(escaped)}"}

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())

    def __call__(self, response: TestResponse, method: str, path: str) -> Any:
        """Check ``response`` to ``method path`` (a template) against the document; its JSON body."""
        status = response.status_code
        if status == 204:
            assert "content" not in self.spec["paths"][path][method]["responses"]["204"]
            assert response.get_data() == b""
            return None
        body = response.get_json()
        self.validator(self.schema(path, method, status, response.mimetype or "")).validate(body)
        if status == 401:
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="refstack-lite"'
        return body


def assert_problem(check: Checker, response: TestResponse, method: str, path: str, status: int, slug: str) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = check(response, method, path)
    assert body["type"] == PROBLEM_TYPE + slug
    return body


# --- the document itself -----------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["version"] == __version__
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_every_route_is_documented_and_every_operation_is_a_route(app: Flask, spec: dict[str, Any]) -> None:
    documented = set(operations(spec))
    served = routes(app)
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented operations no route serves"
    assert len({op["operationId"] for op in operations(spec).values()}) == len(documented)


def test_operations_state_their_authentication(spec: dict[str, Any]) -> None:
    """Every operation says who may call it; wherever a token is read, a bad one is a 401."""
    for (method, path), op in operations(spec).items():
        assert op["security"] in ([], [{"bearer": []}], [{}, {"bearer": []}]), (method, path)
        assert ("401" in op["responses"]) == bool(op["security"]), (method, path)
        if "{" in path:
            assert "404" in op["responses"], (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415"} <= set(op["responses"]), (method, path)
    ops = operations(spec)
    assert ops["get", "/v2/vendors/{vendor_id}"]["security"] == [{}, {"bearer": []}]
    assert ops["post", "/v2/vendors"]["security"] == [{"bearer": []}]
    assert ops["get", "/v2/audit"]["security"] == [{"bearer": []}]


def test_paginated_lists_document_limit_and_cursor(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    lists = 0
    for (method, path), op in operations(spec).items():
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        name = ok.get("$ref", "").removeprefix("#/components/schemas/")
        if name.endswith("Page"):
            lists += 1
            assert set(schemas[name]["properties"]) == {"items", "next"}
            refs = [p.get("$ref") for p in op.get("parameters", [])]
            assert {"#/components/parameters/limit", "#/components/parameters/cursor"} <= set(refs), (method, path)
            assert "Link" in op["responses"]["200"]["headers"]
    assert lists == 10


def test_a_v2_route_without_a_declaration_fails_the_build() -> None:
    app = Flask(__name__)
    app.register_blueprint(openapi.bp)
    app.add_url_rule("/v2/widgets/<widget_id>", "widget", lambda widget_id: "", methods=["GET", "DELETE"])
    app.add_url_rule("/v1/widgets", "v1_widgets", lambda: "")  # only /v2 is described
    with pytest.raises(openapi.UndocumentedRoutes) as refused:
        openapi.document(app)
    assert str(refused.value).endswith(": DELETE /v2/widgets/<widget_id>, GET /v2/widgets/<widget_id>")


def test_a_declared_route_is_described_from_the_route_and_the_declaration() -> None:
    """The path parameters come from the rule; 400, 401, 404, 413 and 415 from what is declared."""
    app = Flask(__name__)
    declare = decl.operation(
        "dropWidget", "widgets", "Drop one", decl.no_content("dropped"), auth=decl.REQUIRED, body="Denial"
    )
    app.add_url_rule("/v2/vendors/<vendor_id>/widgets/<key_id>", "drop", declare(lambda vendor_id, key_id: ""))
    app.add_url_rule(
        "/v2/widgets",
        "widgets",
        decl.operation("listWidgets", "widgets", "All", decl.paginated("a page", "Key"), auth=decl.NONE)(lambda: ""),
    )
    spec = openapi.document(app)
    validate(spec, cls=OpenAPIV31SpecValidator)
    drop = spec["paths"]["/v2/vendors/{vendor_id}/widgets/{key_id}"]["get"]
    assert [(p["name"], p["in"], p["description"]) for p in drop["parameters"]] == [
        ("vendor_id", "path", "the vendor's id"),
        ("key_id", "path", "the signing key's id"),
    ]
    assert set(drop["responses"]) == {"204", "400", "401", "404", "413", "415"}
    assert drop["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Denial"}
    listing = spec["paths"]["/v2/widgets"]["get"]
    assert set(listing["responses"]) == {"200", "400"}
    assert [p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"]] == ["limit", "cursor"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KeyPage"
    }
    pages = {name for name in spec["components"]["schemas"] if name.endswith("Page")}
    assert pages == {"KeyPage"}


def test_mistaken_declarations_are_refused() -> None:
    with pytest.raises(KeyError, match="no request body schema 'Nope'"):
        decl.operation("x", "t", "s", decl.ok("d", "Vendor"), auth=decl.NONE, body="Nope")
    with pytest.raises(ValueError, match=r"problem response: \[418\]"):
        decl.operation("x", "t", "s", decl.ok("d", "Vendor"), auth=decl.NONE, errors=(418,))
    app = Flask(__name__)
    app.add_url_rule(
        "/v2/things/<thing>",
        "thing",
        decl.operation("getThing", "t", "s", decl.ok("d", "Vendor"), auth=decl.NONE)(lambda thing: ""),
    )
    with pytest.raises(LookupError, match=r"getThing: describe the path parameters \['thing'\]"):
        openapi.document(app)


# Operations whose body is not a JSON document checked by ``json_body``: a signed envelope (checked
# by the bundle verifier) and a raw subunit stream.
RAW_BODIES = {"createSubmission", "putSubmissionEvidence"}


def test_raw_bodies_are_documented_as_such(spec: dict[str, Any]) -> None:
    raw = {
        op["operationId"]: op["requestBody"]["content"]
        for op in operations(spec).values()
        if op["operationId"] in RAW_BODIES
    }
    assert set(raw) == RAW_BODIES
    assert set(raw["createSubmission"]) == {"application/json"}
    assert set(raw["putSubmissionEvidence"]) == {"application/octet-stream"}


def test_request_bodies_are_the_schemas_json_body_validates_with(app: Flask, spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    used = set()
    for (method, path), op in operations(spec).items():
        if op["operationId"] in RAW_BODIES:
            continue
        if "requestBody" in op:
            assert set(op["requestBody"]["content"]) == {"application/json"}, (method, path)
            name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].removeprefix(
                "#/components/schemas/"
            )
            assert schemas[name] == bodies.SCHEMAS[name], (method, path)
            used.add(name)
    assert used == set(bodies.SCHEMAS), "every body schema documents some operation"
    built = openapi.document(app)["components"]["schemas"]
    assert all(built[name] is schema for name, schema in bodies.SCHEMAS.items()), "reused, never copied"


def test_each_documented_body_is_the_one_the_view_validates(
    app: Flask, client: FlaskClient, spec: dict[str, Any]
) -> None:
    """Send every operation that documents a body something no schema accepts: the view must
    refuse it naming the documented schema (json_body's detail names the one it used)."""
    admin = bearer(make_user(app, "ada", "admin"))
    vendor = client.post("/v2/vendors", json={"name": "Acme"}, headers=admin).get_json()
    product = client.post(
        f"/v2/vendors/{vendor['id']}/products", json={"name": "Cloud", "product_type": "public_cloud"}, headers=admin
    ).get_json()
    values = {"vendor_id": vendor["id"], "product_id": product["id"], "name": "ada"}
    checked = 0
    for (method, path), op in operations(spec).items():
        if "requestBody" not in op or op["operationId"] in RAW_BODIES:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], "unknown"), path)
        response = client.open(url, method=method.upper(), json=[], headers=admin)
        assert response.status_code == 400, (method, path, response.get_data(as_text=True))
        body = response.get_json()
        assert body["type"] == "urn:refstack-lite:problem:schema-violation", (method, path)
        documented = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert body["detail"] == f"the body does not match the {documented} schema", (method, path)
        checked += 1
    assert checked == len(bodies.SCHEMAS)  # each schema reads the body of exactly one operation


# --- live answers against the documented schemas --------------------------------------------


@pytest.fixture
def check(spec: dict[str, Any]) -> Checker:
    return Checker(spec)


def test_the_checker_rejects_what_the_document_does_not_describe(check: Checker) -> None:
    """A sanity check of the test itself: references resolve and closed objects stay closed."""
    vendor = check.validator(check.schema("/v2/vendors/{vendor_id}", "get", 200, "application/json"))
    good = {"id": "v1", "name": "Acme", "description": "", "status": "official", "url": "/v2/vendors/v1"}
    vendor.validate(good)
    for bad in ({**good, "status": "famous"}, {**good, "extra": 1}, {k: v for k, v in good.items() if k != "url"}):
        with pytest.raises(ValidationError):
            vendor.validate(bad)
    problem = check.validator(check.schema("/v2/vendors/{vendor_id}", "get", 404, PROBLEM))
    with pytest.raises(ValidationError):
        problem.validate({"type": "about:blank", "title": "Not found", "status": 404, "detail": "x"})


def test_vendor_product_and_version_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    admin = bearer(make_user(app, "ada", "admin"))
    olga = bearer(make_user(app, "olga"))
    vendors = []
    for name in ("Acme", "Bolt", "Cirrus"):
        response = client.post("/v2/vendors", json={"name": name, "description": "clouds"}, headers=olga)
        assert response.status_code == 201
        vendors.append(check(response, "post", "/v2/vendors"))
    vid = vendors[0]["id"]
    assert (
        check(client.get(f"/v2/vendors/{vid}", headers=olga), "get", "/v2/vendors/{vendor_id}")["your_role"] == "owner"
    )
    check(client.post(f"/v2/vendors/{vid}/apply", headers=olga), "post", "/v2/vendors/{vendor_id}/apply")
    approved = check(
        client.post(f"/v2/vendors/{vid}/approve", headers=admin), "post", "/v2/vendors/{vendor_id}/approve"
    )
    assert approved["status"] == "official"
    public = check(client.get(f"/v2/vendors/{vid}"), "get", "/v2/vendors/{vendor_id}")
    assert "your_role" not in public

    first = client.get("/v2/vendors?limit=2", headers=olga)
    body = check(first, "get", "/v2/vendors")
    assert [v["name"] for v in body["items"]] == ["Acme", "Bolt"]
    assert body["next"]
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    last = check(client.get(body["next"], headers=olga), "get", "/v2/vendors")
    assert [v["name"] for v in last["items"]] == ["Cirrus"]
    assert last["next"] is None

    response = client.post(
        f"/v2/vendors/{vid}/products",
        json={"name": "Cloud", "product_type": "public_cloud", "public": True},
        headers=olga,
    )
    assert response.status_code == 201
    pid = check(response, "post", "/v2/vendors/{vendor_id}/products")["id"]
    response = client.post(f"/v2/products/{pid}/versions", json={"version": "2026.1", "cpid": "c-1"}, headers=olga)
    assert response.status_code == 201
    ver = check(response, "post", "/v2/products/{product_id}/versions")["id"]
    versions = "/v2/products/{product_id}/versions/{version_id}"
    assert "cpid" not in check(client.get(f"/v2/products/{pid}/versions/{ver}"), "get", versions)
    assert check(client.get(f"/v2/products/{pid}/versions/{ver}", headers=olga), "get", versions)["cpid"] == "c-1"
    check(client.patch(f"/v2/products/{pid}/versions/{ver}", json={"cpid": None}, headers=olga), "patch", versions)
    check(client.get(f"/v2/products/{pid}/versions"), "get", "/v2/products/{product_id}/versions")
    check(client.get(f"/v2/products/{pid}"), "get", "/v2/products/{product_id}")
    check(
        client.patch(f"/v2/products/{pid}", json={"public": False}, headers=olga), "patch", "/v2/products/{product_id}"
    )
    check(client.get(f"/v2/products?vendor={vid}", headers=admin), "get", "/v2/products")
    check(client.get(f"/v2/vendors/{vid}/products", headers=olga), "get", "/v2/vendors/{vendor_id}/products")
    check(client.delete(f"/v2/products/{pid}/versions/{ver}", headers=olga), "delete", versions)
    check(client.delete(f"/v2/products/{pid}", headers=olga), "delete", "/v2/products/{product_id}")


def test_account_member_key_and_audit_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    admin = bearer(make_user(app, "ada", "admin"))
    olga = bearer(make_user(app, "olga"))
    response = client.post("/v2/users", json={"name": "mia", "email": "mia@example.org"}, headers=admin)
    assert response.status_code == 201
    mia = bearer(check(response, "post", "/v2/users")["token"]["token"])
    check(client.get("/v2/users", headers=admin), "get", "/v2/users")
    check(client.put("/v2/users/mia/role", json={"role": "reviewer"}, headers=admin), "put", "/v2/users/{name}/role")
    response = client.post("/v2/tokens", json={"label": "ci", "expires_at": "2099-01-01T00:00:00Z"}, headers=mia)
    assert response.status_code == 201
    token = check(response, "post", "/v2/tokens")
    check(client.get("/v2/tokens", headers=mia), "get", "/v2/tokens")
    assert client.delete(f"/v2/tokens/{token['id']}", headers=mia).status_code == 204
    listed = check(client.get("/v2/tokens", headers=admin), "get", "/v2/tokens")
    assert all(t["revoked_at"] is None for t in listed["items"])  # admin's own tokens, not mia's

    vid = client.post("/v2/vendors", json={"name": "Acme"}, headers=olga).get_json()["id"]
    members = "/v2/vendors/{vendor_id}/members"
    response = client.post(f"/v2/vendors/{vid}/members", json={"user": "mia"}, headers=olga)
    assert response.status_code == 201
    assert check(response, "post", members)["status"] == "invited"
    me = check(client.get("/v2/users/me", headers=mia), "get", "/v2/users/me")
    assert me["vendors"][0]["accepted"] is False
    invitation = client.post(f"/v2/vendors/{vid}/invitation", headers=mia)
    assert check(invitation, "post", "/v2/vendors/{vendor_id}/invitation")["status"] == "member"
    check(client.get(f"/v2/vendors/{vid}/members", headers=olga), "get", members)
    member = "/v2/vendors/{vendor_id}/members/{name}"
    check(client.patch(f"/v2/vendors/{vid}/members/mia", json={"role": "owner"}, headers=olga), "patch", member)
    check(client.delete(f"/v2/vendors/{vid}/members/mia", headers=mia), "delete", member)
    private = keys.generate_private_key()
    public = keys.public_key_of(private).openssh
    response = client.post(f"/v2/vendors/{vid}/keys/challenges", json={"public_key": public}, headers=olga)
    assert response.status_code == 201
    challenge = check(response, "post", "/v2/vendors/{vendor_id}/keys/challenges")
    signature = base64.b64encode(keys.sign(private, base64.b64decode(challenge["message"]))).decode()
    response = client.post(
        f"/v2/vendors/{vid}/keys",
        json={"public_key": public, "challenge_id": challenge["challenge_id"], "signature": signature},
        headers=olga,
    )
    assert response.status_code == 201
    kid = check(response, "post", "/v2/vendors/{vendor_id}/keys")["id"]
    key = "/v2/vendors/{vendor_id}/keys/{key_id}"
    check(client.get(f"/v2/vendors/{vid}/keys", headers=olga), "get", "/v2/vendors/{vendor_id}/keys")
    check(client.get(f"/v2/vendors/{vid}/keys/{kid}", headers=admin), "get", key)
    check(client.post(f"/v2/vendors/{vid}/keys/{kid}/retire", headers=olga), "post", f"{key}/retire")
    revocation = {"reason": "laptop lost", "compromised_since": "2026-01-01T00:00:00+01:00"}
    revoked = check(
        client.post(f"/v2/vendors/{vid}/keys/{kid}/revoke", json=revocation, headers=olga), "post", f"{key}/revoke"
    )
    assert revoked["status"] == "revoked"
    check(client.post(f"/v2/vendors/{vid}/apply", headers=olga), "post", "/v2/vendors/{vendor_id}/apply")
    deny = client.post(f"/v2/vendors/{vid}/deny", json={"reason": "who are you?"}, headers=admin)
    assert check(deny, "post", "/v2/vendors/{vendor_id}/deny")["denial_reason"] == "who are you?"

    events = check(client.get("/v2/audit?limit=3&action=vendor.", headers=admin), "get", "/v2/audit")
    assert [e["action"] for e in events["items"]] == ["vendor.deny", "vendor.apply", "vendor.create"]
    check(client.get("/v2/audit", headers=admin), "get", "/v2/audit")
    assert_problem(
        check, client.delete(f"/v2/vendors/{vid}", headers=olga), "delete", "/v2/vendors/{vendor_id}", 409, "in-use"
    )


def test_the_audit_export_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    """Each line of the JSON lines export is a documented AuditEvent; a bad time a documented 400."""
    admin = bearer(make_user(app, "ada", "admin"))
    make_user(app, "olga")
    response = client.get("/v2/audit/export", headers=admin)
    assert response.status_code == 200
    check.schema("/v2/audit/export", "get", 200, response.mimetype)  # the media type is the documented one
    event = check.validator({"$ref": f"{DOC_URI}#/components/schemas/AuditEvent"})
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) >= 2
    for line in lines:
        event.validate(json.loads(line))
    assert_problem(
        check, client.get("/v2/audit/export?until=soon", headers=admin), "get", "/v2/audit/export", 400, "invalid-input"
    )


def test_problem_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    olga = bearer(make_user(app, "olga"))
    vendor = "/v2/vendors/{vendor_id}"
    body = assert_problem(check, client.get("/v2/vendors/nope"), "get", vendor, 404, "not-found")
    assert "problems" not in body
    body = assert_problem(
        check,
        client.post("/v2/vendors", json={"name": "", "x": 1}, headers=olga),
        "post",
        "/v2/vendors",
        400,
        "schema-violation",
    )
    assert len(body["problems"]) == 2
    assert_problem(check, client.get("/v2/vendors?limit=0"), "get", "/v2/vendors", 400, "invalid-input")
    assert_problem(
        check, client.get("/v2/vendors", headers=bearer("rlt_nope")), "get", "/v2/vendors", 401, "invalid-token"
    )
    assert_problem(check, client.post("/v2/vendors", json={"name": "A"}), "post", "/v2/vendors", 401, "unauthenticated")
    assert_problem(check, client.get("/v2/audit", headers=olga), "get", "/v2/audit", 403, "forbidden")
    client.post("/v2/vendors", json={"name": "Acme"}, headers=olga)
    response = client.post("/v2/vendors", json={"name": "acme"}, headers=olga)
    assert_problem(check, response, "post", "/v2/vendors", 409, "vendor-exists")
    response = client.post("/v2/vendors", data="name=Acme", headers=olga)
    assert_problem(check, response, "post", "/v2/vendors", 415, "unsupported-media-type")
    response = client.post(
        "/v2/vendors", data=b"{" + b" " * bodies.MAX_BODY + b"}", headers=olga, content_type="application/json"
    )
    assert_problem(check, response, "post", "/v2/vendors", 413, "too-large")


def document_of(path: Path) -> Document:
    return Document(path.name, str(path), path.read_bytes())


def test_guideline_answers(app: Flask, client: FlaskClient, check: Checker, demo_dir: Path) -> None:
    with app.app_context():
        session = get_session()
        registry.import_documents(session, [document_of(p) for p in sorted(demo_dir.glob("*.json"))], datetime.now(UTC))
        session.commit()
    listed = check(client.get("/v2/guidelines"), "get", "/v2/guidelines")
    names = [g["id"] for g in listed["items"]]
    assert names
    one = "/v2/guidelines/{name}"
    check(client.get(f"/v2/guidelines/{names[0]}"), "get", one)
    tests = client.get(f"/v2/guidelines/{names[-1]}/tests?target=widgets&status=required,advisory")
    assert check(tests, "get", "/v2/guidelines/{name}/tests")["count"] > 0
    diff = client.get(f"/v2/guidelines/diff?from={names[0]}&to={names[-1]}&target=widgets")
    check(diff, "get", "/v2/guidelines/diff")
    check(client.get(f"/v2/guidelines/{names[0]}/document"), "get", "/v2/guidelines/{name}/document")
    assert_problem(check, client.get("/v2/guidelines/nope"), "get", one, 404, "not-found")
    response = client.get(f"/v2/guidelines/{names[0]}/tests?status=bogus")
    assert_problem(check, response, "get", "/v2/guidelines/{name}/tests", 400, "invalid-input")
    check(client.get("/v2/openapi.json"), "get", "/v2/openapi.json")
    programs = check(client.get("/v2/programs"), "get", "/v2/programs")["items"]
    check(client.get(f"/v2/programs/{programs[0]['id']}"), "get", "/v2/programs/{program_id}")
    assert_problem(check, client.get("/v2/programs/nope"), "get", "/v2/programs/{program_id}", 404, "unknown-program")
    # Documented without security: these views never read a token, so even a bad one is ignored.
    assert client.get("/v2/guidelines", headers=bearer("rlt_nope")).status_code == 200


def test_a_lifecycle_conflict_is_a_documented_problem(app: Flask, client: FlaskClient, check: Checker) -> None:
    olga = bearer(make_user(app, "olga"))
    vid = client.post("/v2/vendors", json={"name": "Acme"}, headers=olga).get_json()["id"]
    client.post(f"/v2/vendors/{vid}/apply", headers=olga)
    response = client.post(f"/v2/vendors/{vid}/apply", headers=olga)
    assert_problem(check, response, "post", "/v2/vendors/{vendor_id}/apply", 409, "vendor-status")


def test_submission_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    olga = make_user(app, "olga")
    vendor = ready_vendor(app, client, olga)
    stream = b"subunit bytes"
    results = vendor.results(evidence_digest="sha256:" + hashlib.sha256(stream).hexdigest())
    receipt = check(vendor.submit(vendor.sign(results)), "post", "/v2/submissions")
    one = "/v2/submissions/{submission_id}"
    sid = receipt["id"]
    check(client.get("/v2/submissions", headers=bearer(olga)), "get", "/v2/submissions")
    detail = check(client.get(f"/v2/submissions/{sid}", headers=bearer(olga)), "get", one)
    assert detail["verdicts"][0]["capabilities"]
    put = client.put(
        f"/v2/submissions/{sid}/evidence", data=stream, content_type="application/octet-stream", headers=bearer(olga)
    )
    check(put, "put", one + "/evidence")
    assert_problem(
        check,
        vendor.submit(vendor.sign(results)),
        "post",
        "/v2/submissions",
        409,
        "duplicate",
    )


def test_certification_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    world = certification_world(app, client, "2020.06")
    requests, one = "/v2/certification-requests", "/v2/certification-requests/{request_id}"
    submission = world.submit("2020.06")
    ask = {"product_version_id": world.vendor.version_id, "program": "powered-platform", "submission_id": submission}
    vendor, reviewer = bearer(world.vendor.token), bearer(world.reviewer)
    created = check(client.post(requests, json=ask, headers=vendor), "post", requests)
    check(client.get(requests, headers=reviewer), "get", requests)
    check(client.get(created["url"], headers=reviewer), "get", one)
    record = check(client.post(created["url"] + "/approve", json={}, headers=reviewer), "post", one + "/approve")
    response = client.post(created["url"] + "/deny", json={"reason": "no"}, headers=reviewer)
    assert_problem(check, response, "post", one + "/deny", 409, "request-already-decided")
    other = check(client.post(requests, json=ask, headers=vendor), "post", requests)
    check(client.post(other["url"] + "/withdraw", headers=vendor), "post", one + "/withdraw")
    third = check(client.post(requests, json=ask, headers=vendor), "post", requests)
    check(client.post(third["url"] + "/deny", json={"reason": "no"}, headers=reviewer), "post", one + "/deny")
    response = client.post(requests, json={**ask, "program": "dns"}, headers=vendor)
    assert_problem(check, response, "post", requests, 404, "unknown-program")
    certs, cert = "/v2/certifications", "/v2/certifications/{certification_id}"
    check(client.get(certs), "get", certs)
    check(client.get(record["url"]), "get", cert)
    check(client.get(record["url"] + "/certificate", headers=vendor), "get", cert + "/certificate")
    response = client.get(record["url"] + "/certificate")  # Acme Cloud is private
    assert_problem(check, response, "get", cert + "/certificate", 404, "not-found")
    revoked = client.post(record["url"] + "/revoke", json={"reason": "misuse"}, headers=reviewer)
    check(revoked, "post", cert + "/revoke")


def test_unusable_characters_in_a_path_or_query_are_a_documented_400_everywhere(
    client: FlaskClient, spec: dict[str, Any], check: Checker
) -> None:
    """Every operation refuses a control character in its path or query before its view runs."""
    for method, path in operations(spec):
        urls = {re.sub(r"\{\w+\}", "x", path) + "?q=a%00b": "$.q"}
        if "{" in path:
            urls[re.sub(r"\{\w+\}", "%01", path)] = "$path"
        for url, where in urls.items():
            body = assert_problem(check, client.open(url, method=method.upper()), method, path, 400, "invalid-input")
            assert [p["path"] for p in body["problems"]] == [where], (method, url)


def test_the_raw_bytes_of_a_public_upload_are_a_documented_403(client: FlaskClient, check: Checker) -> None:
    upload = client.post("/v1/results", json={"cpid": "c-1", "duration_seconds": 1, "results": [{"name": "tempest.a"}]})
    assert upload.status_code == 201
    envelope = f"/v2/submissions/{upload.get_json()['test_id']}/envelope"
    assert_problem(check, client.get(envelope), "get", "/v2/submissions/{submission_id}/envelope", 403, "forbidden")


def test_directory_answers(app: Flask, client: FlaskClient, check: Checker) -> None:
    directory = build(app, client)
    base = "/v2/directory"
    listed = check(client.get(f"{base}/certifications?per_page=2"), "get", f"{base}/certifications")
    assert listed["next"] is not None
    for certification_id in directory.certifications.values():
        url = f"{base}/certifications/{certification_id}"
        check(client.get(url), "get", base + "/certifications/{certification_id}")
    for vendor_id in directory.public_vendor_ids.values():
        check(client.get(f"{base}/vendors/{vendor_id}"), "get", base + "/vendors/{vendor_id}")
    for product_id in directory.public_product_ids.values():
        check(client.get(f"{base}/products/{product_id}"), "get", base + "/products/{product_id}")
    response = client.get(f"{base}/certifications?status=valid")
    assert_problem(check, response, "get", f"{base}/certifications", 400, "bad-search")
    response = client.get(f"{base}/vendors/{directory.private['unofficial vendor id']}")
    assert_problem(check, response, "get", base + "/vendors/{vendor_id}", 404, "not-found")
    for path, media in (("/certifications.csv", "text/csv"), ("/feed.atom", "application/atom+xml")):
        answer = client.get(base + path)
        assert answer.mimetype == media
        check.schema(base + path, "get", 200, media)  # documented with this media type
