"""What the console's filters and forms offer to choose from: the person's vendors (every vendor
for the foundation), their product versions, the guidelines and the programs. Offering is not
allowing: the services still decide what a chosen value may do."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from refstack_lite.certification import catalog
from refstack_lite.certification.programs import Program
from refstack_lite.config import Settings
from refstack_lite.models import Guideline, Product, ProductVersion, Vendor
from refstack_lite.services.actors import Actor, vendor_roles


def option(value: str, label: str | None = None) -> Any:
    """One choice of a select field: WTForms 3.3 takes ``SelectChoice``s (tuples are deprecated),
    which its type stubs, still 3.2's, do not know yet."""
    return SelectChoice(value, label)


ANY = option("", "any")


def vendors(session: Session, actor: Actor) -> list[Any]:
    """The vendors whose things the person works on, by name: theirs, or all for the foundation."""
    query = select(Vendor.id, Vendor.name).order_by(Vendor.name, Vendor.id)
    if not actor.is_foundation:
        query = query.where(Vendor.id.in_(list(vendor_roles(session, actor))))
    return [option(vendor_id, name) for vendor_id, name in session.execute(query)]


def versions(session: Session, vendor_ids: list[str]) -> list[Any]:
    """The product versions of these vendors, labelled "product version"."""
    if not vendor_ids:
        return []
    rows = session.execute(
        select(ProductVersion.id, Product.name, ProductVersion.version)
        .join(Product, Product.id == ProductVersion.product_id)
        .where(Product.vendor_id.in_(vendor_ids))
        .order_by(Product.name, ProductVersion.version, ProductVersion.id)
    )
    return [option(version_id, f"{product} {version}") for version_id, product, version in rows]


def version_labels(session: Session, version_ids: set[str]) -> dict[str, str]:
    """Product version id → "product version", for the ids a page shows."""
    if not version_ids:
        return {}
    rows = session.execute(
        select(ProductVersion.id, Product.name, ProductVersion.version)
        .join(Product, Product.id == ProductVersion.product_id)
        .where(ProductVersion.id.in_(sorted(version_ids)))
    )
    return {version_id: f"{product} {version}" for version_id, product, version in rows}


def guidelines(session: Session) -> list[str]:
    """Every imported guideline's name, newest first within each family."""
    return list(session.scalars(select(Guideline.name).order_by(Guideline.family, Guideline.name.desc())))


def window() -> int:
    """How many of the newest guidelines of each family programs accept (the deployment's setting)."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings.accepted_guidelines


def programs(session: Session) -> list[Program]:
    """The programs of the guidelines imported now, as the API's certification requests see them."""
    return catalog.programs(session, window())


def programs_by_id(session: Session) -> dict[str, Program]:
    return {p.id: p for p in programs(session)}
