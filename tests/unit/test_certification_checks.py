"""The automatic checks of a certification request: each branch, by its stable name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from refstack_lite.certification import checks
from refstack_lite.certification.checks import Facts, Key

SIGNED = datetime(2026, 3, 1, tzinfo=UTC)
BEFORE, AFTER = SIGNED - timedelta(days=1), SIGNED + timedelta(days=1)
KEY = Key("acme", "SHA256:abc", None, None, None)
GOOD = Facts(
    vendor_id="acme",
    vendor_name="Acme",
    vendor_status="official",
    guideline="2020.06",
    target="platform",
    verdict=(True, "every required test passed"),
    guideline_accepted=True,
    signed_at=SIGNED,
    key=KEY,
    version_id="v1",
    version_cpid=None,
    submission_version_id="v1",
    submission_cpid=None,
    required_components=(),
    certified_components=frozenset(),
)


def failing(facts: Facts) -> list[str]:
    return [c.name for c in checks.failed(checks.run(facts))]


def test_every_check_passes_and_runs_in_order() -> None:
    results = checks.run(GOOD)
    assert [c.name for c in results] == list(checks.NAMES)
    assert all(c.passed for c in results)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"verdict": None}, "submission-eligible"),
        ({"verdict": (False, "3 required tests failed")}, "submission-eligible"),
        ({"key": None}, "signed-by-active-vendor-key"),
        ({"key": replace(KEY, vendor_id="bobco")}, "signed-by-active-vendor-key"),
        ({"key": replace(KEY, retired_at=BEFORE)}, "signed-by-active-vendor-key"),
        ({"key": replace(KEY, revoked_at=BEFORE)}, "signed-by-active-vendor-key"),
        ({"key": replace(KEY, revoked_at=AFTER, compromised_since=BEFORE)}, "signed-by-active-vendor-key"),
        ({"guideline_accepted": False}, "guideline-accepted"),
        ({"vendor_status": "pending"}, "vendor-official"),
        ({"submission_version_id": "v2"}, "product-version-matches"),
        ({"submission_version_id": None}, "product-version-matches"),
        (
            {"submission_version_id": None, "submission_cpid": "c1", "version_cpid": "c2"},
            "product-version-matches",
        ),
        ({"required_components": ("os_powered_compute",)}, "platform-components"),
    ],
)
def test_each_failure_is_named(changes: dict[str, object], name: str) -> None:
    assert failing(replace(GOOD, **changes)) == [name]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"key": replace(KEY, retired_at=AFTER, revoked_at=AFTER)},  # retired and revoked after it came
        {"key": replace(KEY, revoked_at=AFTER, compromised_since=AFTER)},
        {"submission_version_id": None, "submission_cpid": "c1", "version_cpid": "c1"},
        {"required_components": ("os_powered_compute",), "certified_components": frozenset({"os_powered_compute"})},
    ],
)
def test_what_still_passes(changes: dict[str, object]) -> None:
    assert failing(replace(GOOD, **changes)) == []  # type: ignore[arg-type]


def test_every_failure_at_once() -> None:
    bad = replace(
        GOOD,
        verdict=None,
        key=None,
        guideline_accepted=False,
        vendor_status="private",
        submission_version_id="v9",
        required_components=("os_powered_compute",),
    )
    assert failing(bad) == list(checks.NAMES)
