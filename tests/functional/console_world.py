"""The world the console's submission and request pages are tested in: Acme (owner alice, an
official vendor) with two signed submissions against 2020.06, one eligible with a flagged test
that did not pass and its evidence uploaded, one not eligible with a required test failed; Bobco
(owner bob), another vendor; a foundation admin (root) and a reviewer (rita)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.guideline import Guideline

from tests.functional.api_helpers import new_product, new_vendor, ok
from tests.functional.certification_helpers import World, certification_world, guideline_path
from tests.identity import bearer, make_user

GUIDELINE = "2020.06"
# Not parsed by the server, but shaped like subunit v2 (its packets start with 0xb3).
STREAM = bytes.fromhex("b3290100") + b"tempest.api.compute.test_versions.TestVersions.test_list_api_versions" * 40


@dataclass
class ConsoleWorld:
    world: World
    eligible: str  # submission ids
    failing: str
    flagged_test: str  # a flagged required test the eligible run did not pass (allowed)
    failed_test: str  # a required test the failing run failed
    bob: str  # tokens
    bobco: str  # vendor id
    bob_version: str

    @property
    def alice(self) -> str:
        return self.world.vendor.token


def _tests(name: str) -> tuple[list[str], list[str]]:
    """A guideline's required platform tests as Tempest names them: (flagged ones, the others)."""
    parsed = Guideline.from_bytes(guideline_path(name).read_bytes())
    entries = [entry.test for entry in parsed.tests_for("platform")]
    flagged = sorted(t.list_entry() for t in entries if t.flag is not None)
    plain = sorted(t.list_entry() for t in entries if t.flag is None)
    return flagged, plain


def console_world(app: Flask, client: FlaskClient) -> ConsoleWorld:
    world = certification_world(app, client, GUIDELINE)
    flagged, plain = _tests(GUIDELINE)
    skipped_flag, failed = flagged[0], plain[0]
    everything = set(flagged) | set(plain)
    eligible = world.submit(
        GUIDELINE,
        passed=tuple(sorted(everything - {skipped_flag})),
        evidence_digest="sha256:" + hashlib.sha256(STREAM).hexdigest(),
    )
    url = f"/v2/submissions/{eligible}/evidence"
    put = client.put(url, data=STREAM, content_type="application/octet-stream", headers=bearer(world.vendor.token))
    ok(put, 201)
    failing = world.submit(GUIDELINE, passed=tuple(sorted(everything - {failed})), failed=(failed,))
    bob = make_user(app, "bob")
    bobco = new_vendor(client, bob, "Bobco")
    product = new_product(client, bob, bobco, "Bob Cloud")["id"]
    version = ok(client.post(f"/v2/products/{product}/versions", json={"version": "1.0"}, headers=bearer(bob)), 201)
    return ConsoleWorld(
        world, eligible, failing, skipped_flag.split("[")[0], failed.split("[")[0], bob, bobco, version["id"]
    )
