"""Products (distribution, public cloud, hosted private cloud) and their versions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, contains_eager

from refstack_lite.errors import Conflict, InvalidInput, NotFound
from refstack_lite.models import Membership, Product, ProductVersion, Submission, Vendor
from refstack_lite.services import audit
from refstack_lite.services.actors import Actor, can_see_internals, require_vendor_member

PRODUCT_TYPES = ("distribution", "public_cloud", "hosted_private_cloud")
MAX_NAME = 200
MAX_VERSION = 100
MAX_CPID = 128
CPID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_CPID}}}")


def fields(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "product_type": product.product_type,
        "public": product.public,
    }


def version_fields(version: ProductVersion) -> dict[str, Any]:
    return {"product_id": version.product_id, "version": version.version, "cpid": version.cpid}


def visible_products(actor: Actor) -> Select[Product]:
    """Public products of official vendors, plus the actor's vendors' products; all for the foundation."""
    query = select(Product).join(Vendor, Product.vendor_id == Vendor.id).options(contains_eager(Product.vendor))
    if actor.is_foundation:
        return query
    public = and_(Product.public.is_(True), Vendor.status == "official")
    if actor.user is None:
        return query.where(public)
    mine = exists().where(
        Membership.vendor_id == Product.vendor_id,
        Membership.user_id == actor.user.id,
        Membership.accepted_at.is_not(None),
    )
    return query.where(or_(public, mine))


def get_visible(session: Session, actor: Actor, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None or not is_visible(session, actor, product):
        raise NotFound(f"no product {product_id!r}")
    return product


def is_visible(session: Session, actor: Actor, product: Product) -> bool:
    if product.public and product.vendor.status == "official":
        return True
    return can_see_internals(session, actor, product.vendor_id)


def _check(product_type: str | None, name: str | None) -> None:
    if product_type is not None and product_type not in PRODUCT_TYPES:
        raise InvalidInput(f"product_type is one of {', '.join(PRODUCT_TYPES)}, not {product_type!r}")
    if name is not None and not (0 < len(name.strip()) <= MAX_NAME):
        raise InvalidInput(f"a product name needs 1 to {MAX_NAME} characters")


def _unique_name(session: Session, vendor_id: str, name: str, product_id: str | None = None) -> None:
    clash = session.scalar(select(Product.id).where(Product.vendor_id == vendor_id, Product.name == name))
    if clash is not None and clash != product_id:
        raise Conflict(f"this vendor already has a product named {name!r}", slug="product-exists")


def _check_public(vendor: Vendor, public: bool) -> None:
    if public and vendor.status != "official":
        raise Conflict(
            f"only an official vendor's products can be public; {vendor.name!r} is {vendor.status}",
            slug="vendor-not-official",
        )


def create(
    session: Session,
    actor: Actor,
    vendor: Vendor,
    now: datetime,
    *,
    name: str,
    product_type: str,
    description: str = "",
    public: bool = False,
) -> Product:
    require_vendor_member(session, actor, vendor)
    _check(product_type, name)
    name = name.strip()
    _unique_name(session, vendor.id, name)
    _check_public(vendor, public)
    product = Product(
        vendor_id=vendor.id,
        name=name,
        description=description,
        product_type=product_type,
        public=public,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    session.flush()
    audit.record(
        session, actor, "product.create", "product", product.id, at=now, vendor_id=vendor.id, after=fields(product)
    )
    return product


def update(session: Session, actor: Actor, product: Product, now: datetime, changes: dict[str, Any]) -> Product:
    require_vendor_member(session, actor, product.vendor)
    _check(changes.get("product_type"), changes.get("name"))
    before = fields(product)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _unique_name(session, product.vendor_id, changes["name"], product.id)
    if changes.get("public"):
        _check_public(product.vendor, True)
    for key in ("name", "description", "product_type", "public"):
        if key in changes:
            setattr(product, key, changes[key])
    if audit.record_change(
        session,
        actor,
        "product.update",
        "product",
        product.id,
        at=now,
        vendor_id=product.vendor_id,
        before=before,
        after=fields(product),
    ):
        product.updated_at = now
    return product


def delete(session: Session, actor: Actor, product: Product, now: datetime) -> None:
    require_vendor_member(session, actor, product.vendor)
    for version in versions(session, product):
        _delete_version(session, actor, version, now)
    audit.record(
        session,
        actor,
        "product.delete",
        "product",
        product.id,
        at=now,
        vendor_id=product.vendor_id,
        before=fields(product),
    )
    session.delete(product)


def versions(session: Session, product: Product) -> list[ProductVersion]:
    """The product's versions by version text (sorted here, not by the database's collation, so
    every database lists them alike)."""
    rows = session.scalars(select(ProductVersion).where(ProductVersion.product_id == product.id))
    return sorted(rows, key=lambda v: (v.version, v.id))


def get_version(session: Session, product: Product, version_id: str) -> ProductVersion:
    """The version only if it belongs to ``product``: ids from another product are not found."""
    version = session.get(ProductVersion, version_id)
    if version is None or version.product_id != product.id:
        raise NotFound(f"product {product.name!r} has no version {version_id!r}")
    return version


def _check_version(version: str | None, cpid: str | None) -> None:
    if version is not None and not (0 < len(version.strip()) <= MAX_VERSION):
        raise InvalidInput(f"a version needs 1 to {MAX_VERSION} characters")
    if cpid is not None and not CPID.fullmatch(cpid):
        raise InvalidInput(f"a cpid is 1 to {MAX_CPID} letters, digits, '.', '_', ':' or '-' (or null), not {cpid!r}")


def _cpid_free(session: Session, product: Product, cpid: str | None) -> None:
    """A cloud id names one vendor's cloud: another vendor cannot claim it (RefStack let anyone)."""
    if cpid is None:
        return
    owner = session.scalar(
        select(Product.vendor_id)
        .join(ProductVersion, ProductVersion.product_id == Product.id)
        .where(ProductVersion.cpid == cpid, Product.vendor_id != product.vendor_id)
        .limit(1)
    )
    if owner is not None:
        raise Conflict(f"the cloud id {cpid!r} belongs to another vendor's product", slug="cpid-taken")


def _unique_version(session: Session, product: Product, version: str, version_id: str | None = None) -> None:
    clash = session.scalar(
        select(ProductVersion.id).where(ProductVersion.product_id == product.id, ProductVersion.version == version)
    )
    if clash is not None and clash != version_id:
        raise Conflict(f"product {product.name!r} already has a version {version!r}", slug="version-exists")


def add_version(
    session: Session, actor: Actor, product: Product, now: datetime, version: str, cpid: str | None
) -> ProductVersion:
    require_vendor_member(session, actor, product.vendor)
    _check_version(version, cpid)
    version = version.strip()
    _unique_version(session, product, version)
    _cpid_free(session, product, cpid)
    row = ProductVersion(product_id=product.id, version=version, cpid=cpid, created_at=now)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "version.create",
        "version",
        row.id,
        at=now,
        vendor_id=product.vendor_id,
        after=version_fields(row),
    )
    return row


def update_version(
    session: Session, actor: Actor, row: ProductVersion, now: datetime, changes: dict[str, Any]
) -> ProductVersion:
    product = row.product
    require_vendor_member(session, actor, product.vendor)
    _check_version(changes.get("version"), changes.get("cpid"))
    before = version_fields(row)
    if "version" in changes:
        changes["version"] = changes["version"].strip()
        _unique_version(session, product, changes["version"], row.id)
        row.version = changes["version"]
    if "cpid" in changes:
        _cpid_free(session, product, changes["cpid"])
        row.cpid = changes["cpid"]
    audit.record_change(
        session,
        actor,
        "version.update",
        "version",
        row.id,
        at=now,
        vendor_id=product.vendor_id,
        before=before,
        after=version_fields(row),
    )
    return row


def delete_version(session: Session, actor: Actor, row: ProductVersion, now: datetime) -> None:
    require_vendor_member(session, actor, row.product.vendor)
    _delete_version(session, actor, row, now)


def _delete_version(session: Session, actor: Actor, row: ProductVersion, now: datetime) -> None:
    if session.scalar(select(exists().where(Submission.product_version_id == row.id))):
        raise Conflict(
            f"version {row.version!r} of {row.product.name!r} has submissions; they keep it as their evidence",
            slug="in-use",
        )
    audit.record(
        session,
        actor,
        "version.delete",
        "version",
        row.id,
        at=now,
        vendor_id=row.product.vendor_id,
        before=version_fields(row),
    )
    session.delete(row)
