"""Official vendors and public products, with their public certifications."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.certification.programs import Program
from refstack_lite.directory import values
from refstack_lite.directory.certifications import SORT_ORDERS, render
from refstack_lite.directory.visibility import public_certifications, public_product
from refstack_lite.errors import NotFound
from refstack_lite.models import CertificationRecord, Product, ProductVersion, Vendor


def vendor(session: Session, programs: Mapping[str, Program], vendor_id: str) -> values.Vendor:
    """An official vendor with its public products and the programs each is actively certified
    for; raises ``NotFound`` alike for an unknown vendor and one that is not official."""
    found = session.scalar(select(Vendor).where(Vendor.id == vendor_id, Vendor.status == "official"))
    if found is None:
        raise NotFound(f"no vendor {vendor_id!r}")
    products = session.scalars(
        select(Product).join(Vendor).where(Product.vendor_id == vendor_id, public_product()).order_by(Product.name)
    ).all()
    certified = render(
        session.scalars(public_certifications().where(CertificationRecord.vendor_id == vendor_id)).unique(), programs
    )
    active: dict[str, set[str]] = {}
    for c in certified:
        if c.status.status == "active":
            active.setdefault(c.product.id, set()).add(c.program)
    return values.Vendor(
        id=found.id,
        name=found.name,
        description=found.description,
        products=tuple(
            values.ProductSummary(p.id, p.name, p.product_type, tuple(sorted(active.get(p.id, ())))) for p in products
        ),
    )


def product(session: Session, programs: Mapping[str, Program], product_id: str) -> values.Product:
    """A public product with its versions (newest first) and every certification of each;
    raises ``NotFound`` alike for an unknown product and one that is not public."""
    found = session.execute(
        select(Product, Vendor)
        .join(Vendor, Product.vendor_id == Vendor.id)
        .where(Product.id == product_id, public_product())
    ).one_or_none()
    if found is None:
        raise NotFound(f"no product {product_id!r}")
    row, owner = found
    versions = session.scalars(
        select(ProductVersion)
        .where(ProductVersion.product_id == product_id)
        .order_by(ProductVersion.created_at.desc(), ProductVersion.version.desc())
    ).all()
    certified = render(
        session.scalars(
            public_certifications().where(ProductVersion.product_id == product_id).order_by(*SORT_ORDERS["newest"])
        ).unique(),
        programs,
    )
    by_version: dict[str, list[values.Certification]] = {}
    for c in certified:
        by_version.setdefault(c.version, []).append(c)
    return values.Product(
        id=row.id,
        name=row.name,
        description=row.description,
        product_type=row.product_type,
        vendor=values.Named(owner.id, owner.name),
        versions=tuple(values.Version(v.id, v.version, tuple(by_version.get(v.version, ()))) for v in versions),
    )


def product_certifications(
    session: Session, programs: Mapping[str, Program], vendor_id: str, product_id: str, program: str
) -> tuple[values.Named, values.Named, tuple[values.Certification, ...]]:
    """A public product of ``vendor_id`` (vendor, product) with its certifications under
    ``program`` (what its badge shows); raises ``NotFound`` for an unknown or private product,
    one of another vendor, or a program neither defined now nor ever certified for it."""
    found = session.execute(
        select(Product.id, Product.name, Vendor.id, Vendor.name)
        .join(Vendor, Product.vendor_id == Vendor.id)
        .where(Product.id == product_id, Vendor.id == vendor_id, public_product())
    ).one_or_none()
    if found is None:
        raise NotFound(f"no product {product_id!r} of vendor {vendor_id!r}")
    certified = render(
        session.scalars(
            public_certifications()
            .where(ProductVersion.product_id == product_id, CertificationRecord.program == program)
            .order_by(*SORT_ORDERS["newest"])
        ).unique(),
        programs,
    )
    if not certified and program not in programs:
        raise NotFound(f"no program {program!r}")
    return values.Named(found[2], found[3]), values.Named(found[0], found[1]), certified
