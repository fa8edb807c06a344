"""What is public: a public product of an official vendor (as ``services.products`` decides for
anonymous readers), here as one SQL condition over the rows a directory query joins."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from refstack_lite.models import CertificationRecord, Product, ProductVersion, Submission, SubmissionVerdict, Vendor


def public_product() -> ColumnElement[bool]:
    return and_(Product.public.is_(True), Vendor.status == "official")


def public_certifications() -> Select[CertificationRecord]:
    """Public certifications joined to their version, product and vendor, loaded from that join
    with everything ``records.status`` reads: one query, plus one for all the rows' verdicts.

    The vendor is joined through the product only: a record's vendor is its product's (the
    request takes it from there, and a product never changes vendor). Joining it on both makes
    PostgreSQL take the two conditions as independent and expect a handful of rows, so it sorts
    every certification for a page instead of walking the index in the page's order."""
    return (
        select(CertificationRecord)
        .join(ProductVersion, CertificationRecord.product_version_id == ProductVersion.id)
        .join(Product, ProductVersion.product_id == Product.id)
        .join(Vendor, Vendor.id == Product.vendor_id)
        .where(public_product())
        .options(
            contains_eager(CertificationRecord.product_version, ProductVersion.product, Product.vendor),
            contains_eager(CertificationRecord.vendor),
            joinedload(CertificationRecord.signing_key),
            joinedload(CertificationRecord.guideline_revision),
            # A status reads a verdict's target, eligibility and revision, never its 8-13 KB
            # report, which would otherwise be read and parsed for every row of a page.
            joinedload(CertificationRecord.submission)
            .selectinload(Submission.verdicts)
            .options(defer(SubmissionVerdict.report), defer(SubmissionVerdict.summary))
            .joinedload(SubmissionVerdict.guideline_revision),
        )
    )
