"""Runs that differ from a full 2020.06 pass in one telling way, the people around a vendor's
submission, and a revised copy of a guideline: set-up for the reading and evidence tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import bundle
from refstack_lite_client.guideline import Guideline, RequiredTest, Test

from refstack_lite import guideline_registry
from refstack_lite.db import get_session
from refstack_lite.guideline_sources import Document
from tests.conftest import interop_path
from tests.functional.api_helpers import add_member, new_vendor, ok
from tests.functional.submission_helpers import GUIDELINE, Vendor, ready_vendor
from tests.identity import bearer, make_user

TARGETS = ("compute", "object", "platform")


@cache
def guideline_bytes(name: str = GUIDELINE) -> bytes:
    return (interop_path() / f"{name}.json").read_bytes()


def guideline(name: str = GUIDELINE) -> Guideline:
    return Guideline.from_bytes(guideline_bytes(name))


def required(target: str, name: str = GUIDELINE) -> list[RequiredTest]:
    return guideline(name).tests_for(target)


def object_only_test() -> Test:
    """A non-flagged test required for object (so for platform) but not for compute."""
    compute = {entry.test.name for entry in required("compute")}
    return next(e.test for e in required("object") if not e.test.flagged and e.test.name not in compute)


def flagged_test(target: str = "platform") -> Test:
    return next(entry.test for entry in required(target) if entry.test.flagged)


def aliased_test(target: str = "platform") -> tuple[Test, str]:
    """A non-flagged required test and an alias of it that names no other required test."""
    names = {entry.test.name for entry in required(target)}
    for entry in required(target):
        free = [alias for alias in entry.test.aliases if alias not in names]
        if free and not entry.test.flagged:
            return entry.test, free[0]
    raise AssertionError(f"{GUIDELINE} {target} has no aliased test")


def without(results: bundle.Results, *tests: Test) -> bundle.Results:
    """``results`` with ``tests`` not run at all."""
    gone = {test.list_entry() for test in tests}
    assert gone <= set(results.passed)
    return replace(results, passed=tuple(n for n in results.passed if n not in gone))


def through_alias(results: bundle.Results, test: Test, alias: str) -> bundle.Results:
    """``results`` where ``test`` passed under its old name ``alias`` only."""
    passed = [test.list_entry(alias) if n == test.list_entry() else n for n in results.passed]
    assert passed != list(results.passed)
    return replace(results, passed=tuple(passed))


def statement_bytes(results: bundle.Results) -> bytes:
    return bundle.encode_statement(bundle.build_statement(results))


def write_revised(folder: Path, flag: Test) -> Path:
    """A copy of 2020.06 in ``folder`` in which ``flag`` is flagged wherever it is listed."""
    document: dict[str, Any] = json.loads(guideline_bytes())
    listed = 0
    for capability in document["capabilities"].values():
        details = capability["tests"].get(flag.name)
        if details is not None:
            details["flagged"] = {"date": "2026-11-25", "reason": "test revision", "action": "flag"}
            listed += 1
    assert listed
    path = folder / f"{GUIDELINE}.json"
    path.write_text(json.dumps(document, indent=2))
    return path


NEW_REQUIREMENT = "tempest.api.compute.test_new_requirement.NewRequirementTest.test_it"


def write_with_new_requirement(folder: Path) -> Path:
    """A copy of 2020.06 in ``folder`` whose first required compute capability also requires
    ``NEW_REQUIREMENT``, a test no run has passed: a revision that makes eligible runs ineligible."""
    document: dict[str, Any] = json.loads(guideline_bytes())
    capability = document["components"]["os_powered_compute"]["capabilities"]["required"][0]
    document["capabilities"][capability]["tests"][NEW_REQUIREMENT] = {"idempotent_id": "id-" + str(uuid.UUID(int=7))}
    path = folder / f"{GUIDELINE}.json"
    path.write_text(json.dumps(document))
    return path


def import_revised(app: Flask, folder: Path, flag: Test) -> str:
    """Import ``write_revised``'s copy of 2020.06: revision 2. Its digest, ``sha256:<hex>``."""
    path = write_revised(folder, flag)
    with app.app_context():
        session = get_session()
        (outcome,) = guideline_registry.import_documents(
            session, [Document(path.name, str(path), path.read_bytes())], datetime.now(UTC)
        )
        session.commit()
    assert (outcome.action, outcome.revision) == ("revised", 2)
    return "sha256:" + outcome.digest


@dataclass(frozen=True)
class People:
    """Tokens of everyone who might ask for Acme's submissions."""

    owner: str
    member: str
    admin: str
    reviewer: str
    other_vendor: str  # owner of another vendor
    invitee: str  # invited to Acme, not yet accepted
    loner: str  # in no vendor at all


def acme_and_people(app: Flask, client: FlaskClient, alice: str, root: str) -> tuple[Vendor, People]:
    """Acme (alice's, with key and product version) and the people around it."""
    vendor = ready_vendor(app, client, alice)
    member = make_user(app, "bob")
    add_member(client, alice, vendor.id, "bob", member)
    other = make_user(app, "mallory")
    new_vendor(client, other, "Bolt")
    invitee = make_user(app, "ivy")
    ok(client.post(f"/v2/vendors/{vendor.id}/members", json={"user": "ivy"}, headers=bearer(alice)), 201)
    people = People(
        owner=alice,
        member=member,
        admin=root,
        reviewer=make_user(app, "rita", "reviewer"),
        other_vendor=other,
        invitee=invitee,
        loner=make_user(app, "lou"),
    )
    return vendor, people
