"""Every console page module, grouped by feature; importing them adds their routes to ``bp``."""

from __future__ import annotations

from refstack_lite.console import (
    application_pages,
    audit_pages,
    certification_pages,
    home_pages,
    key_pages,
    member_pages,
    product_pages,
    request_pages,
    review_pages,
    sign_in_pages,
    submission_pages,
    token_pages,
    user_pages,
    vendor_edit_pages,
    vendor_pages,
)
from refstack_lite.console.blueprint import bp

__all__ = [
    "application_pages",
    "audit_pages",
    "bp",
    "certification_pages",
    "home_pages",
    "key_pages",
    "member_pages",
    "product_pages",
    "request_pages",
    "review_pages",
    "sign_in_pages",
    "submission_pages",
    "token_pages",
    "user_pages",
    "vendor_edit_pages",
    "vendor_pages",
]
