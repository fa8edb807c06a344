"""Set-up for the certification tests: an official vendor whose signed submissions for real
guidelines (../shared/interop) are eligible, and the requests and approvals made of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.guideline import Guideline

from refstack_lite import guideline_registry
from refstack_lite.db import get_session
from refstack_lite.guideline_sources import Document
from tests.conftest import interop_path
from tests.functional.api_helpers import make_official, new_product, new_vendor, ok
from tests.functional.submission_helpers import Vendor, register_key
from tests.identity import bearer, make_user


def guideline_path(name: str) -> Path:
    """A guideline file of the interop folder, an add-on's (``dns.2020.06``) from add-ons/."""
    path = interop_path() / f"{name}.json"
    return path if path.exists() else interop_path() / "add-ons" / f"{name}.json"


def required(guideline: str, target: str) -> list[str]:
    """Every required test of a guideline target (powered or add-on), as Tempest names it."""
    parsed = Guideline.from_bytes(guideline_path(guideline).read_bytes())
    return sorted(entry.test.list_entry() for entry in parsed.tests_for(target))


@dataclass
class World:
    app: Flask
    client: FlaskClient
    vendor: Vendor
    admin: str
    reviewer: str
    digests: dict[str, str]

    def import_(self, *names: str) -> None:
        """Import guidelines by name; add-ons (``dns.2020.06``) from the interop folder's add-ons/."""
        paths = [guideline_path(name) for name in names]
        documents = [Document(p.name, str(p), p.read_bytes()) for p in paths]
        with self.app.app_context():
            session = get_session()
            outcomes = guideline_registry.import_documents(session, documents, datetime.now(UTC))
            session.commit()
        self.digests.update({o.name: "sha256:" + o.digest for o in outcomes})

    def submit(self, guideline: str, target: str = "platform", **changes: Any) -> str:
        """Submit results passing every required test of ``guideline``'s ``target``; the submission id."""
        changes = {"passed": tuple(required(guideline, target)), **changes}
        results = self.vendor.results(
            guideline_id=guideline, guideline_digest=self.digests[guideline], target=target, **changes
        )
        return str(ok(self.vendor.submit(self.vendor.sign(results)), 201)["id"])

    def ask(self, submission_id: str, program: str = "powered-platform", **extra: str) -> Any:
        body = {"product_version_id": self.vendor.version_id, "program": program, "submission_id": submission_id}
        return self.client.post("/v2/certification-requests", json={**body, **extra}, headers=bearer(self.vendor.token))

    def request(self, submission_id: str, program: str = "powered-platform") -> str:
        return str(ok(self.ask(submission_id, program), 201)["id"])

    def approve(self, request_id: str, token: str | None = None) -> Any:
        return self.client.post(
            f"/v2/certification-requests/{request_id}/approve", json={}, headers=bearer(token or self.reviewer)
        )

    def certify(self, guideline: str, program: str = "powered-platform") -> str:
        target = program.removeprefix("powered-")
        request_id = self.request(self.submit(guideline, target), program)
        return str(ok(self.approve(request_id), 201)["id"])

    def certification(self, certification_id: str) -> dict[str, Any]:
        return dict(ok(self.client.get(f"/v2/certifications/{certification_id}", headers=bearer(self.admin))))


def certification_world(app: Flask, client: FlaskClient, *guidelines: str, official: bool = True) -> World:
    """Vendor Acme (owner alice) with an Ed25519 key and a product version, official unless told,
    a foundation admin and a reviewer, and ``guidelines`` imported."""
    alice, admin = make_user(app, "alice"), make_user(app, "root", "admin")
    reviewer = make_user(app, "rita", "reviewer")
    digests: dict[str, str] = {}
    vendor_id = new_vendor(client, alice, "Acme")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    registered = register_key(client, alice, vendor_id, key)
    product = new_product(client, alice, vendor_id, "Acme Cloud")["id"]
    version = ok(
        client.post(f"/v2/products/{product}/versions", json={"version": "2026.1"}, headers=bearer(alice)), 201
    )
    if official:
        make_official(client, alice, admin, vendor_id)
    vendor = Vendor(client, alice, vendor_id, key, registered["id"], product, version["id"], digests)
    world = World(app, client, vendor, admin, reviewer, digests)
    if guidelines:
        world.import_(*guidelines)
    return world
