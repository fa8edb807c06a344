"""Certificates of certifications approved through the API, until the server issues them itself:
the statement made from the stored record, kept in ``certificates`` and recorded in the log's
``certification.issued`` entry, and the file served as the server will serve it (the statement
signed by the app's foundation key, with the proof and checkpoint of the tree as it is now)."""

from __future__ import annotations

from flask import Flask
from refstack_lite_client.transparency import log_entries
from refstack_lite_client.transparency.certificate import (
    Certificate,
    build_statement,
    sign_certificate,
    statement_digest,
)
from refstack_lite_client.transparency.certificate_file import CertificateFile, LogProof
from refstack_lite_client.transparency.checkpoint import Checkpoint, sign_checkpoint

from refstack_lite import foundation_key
from refstack_lite.db import get_session
from refstack_lite.models import Certificate as CertificateRow
from refstack_lite.models import CertificationRecord
from refstack_lite.transparency import checkpoints, log_store


def issue(app: Flask, certification_id: str) -> int:
    """Make, store and log the certificate of a certification just approved; its log index."""
    with app.app_context():
        session = get_session()
        record = session.get(CertificationRecord, certification_id)
        assert record is not None
        signer = foundation_key.of(app).signer
        version, submission, revision, key = (
            record.product_version,
            record.submission,
            record.guideline_revision,
            record.signing_key,
        )
        assert key is not None
        said = Certificate(
            origin=checkpoints.origin(signer),
            certification_id=record.id,
            program=record.program,
            target=record.program.removeprefix("powered-"),
            guideline=record.guideline_name,
            guideline_digest=record.guideline_digest,
            vendor_id=record.vendor_id,
            vendor_name=record.vendor.name,
            product_id=version.product.id,
            product_name=version.product.name,
            product_version_id=version.id,
            product_version=version.version,
            cpid=version.cpid,
            submission_id=submission.id,
            source=submission.source,
            envelope_digest=submission.envelope_digest,
            signer_fingerprint=key.fingerprint,
            signer_public_key=" ".join(key.public_key.split()[:2]),
            signature=None,
            decided_at=record.decided_at,
            reviewer_role="reviewer",
            validity_rule="valid while its guideline is among the program's 2 newest approved guidelines",
            family=revision.guideline.family,
            accepted_guidelines=2,
        )
        statement = build_statement(said)
        fields = {
            "certification": record.id,
            "vendor": record.vendor_id,
            "product_version": version.id,
            "program": record.program,
            "target": said.target,
            "guideline": record.guideline_name,
            "guideline_digest": record.guideline_digest,
            "submission": submission.id,
            "envelope_digest": submission.envelope_digest,
            "signer": key.fingerprint,
            "reviewer_role": said.reviewer_role,
            "statement_digest": statement_digest(statement),
        }
        index = log_store.append(session, log_entries.CERTIFICATION_ISSUED, record.decided_at, fields, record.id)
        session.add(
            CertificateRow(
                certification_id=record.id, statement=statement, digest=fields["statement_digest"], log_index=index
            )
        )
        session.commit()
        return index


def certificate_file(app: Flask, certification_id: str) -> bytes:
    """The certificate file as ``app`` serves it now."""
    with app.app_context():
        session = get_session()
        row = session.get(CertificateRow, certification_id)
        assert row is not None
        signer = foundation_key.of(app).signer
        tree = log_store.tree(session)
        [(_, entry)] = log_store.entries(session, row.log_index, row.log_index + 1)
        proof = LogProof(
            origin=checkpoints.origin(signer),
            index=row.log_index,
            entry=entry,
            size=tree.size,
            inclusion=tuple(log_store.inclusion_proof(session, row.log_index, tree.size)),
            checkpoint=sign_checkpoint(Checkpoint(checkpoints.origin(signer), tree.size, tree.root), signer).decode(
                "utf-8"
            ),
        )
        return CertificateFile(sign_certificate(signer, row.statement), proof).encode()
