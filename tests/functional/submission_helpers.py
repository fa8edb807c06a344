"""Set-up for the submission tests: a vendor with a registered key, a product version, real
guidelines from ../shared/interop, fresh challenges, and signed bundles built on the spot."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import bundle, keys
from refstack_lite_client.guideline import Guideline

from refstack_lite import guideline_registry
from refstack_lite.db import get_session
from refstack_lite.guideline_sources import Document
from tests.conftest import interop_path
from tests.functional.api_helpers import new_product, new_vendor, ok
from tests.identity import bearer

GUIDELINE = "2020.06"


def import_guidelines(app: Flask, *names: str) -> dict[str, str]:
    """Import ``names`` from the interop folder; their current digests (``sha256:<hex>``) by name."""
    folder = interop_path()
    documents = [
        Document(f"{name}.json", str(folder / f"{name}.json"), (folder / f"{name}.json").read_bytes()) for name in names
    ]
    with app.app_context():
        session = get_session()
        outcomes = guideline_registry.import_documents(session, documents, datetime.now(UTC))
        session.commit()
    return {o.name: "sha256:" + o.digest for o in outcomes}


def required_names(name: str, target: str = "platform") -> list[str]:
    """Every required test of a guideline target, as Tempest names it (with its id attribute)."""
    guideline = Guideline.from_bytes((interop_path() / f"{name}.json").read_bytes())
    return sorted(entry.test.list_entry() for entry in guideline.tests_for(target))


def register_key(client: FlaskClient, token: str, vendor_id: str, private: keys.PrivateKey) -> dict[str, Any]:
    """Register ``private``'s public half to the vendor, with proof of possession."""
    public = keys.public_key_of(private).openssh
    challenged = ok(
        client.post(f"/v2/vendors/{vendor_id}/keys/challenges", json={"public_key": public}, headers=bearer(token)),
        201,
    )
    signature = keys.sign(private, base64.b64decode(challenged["message"]))
    body = {
        "public_key": public,
        "challenge_id": challenged["challenge_id"],
        "signature": base64.b64encode(signature).decode(),
    }
    return dict(ok(client.post(f"/v2/vendors/{vendor_id}/keys", json=body, headers=bearer(token)), 201))


def new_challenge(client: FlaskClient, token: str, vendor_id: str) -> str:
    response = client.post("/v2/challenges", json={"vendor_id": vendor_id}, headers=bearer(token))
    return str(ok(response, 201)["nonce"])


@dataclass
class Vendor:
    """A vendor ready to submit: its owner's token, a registered Ed25519 key and a product version."""

    client: FlaskClient
    token: str
    id: str
    key: ed25519.Ed25519PrivateKey
    key_id: str
    product_id: str
    version_id: str
    digests: dict[str, str]

    def results(self, **changes: Any) -> bundle.Results:
        """Results of a run that passed every required 2020.06 platform test, with a fresh challenge."""
        now = datetime.now(UTC).replace(microsecond=0)
        base = bundle.Results(
            guideline_id=GUIDELINE,
            # a vendor set up without 2020.06 names its own guideline in ``changes``
            guideline_digest=self.digests.get(GUIDELINE, ""),
            target="platform",
            started_at=now - timedelta(minutes=2),  # within the clock skew allowed before the challenge
            finished_at=now,
            runner={"refstack-lite-client": "0.1.0"},
            tools={"tempest": "36.0.0"},
            passed=tuple(required_names(GUIDELINE)),
            failed=("tempest.api.extra.test_broken.BrokenTest.test_breaks[id-00000000-0000-4000-8000-000000000001]",),
            product_version_id=self.version_id,
            challenge=changes.pop("challenge") if "challenge" in changes else self.challenge(),
        )
        return replace(base, **changes)

    def challenge(self) -> str:
        return new_challenge(self.client, self.token, self.id)

    def sign(self, results: bundle.Results, key: keys.PrivateKey | None = None) -> bytes:
        return bundle.sign(bundle.encode_statement(bundle.build_statement(results)), key or self.key)

    def submit(self, envelope: bytes, token: str | None = None, **headers: str) -> Any:
        return self.client.post(
            "/v2/submissions",
            data=envelope,
            headers={**bearer(token or self.token), "Content-Type": "application/json", **headers},
        )


def ready_vendor(app: Flask, client: FlaskClient, token: str, name: str = "Acme", *, seed: int = 1) -> Vendor:
    """A vendor owned by ``token``'s user with a key, a product version and guideline 2020.06."""
    digests = import_guidelines(app, GUIDELINE)
    vendor_id = new_vendor(client, token, name)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    registered = register_key(client, token, vendor_id, key)
    product = new_product(client, token, vendor_id, f"{name} Cloud")["id"]
    version = ok(
        client.post(f"/v2/products/{product}/versions", json={"version": "2026.1"}, headers=bearer(token)), 201
    )
    return Vendor(client, token, vendor_id, key, registered["id"], product, version["id"], digests)


def fixture_path(name: str) -> Path:
    return Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / name
