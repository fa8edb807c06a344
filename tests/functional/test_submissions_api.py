"""POST /v2/submissions and the reading routes: receipts, verdicts, outcomes, envelopes, evidence."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import ok
from tests.functional.submission_helpers import GUIDELINE, ready_vendor
from tests.identity import bearer


def test_a_signed_bundle_is_stored_and_evaluated(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    envelope = vendor.sign(vendor.results())
    receipt = ok(vendor.submit(envelope), 201)
    assert receipt["vendor"]["id"] == vendor.id
    verdicts = {v["target"]: v for v in receipt["verdicts"]}
    assert set(verdicts) == {"platform", "compute", "object"}
    assert verdicts["platform"]["eligible"] is True, verdicts["platform"]["reason"]
    assert receipt["guideline"]["name"] == GUIDELINE
    detail = ok(client.get(receipt["links"]["self"], headers=bearer(alice)))
    assert len(detail["tests"]["passed"]) == receipt["counts"]["passed"]
    raw = client.get(receipt["links"]["envelope"], headers=bearer(alice))
    assert raw.data == envelope
    print(json.dumps(receipt, indent=1)[:3000])
