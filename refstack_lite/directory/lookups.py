"""Two more public answers the pages need: the vendors the directory can be filtered by, and
the public key that signed a public certification's results (to verify its envelope offline)."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from refstack_lite.directory import values
from refstack_lite.directory.visibility import public_certifications, public_product
from refstack_lite.errors import NotFound
from refstack_lite.models import CertificationRecord, Product, ProductVersion, Vendor


def certified_vendors(session: Session) -> tuple[values.Named, ...]:
    """Every official vendor with at least one public certification, by name."""
    rows = session.execute(
        select(Vendor.id, Vendor.name)
        .join(CertificationRecord, CertificationRecord.vendor_id == Vendor.id)
        .join(ProductVersion, CertificationRecord.product_version_id == ProductVersion.id)
        .join(Product, and_(ProductVersion.product_id == Product.id, Product.vendor_id == Vendor.id))
        .where(public_product())
        .distinct()
        .order_by(Vendor.name, Vendor.id)
    )
    return tuple(values.Named(row.id, row.name) for row in rows)


def signer_public_key(session: Session, certification_id: str) -> str:
    """The OpenSSH public key whose signature a public certification rests on; raises
    ``NotFound`` alike for an unknown certification, one that is not public and one whose key
    was deleted (its fingerprint stays on the certification)."""
    record = session.scalar(public_certifications().where(CertificationRecord.id == certification_id))
    if record is None or record.signing_key is None:
        raise NotFound(f"no published signing key for certification {certification_id!r}")
    return record.signing_key.public_key
