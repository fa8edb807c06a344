"""Products and product versions under /v2."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from sqlalchemy import select

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body
from refstack_lite.api.openapi.operations import (
    OPTIONAL,
    REQUIRED,
    created,
    no_content,
    ok,
    operation,
    paginated,
    query_param,
)
from refstack_lite.api.pagination import page
from refstack_lite.db import get_session
from refstack_lite.models import Product, ProductVersion
from refstack_lite.services import products, vendors
from refstack_lite.services.actors import Actor, can_see_internals

bp = Blueprint("v2_products", __name__, url_prefix="/v2")


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "vendor": {"id": product.vendor_id, "name": product.vendor.name},
        "name": product.name,
        "description": product.description,
        "product_type": product.product_type,
        "public": product.public,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "url": url_for("v2_products.get_product", product_id=product.id),
    }


def version_json(version: ProductVersion, internals: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": version.id,
        "product_id": version.product_id,
        "version": version.version,
        "created_at": iso(version.created_at),
    }
    if internals:  # a cloud id is the vendor's business (RefStack leaked it on public results)
        body["cpid"] = version.cpid
    return body


def _product(product_id: str) -> tuple[Actor, Product]:
    actor = current_actor()
    return actor, products.get_visible(get_session(), actor, product_id)


@bp.get("/products")
@operation(
    "listProducts",
    "products",
    "The products visible to the caller, by name",
    paginated("one page of products", "Product"),
    auth=OPTIONAL,
    query=(query_param("vendor", "only this vendor's products (a vendor id)"),),
    description="Public products of official vendors, plus the caller's vendors' own; all for the foundation.",
)
def list_products() -> Response:
    actor = current_actor()
    query = products.visible_products(actor)
    vendor_id = request.args.get("vendor")
    if vendor_id:
        query = query.where(Product.vendor_id == vendor_id)
    return page(get_session(), query, [Product.name, Product.id], product_json)


@bp.get("/vendors/<vendor_id>/products")
@operation(
    "listVendorProducts",
    "products",
    "A vendor's products visible to the caller",
    paginated("one page of products", "Product"),
    auth=OPTIONAL,
)
def list_vendor_products(vendor_id: str) -> Response:
    actor = current_actor()
    session = get_session()
    vendor = vendors.get_visible(session, actor, vendor_id)
    query = products.visible_products(actor).where(Product.vendor_id == vendor.id)
    return page(session, query, [Product.name, Product.id], product_json)


@bp.post("/vendors/<vendor_id>/products")
@operation(
    "createProduct",
    "products",
    "Create a product (vendor member or foundation admin)",
    created("the product", "Product"),
    auth=REQUIRED,
    errors=(403, 409),
    body="NewProduct",
    description="public: true only for an official vendor (409 vendor-not-official).",
)
def create_product(vendor_id: str) -> tuple[Response, int]:
    actor = current_actor()
    session = get_session()
    vendor = vendors.get_visible(session, actor, vendor_id)
    body = json_body("NewProduct")
    product = products.create(
        session,
        actor,
        vendor,
        datetime.now(UTC),
        name=body["name"],
        product_type=body["product_type"],
        description=body.get("description", ""),
        public=body.get("public", False),
    )
    session.commit()
    return jsonify(product_json(product)), 201


@bp.get("/products/<product_id>")
@operation("getProduct", "products", "One product", ok("the product", "Product"), auth=OPTIONAL)
def get_product(product_id: str) -> Response:
    _, product = _product(product_id)
    return jsonify(product_json(product))


@bp.patch("/products/<product_id>")
@operation(
    "updateProduct",
    "products",
    "Change a product (vendor member or foundation admin)",
    ok("the product", "Product"),
    auth=REQUIRED,
    errors=(403, 409),
    body="ProductChange",
)
def update_product(product_id: str) -> Response:
    actor, product = _product(product_id)
    body = json_body("ProductChange")
    session = get_session()
    products.update(session, actor, product, datetime.now(UTC), body)
    session.commit()
    return jsonify(product_json(product))


@bp.delete("/products/<product_id>")
@operation(
    "deleteProduct",
    "products",
    "Delete a product and its versions (vendor member or foundation admin)",
    no_content("deleted"),
    auth=REQUIRED,
    errors=(403, 409),
)
def delete_product(product_id: str) -> tuple[str, int]:
    actor, product = _product(product_id)
    session = get_session()
    products.delete(session, actor, product, datetime.now(UTC))
    session.commit()
    return "", 204


@bp.get("/products/<product_id>/versions")
@operation(
    "listVersions",
    "products",
    "A product's versions, by version",
    paginated("one page of versions", "Version"),
    auth=OPTIONAL,
)
def list_versions(product_id: str) -> Response:
    actor, product = _product(product_id)
    session = get_session()
    internals = can_see_internals(session, actor, product.vendor_id)
    query = select(ProductVersion).where(ProductVersion.product_id == product.id)
    return page(session, query, [ProductVersion.version, ProductVersion.id], lambda v: version_json(v, internals))


@bp.post("/products/<product_id>/versions")
@operation(
    "createVersion",
    "products",
    "Add a version (vendor member or foundation admin)",
    created("the version", "Version"),
    auth=REQUIRED,
    errors=(403, 409),
    body="NewVersion",
)
def create_version(product_id: str) -> tuple[Response, int]:
    actor, product = _product(product_id)
    body = json_body("NewVersion")
    session = get_session()
    version = products.add_version(session, actor, product, datetime.now(UTC), body["version"], body.get("cpid"))
    session.commit()
    return jsonify(version_json(version, True)), 201


@bp.get("/products/<product_id>/versions/<version_id>")
@operation("getVersion", "products", "One version of the product", ok("the version", "Version"), auth=OPTIONAL)
def get_version(product_id: str, version_id: str) -> Response:
    actor, product = _product(product_id)
    session = get_session()
    version = products.get_version(session, product, version_id)
    return jsonify(version_json(version, can_see_internals(session, actor, product.vendor_id)))


@bp.patch("/products/<product_id>/versions/<version_id>")
@operation(
    "updateVersion",
    "products",
    "Change a version (vendor member or foundation admin)",
    ok("the version", "Version"),
    auth=REQUIRED,
    errors=(403, 409),
    body="VersionChange",
)
def update_version(product_id: str, version_id: str) -> Response:
    actor, product = _product(product_id)
    body = json_body("VersionChange")
    session = get_session()
    version = products.update_version(
        session, actor, products.get_version(session, product, version_id), datetime.now(UTC), body
    )
    session.commit()
    return jsonify(version_json(version, True))


@bp.delete("/products/<product_id>/versions/<version_id>")
@operation(
    "deleteVersion",
    "products",
    "Delete a version (vendor member or foundation admin)",
    no_content("deleted"),
    auth=REQUIRED,
    errors=(403, 409),
)
def delete_version(product_id: str, version_id: str) -> tuple[str, int]:
    actor, product = _product(product_id)
    session = get_session()
    products.delete_version(session, actor, products.get_version(session, product, version_id), datetime.now(UTC))
    session.commit()
    return "", 204
