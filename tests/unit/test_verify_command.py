"""``refstack-lite-client verify BUNDLE --public-key FILE``: an offline check anyone can run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from refstack_lite_client import keys
from refstack_lite_client.cli import main

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "bundles"
VENDOR_KEY = FIXTURES / "test-vendor-key.pub"


def verify(bundle: str, *extra: str, key: Path = VENDOR_KEY) -> Result:
    return CliRunner().invoke(main, ["verify", str(FIXTURES / bundle), "--public-key", str(key), *extra])


def test_a_valid_bundle_says_what_it_attests() -> None:
    result = verify("valid.dsse.json")
    assert result.exit_code == 0, result.output
    fingerprint = keys.parse_public_key(VENDOR_KEY.read_bytes()).fingerprint
    lines = result.stdout.splitlines()
    assert lines[0] == f"Verified:   signed by {fingerprint} (ssh-ed25519)"
    # The statement's result covers every test run; eligibility only the guideline's required tests.
    at = lines.index("Result:     FAILED: 3 passed, 1 failed, 1 skipped")
    assert lines[at + 1].strip() == "(the run's own result: FAILED when any test it ran failed, required or not)"
    assert lines[at + 2].startswith("Verdict:    not in the bundle: the server decides eligibility")
    assert any(line.startswith("Guideline:  2022.11 (sha256:") and line.endswith("target platform") for line in lines)


def test_json_output_matches_the_statement() -> None:
    result = verify("valid.dsse.json", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tests"] == {"passed": 3, "failed": 1, "skipped": 1}
    assert summary["signed_by"]["algorithm"] == "ssh-ed25519"
    assert summary["envelope_digest"].startswith("sha256:")
    assert summary["challenge"] == "fixture-challenge-0001"


@pytest.mark.parametrize(
    ("bundle", "says"),
    [
        ("tampered.dsse.json", "not verified (bad-signature)"),
        ("wrong-key.dsse.json", "not verified (bad-signature)"),
        ("unknown-key.dsse.json", "no signature is by a known key"),
        ("schema-invalid.dsse.json", "$.predicate: 'guideline' is a required property"),
        ("empty-results.dsse.json", "no test results"),
    ],
)
def test_a_bundle_that_does_not_verify_says_why(bundle: str, says: str) -> None:
    result = verify(bundle)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_the_signers_key_is_checked_not_just_any_key() -> None:
    result = verify("valid.dsse.json", key=FIXTURES / "other-key.pub")
    assert result.exit_code == 1
    assert "not by SHA256:" in result.stderr


def test_a_private_key_given_as_the_public_key_is_refused(tmp_path: Path) -> None:
    result = verify("valid.dsse.json", key=FIXTURES / "test-vendor-key")
    assert result.exit_code == 1
    assert "this is a private key; give the public key (.pub)" in result.stderr


def test_a_missing_bundle_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "nope.json"), "--public-key", str(VENDOR_KEY)])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
