"""``refstack-lite-client verify-certification``: a certificate checked offline from files only, and
every tamper caught with a message that says what did not hold; ``--online`` against a real HTTP log."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from refstack_lite_client.cli import main
from refstack_lite_client.transparency import log_entries
from refstack_lite_client.transparency.certificate import sign_certificate
from refstack_lite_client.transparency.note import Signer

from tests.certificates import (
    Issued,
    foundation_signer,
    guideline_bytes,
    issue,
    issued_entry,
    required_names,
    status_entry,
    submission_entry,
    v1_body,
    v1_signature,
    v2_bundle,
    vendor_key,
)
from tests.log_server import LogServer, MemoryLog, serving

OFFLINE_LINES = ("signature:  ", "statement:  ", "checkpoint: ", "log entry:  ", "inclusion:  ")


@pytest.fixture(scope="module")
def issued() -> Issued:
    return issue()


def write(folder: Path, name: str, data: bytes | dict[str, Any]) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def verify(certificate: Path, key: str, *extra: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["verify-certification", str(certificate), "--foundation-key", key, *extra], env=env
    )


def verified_lines(result: Result) -> list[str]:
    return [line.split(":", 1)[0] for line in result.stdout.splitlines()]


def test_a_good_certificate_verifies_offline_line_by_line(tmp_path: Path, issued: Issued) -> None:
    result = verify(write(tmp_path, "c.json", issued.file.encode()), issued.signer.verifier.vkey)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line[:12] for line in lines[:5]] == list(OFFLINE_LINES)
    assert (
        lines[0]
        == f"signature:  the certificate is signed by the pinned foundation key {issued.signer.verifier.fingerprint}"
    )
    assert lines[3].startswith(
        "log entry:  entry 5 records certification.issued of cert-1 with the statement's digest sha256:"
    )
    assert lines[4] == "inclusion:  entry 5 is in the tree of 6 entries the checkpoint signs"
    assert lines[5].startswith("VERIFIED: certification cert-1 of Acme Acme Cloud 2026.1 (program powered-platform")
    assert "give --bundle and --guideline to re-compute the verdict yourself" in lines[5]
    assert result.stderr == ""


def test_the_key_may_be_a_file_with_its_vkey_line_or_its_pem(tmp_path: Path, issued: Issued) -> None:
    certificate = write(tmp_path, "c.json", issued.file.encode())
    vkey = write(tmp_path, "foundation.vkey", (issued.signer.verifier.vkey + "\n").encode())
    pem = write(tmp_path, "foundation.pem", issued.signer.verifier.public_pem.encode())
    for key in (vkey, pem):
        result = verify(certificate, str(key))
        assert result.exit_code == 0, result.output
        assert "checkpoint: signed by refstack.example.org (" in result.stdout


def test_with_the_bundle_and_the_guideline_the_verdict_is_recomputed(tmp_path: Path, issued: Issued) -> None:
    result = verify(
        write(tmp_path, "c.json", issued.file.encode()),
        issued.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "bundle.dsse.json", issued.submitted)),
        "--guideline",
        str(write(tmp_path, "2020.06.json", guideline_bytes())),
    )
    assert result.exit_code == 0, result.output
    assert verified_lines(result)[5:] == ["bundle", "vendor", "guideline", "verdict", "VERIFIED"]
    assert (
        "verdict:    re-computed: eligible for target platform of 2020.06 (284 required tests, 284 passed)"
        in result.stdout
    )
    assert result.stdout.splitlines()[-1].endswith("the verdict re-computed from the bundle and the guideline agrees")


def test_a_v1_certification_checks_the_refstack_upload_and_its_signature(tmp_path: Path) -> None:
    v1 = issue(source="v1")
    result = verify(
        write(tmp_path, "c.json", v1.file.encode()),
        v1.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "upload.json", v1.submitted)),
        "--guideline",
        str(write(tmp_path, "2020.06.json", guideline_bytes())),
    )
    assert result.exit_code == 0, result.output
    assert "vendor:     the v1 submission is signed by the vendor key SHA256:" in result.stdout
    assert "(ssh-rsa)" in result.stdout
    assert "re-computed: eligible for target platform" in result.stdout


# --- tampering: each is caught, with what did not hold ---------------------------------------


def _resigned(issued: Issued, signer: Signer) -> dict[str, Any]:
    document = issued.file.to_json()
    document["envelope"] = sign_certificate(signer, issued.statement)
    return document


def _statement_altered(issued: Issued) -> dict[str, Any]:
    document = issued.file.to_json()
    statement = json.loads(issued.statement)
    statement["predicate"]["certification"]["target"] = "compute"
    altered = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    document["envelope"]["payload"] = base64.b64encode(altered).decode()
    return document


def _entry(issued: Issued, data: bytes) -> dict[str, Any]:
    document = issued.file.to_json()
    document["log"]["entry"] = base64.b64encode(data).decode()
    return document


def _log(issued: Issued, **changes: Any) -> dict[str, Any]:
    document = issued.file.to_json()
    document["log"].update(changes)
    return document


def _proof_altered(issued: Issued) -> dict[str, Any]:
    proof = [base64.b64decode(h) for h in issued.file.to_json()["log"]["inclusion"]]
    proof[1] = bytes(32)
    return _log(issued, inclusion=[base64.b64encode(h).decode() for h in proof])


def _same_fields_other_time(issued: Issued) -> bytes:
    entry = log_entries.parse_entry(issued.file.log.entry)
    return log_entries.encode_entry(entry.kind, entry.at.replace(microsecond=1), entry.fields)


def _altered_checkpoint(issued: Issued) -> str:
    """The certificate's checkpoint with another tree's root, its signature line kept."""
    text, signatures = issued.file.log.checkpoint.split("\n\n")
    origin, size, _ = text.split("\n")
    other_root = base64.b64encode(issued.log.root(3)).decode()
    return f"{origin}\n{size}\n{other_root}\n\n{signatures}"


TAMPERS: list[tuple[str, Callable[[Issued], dict[str, Any]], Callable[[Issued], str]]] = [
    (
        "statement altered",
        _statement_altered,
        lambda i: (
            f"the certificate's signature by {i.signer.verifier.fingerprint} does not verify: its statement was altered"
        ),
    ),
    (
        "envelope re-signed by another key",
        lambda i: _resigned(i, OTHER),
        lambda i: (
            f"the certificate is signed by {OTHER.verifier.fingerprint}, not by the pinned foundation key {i.signer.verifier.fingerprint}"
        ),
    ),
    (
        "entry with another statement digest",
        lambda i: _entry(i, issued_entry(i.certificate, b"another statement")),
        lambda i: "the log entry's statement digest 'sha256:",
    ),
    (
        "entry with another verdict's target",
        lambda i: _entry(i, issued_entry(i.certificate, i.statement, target="compute")),
        lambda i: "the log entry's target 'compute' differs from the certificate's 'platform'",
    ),
    (
        "entry of another kind",
        lambda i: _entry(i, submission_entry(9)),
        lambda i: "the log entry 5 is a submission.accepted entry, not certification.issued",
    ),
    (
        "entry altered where the certificate cannot tell",
        lambda i: _entry(i, _same_fields_other_time(i)),
        lambda i: (
            "the log entry 5 is not proven in the tree of 6 entries the checkpoint signs: the proof of leaf 5 leads to root"
        ),
    ),
    (
        "entry not canonical",
        lambda i: _entry(i, i.file.log.entry.replace(b'{"at"', b'{ "at"')),
        lambda i: "the log entry 5: the entry is not in canonical form",
    ),
    (
        "inclusion proof altered",
        _proof_altered,
        lambda i: "the log entry 5 is not proven in the tree of 6 entries the checkpoint signs",
    ),
    (
        "inclusion proof for another index",
        lambda i: _log(i, index=4),
        lambda i: "the log entry 4 is not proven",
    ),
    (
        "checkpoint re-signed by another key under the same name",
        lambda i: _log(i, checkpoint=i.log.checkpoint(signer=Signer(i.signer.name, OTHER.private_key))),
        lambda i: (
            f"the log checkpoint: the checkpoint is not signed by the pinned foundation key refstack.example.org+{i.signer.verifier.key_hash:08x} ({i.signer.verifier.fingerprint}); it is signed by: refstack.example.org+"
        ),
    ),
    (
        "checkpoint signed by another key only",
        lambda i: _log(i, checkpoint=i.log.checkpoint(signer=OTHER)),
        lambda i: "the log checkpoint: the checkpoint is not signed by the pinned foundation key refstack.example.org+",
    ),
    (
        "checkpoint altered after signing",
        lambda i: _log(i, checkpoint=_altered_checkpoint(i)),
        lambda i: "the log checkpoint: the signature by the known key refstack.example.org+",
    ),
    (
        "checkpoint of another log",
        lambda i: _log(i, checkpoint=i.log.checkpoint(origin="elsewhere.example/log")),
        lambda i: "the checkpoint is of the log 'elsewhere.example/log', not of 'refstack.example.org/log'",
    ),
    (
        "file naming another log",
        lambda i: _log(i, origin="elsewhere.example/log"),
        lambda i: (
            "the file's log origin is 'elsewhere.example/log', not the pinned foundation key's log 'refstack.example.org/log'"
        ),
    ),
    (
        "checkpoint of another size than the proof",
        lambda i: _log(i, checkpoint=i.log.checkpoint(5)),
        lambda i: "the checkpoint signs a tree of 5 entries, the file's proof is for 6",
    ),
]
OTHER = foundation_signer("other.example")


@pytest.mark.parametrize(("name", "tamper", "says"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_a_tampered_certificate_file_is_caught(
    tmp_path: Path, issued: Issued, name: str, tamper: Callable[[Issued], dict[str, Any]], says: Callable[[Issued], str]
) -> None:
    result = verify(write(tmp_path, "c.json", tamper(issued)), issued.signer.verifier.vkey)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: NOT VERIFIED: ")
    assert says(issued) in result.stderr
    assert "VERIFIED:" not in result.stdout
    assert "Traceback" not in result.output


def test_lines_stop_at_the_first_check_that_fails(tmp_path: Path, issued: Issued) -> None:
    result = verify(write(tmp_path, "c.json", _proof_altered(issued)), issued.signer.verifier.vkey)
    assert verified_lines(result) == ["signature", "statement", "checkpoint", "log entry"]


def test_a_certificate_whose_statement_the_foundation_signed_wrongly_is_refused(tmp_path: Path, issued: Issued) -> None:
    document = issued.file.to_json()
    statement = json.loads(issued.statement)
    statement["predicate"]["verifier"]["id"] = "elsewhere.example/log"
    document["envelope"] = sign_certificate(
        issued.signer, json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    )
    result = verify(write(tmp_path, "c.json", document), issued.signer.verifier.vkey)
    assert result.exit_code == 1
    assert "the certificate's verifier is 'elsewhere.example/log', not the pinned foundation key's log" in result.stderr


def test_a_bundle_of_another_run_is_not_the_certified_one(tmp_path: Path, issued: Issued) -> None:
    other = v2_bundle(challenge="another-run")
    result = verify(
        write(tmp_path, "c.json", issued.file.encode()),
        issued.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "other.dsse.json", other)),
    )
    assert result.exit_code == 1
    assert (
        f"the bundle's SHA-256 is sha256:{__import__('hashlib').sha256(other).hexdigest()}, the certificate certifies {issued.certificate.envelope_digest}"
        in result.stderr
    )


def test_a_guideline_of_another_digest_is_not_the_certified_one(tmp_path: Path, issued: Issued) -> None:
    result = verify(
        write(tmp_path, "c.json", issued.file.encode()),
        issued.signer.verifier.vkey,
        "--guideline",
        str(write(tmp_path, "2019.11.json", guideline_bytes("2019.11"))),
    )
    assert result.exit_code == 1
    assert "the guideline's SHA-256 is " in result.stderr
    assert (
        f"the certificate's policy digest is {issued.certificate.guideline_digest} (guideline 2020.06)" in result.stderr
    )


def test_a_certified_bundle_that_is_not_eligible_is_caught(tmp_path: Path) -> None:
    names = required_names()
    dropped = sorted(names)[:3]
    poor = issue(submitted=v2_bundle(passed=[n for n in names if n not in dropped]))
    result = verify(
        write(tmp_path, "c.json", poor.file.encode()),
        poor.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "bundle.dsse.json", poor.submitted)),
        "--guideline",
        str(write(tmp_path, "2020.06.json", guideline_bytes())),
    )
    assert result.exit_code == 1
    first = dropped[0].split("[")[0]
    assert (
        f"NOT VERIFIED: re-computed verdict: not eligible for target platform: 3 required tests did not pass (first: {first})"
        in result.stderr
    )
    assert verified_lines(result)[-1] == "guideline"


def test_a_bundle_signed_by_another_vendor_key_is_caught(tmp_path: Path) -> None:
    theirs = v2_bundle(key=vendor_key(9))
    forged = issue(submitted=theirs)  # the certificate names the default vendor key, not the bundle's
    result = verify(
        write(tmp_path, "c.json", forged.file.encode()),
        forged.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "bundle.dsse.json", theirs)),
    )
    assert result.exit_code == 1
    assert (
        f"the bundle's vendor signature does not verify with the certified key {forged.certificate.signer_fingerprint}"
        in result.stderr
    )


def test_a_v1_signature_that_is_not_the_keys_is_caught(tmp_path: Path) -> None:
    body = v1_body()
    v1 = issue(source="v1", submitted=body, signature=v1_signature(body + b" "))
    result = verify(
        write(tmp_path, "c.json", v1.file.encode()),
        v1.signer.verifier.vkey,
        "--bundle",
        str(write(tmp_path, "upload.json", body)),
    )
    assert result.exit_code == 1
    assert "the certificate's v1 signature is not the vendor key SHA256:" in result.stderr


def test_a_file_that_is_no_certificate_is_refused(tmp_path: Path, issued: Issued) -> None:
    result = verify(write(tmp_path, "c.json", b'{"format": "something else"}'), issued.signer.verifier.vkey)
    assert result.exit_code == 1
    assert "NOT VERIFIED: not a certificate file of format 'refstack-lite-certificate/v1'" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--foundation-key", "not-a-key"], "'not-a-key' is no file, nor a verifier key"),
        (["--state", "s.json"], "--server and --state go with --online"),
    ],
)
def test_bad_usage_is_exit_status_2(tmp_path: Path, issued: Issued, args: list[str], says: str) -> None:
    certificate = write(tmp_path, "c.json", issued.file.encode())
    key = [] if "--foundation-key" in args else ["--foundation-key", issued.signer.verifier.vkey]
    result = CliRunner().invoke(main, ["verify-certification", str(certificate), *key, *args])
    assert result.exit_code == 2
    assert says in result.stderr


# --- online: the status now, from the log ------------------------------------------------------


@pytest.fixture
def live() -> Iterator[tuple[Issued, LogServer]]:
    fresh = issue()
    with serving(fresh.log) as server:
        yield fresh, server


def online(tmp_path: Path, issued: Issued, server: LogServer, *extra: str) -> Result:
    certificate = write(tmp_path, "c.json", issued.file.encode())
    return verify(certificate, issued.signer.verifier.vkey, "--online", "--server", server.url, *extra)


def test_online_an_active_certification_is_proven_in_the_log_now(
    tmp_path: Path, live: tuple[Issued, LogServer]
) -> None:
    issued, server = live
    issued.log.append(submission_entry(20))
    issued.log.append(submission_entry(21))
    state = tmp_path / "state.json"
    result = online(tmp_path, issued, server, "--state", str(state))
    assert result.exit_code == 0, result.output
    assert verified_lines(result)[5:] == ["log now", "status", "state", "VERIFIED"]
    assert (
        f"log now:    8 entries at {server.url}, consistent with the certificate's checkpoint (6 entries)"
        in result.stdout
    )
    assert "status:     certification cert-1 is active" in result.stdout
    assert json.loads(state.read_text())["size"] == 8
    assert "frontier" not in json.loads(state.read_text())
    assert "; active now" in result.stdout

    issued.log.append(submission_entry(22))
    again = online(tmp_path, issued, server, "--state", str(state))
    assert again.exit_code == 0, again.output
    assert f"and the checkpoint saved in {state} on " in again.stdout
    assert json.loads(state.read_text())["size"] == 9


def test_online_a_later_revocation_is_reported(tmp_path: Path, live: tuple[Issued, LogServer]) -> None:
    issued, server = live
    issued.log.append(submission_entry(20))
    issued.log.append(status_entry())
    result = online(tmp_path, issued, server)
    assert result.exit_code == 1
    assert (
        "status:     certification cert-1 is revoked since 2026-04-01T00:00:00Z (the vendor's key was compromised)"
        in result.stdout
    )
    assert "NOT VALID NOW: the certificate is genuine, but certification cert-1 is revoked since" in result.stderr
    assert "VERIFIED:" not in result.stdout
    assert any("/v2/log/proof/inclusion?index=7&size=8" in r for r in server.requests)


def _fork_of(issued: Issued, size: int) -> MemoryLog:
    fork = MemoryLog(issued.signer, list(issued.log.leaves))
    fork.leaves[0] = submission_entry(99)
    while fork.size < size:
        fork.append(submission_entry(100 + fork.size))
    return fork


def test_online_a_checkpoint_that_does_not_extend_the_certificates_is_a_fork(
    tmp_path: Path, live: tuple[Issued, LogServer]
) -> None:
    issued, server = live
    server.log = _fork_of(issued, 9)
    result = online(tmp_path, issued, server)
    assert result.exit_code == 1
    assert "NOT VERIFIED: FORK: the log's checkpoint of 9 entries (root " in result.stderr
    assert "is not an extension of the certificate's checkpoint (6 entries, root " in result.stderr


def test_online_a_rollback_below_the_saved_checkpoint_is_caught(tmp_path: Path, live: tuple[Issued, LogServer]) -> None:
    issued, server = live
    for number in range(3):
        issued.log.append(submission_entry(30 + number))
    state = tmp_path / "state.json"
    assert online(tmp_path, issued, server, "--state", str(state)).exit_code == 0
    saved = state.read_bytes()
    server.checkpoint_note = issued.log.checkpoint(7)
    result = online(tmp_path, issued, server, "--state", str(state))
    assert result.exit_code == 1
    assert "ROLLBACK: the log's checkpoint has 7 entries, fewer than the 9 of the checkpoint saved in" in result.stderr
    assert state.read_bytes() == saved


def test_online_a_log_that_no_longer_lists_the_entry_is_caught(tmp_path: Path, live: tuple[Issued, LogServer]) -> None:
    issued, server = live
    served = list(issued.log.leaves)
    served[5] = issued_entry(issued.certificate, issued.statement, reviewer_role="someone else")
    server.served = served
    result = online(tmp_path, issued, server)
    assert result.exit_code == 1
    assert "the log no longer lists the certificate's entry 5 among those of certification cert-1" in result.stderr


def test_online_a_listed_entry_not_in_the_tree_is_caught(tmp_path: Path, live: tuple[Issued, LogServer]) -> None:
    issued, server = live
    issued.log.append(submission_entry(40))
    server.served = [*issued.log.leaves[:6], status_entry()]
    result = online(tmp_path, issued, server)
    assert result.exit_code == 1
    assert "the log's entry 6 is not proven in its tree of 7 entries" in result.stderr


def test_online_without_a_server_is_a_usage_error(tmp_path: Path, issued: Issued) -> None:
    certificate = write(tmp_path, "c.json", issued.file.encode())
    env: dict[str, str | None] = {
        "REFSTACK_LITE_URL": None,
        "REFSTACK_LITE_CONFIG": None,
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = verify(certificate, issued.signer.verifier.vkey, "--online", env=env)
    assert result.exit_code == 2
    assert "no server to read the log from: pass --server URL" in result.stderr


def test_online_an_unreachable_log_is_exit_status_2(
    tmp_path: Path, issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("refstack_lite_client.log_options.DEFAULT_RETRIES", 0)
    with serving(issued.log) as server:
        url = server.url
    result = verify(
        write(tmp_path, "c.json", issued.file.encode()), issued.signer.verifier.vkey, "--online", "--server", url
    )
    assert result.exit_code == 2
    assert f"cannot reach {url}" in result.stderr
    assert "nothing was checked against the log" in result.stderr


def test_the_pem_key_is_enough_online(tmp_path: Path, live: tuple[Issued, LogServer]) -> None:
    issued, server = live
    pem = issued.signer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    certificate = write(tmp_path, "c.json", issued.file.encode())
    result = verify(certificate, str(write(tmp_path, "f.pem", pem)), "--online", "--server", server.url)
    assert result.exit_code == 0, result.output
