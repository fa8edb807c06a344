"""What submissions refer to stays: a product version, product or key with submissions cannot be
deleted (409 in-use), and the refusal changes nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import ok, refused
from tests.functional.submission_helpers import ready_vendor
from tests.identity import bearer


def test_a_version_with_submissions_cannot_be_deleted(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    ok(vendor.submit(vendor.sign(vendor.results())), 201)
    version = f"/v2/products/{vendor.product_id}/versions/{vendor.version_id}"
    refused(app, client, "DELETE", version, 409, "in-use", headers=bearer(alice))
    refused(app, client, "DELETE", f"/v2/products/{vendor.product_id}", 409, "in-use", headers=bearer(alice))


def test_a_version_without_submissions_still_can(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    ok(vendor.submit(vendor.sign(vendor.results(product_version_id=None, cpid="cpid-elsewhere"))), 201)
    response = client.delete(f"/v2/products/{vendor.product_id}/versions/{vendor.version_id}", headers=bearer(alice))
    assert response.status_code == 204, response.get_data(as_text=True)


def test_a_vendor_with_submissions_cannot_be_deleted(app: Flask, client: FlaskClient, alice: str, root: str) -> None:
    vendor = ready_vendor(app, client, alice)
    ok(vendor.submit(vendor.sign(vendor.results())), 201)
    refused(app, client, "DELETE", f"/v2/vendors/{vendor.id}", 409, "in-use", headers=bearer(root))
