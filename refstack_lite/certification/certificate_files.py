"""The certificate file of a certification, as served: the stored statement signed now by the
foundation key (Ed25519 is deterministic: the same key gives the same envelope), with its log
entry, the inclusion proof and the signed checkpoint of one tree, read once.

Who may read it: whoever may see the certification (``records.get``). A statement never names the
product version's cloud id (cpid), which stays private, only its SHA-256.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from refstack_lite_client.transparency.certificate import sign_certificate
from refstack_lite_client.transparency.certificate_file import CertificateFile, LogProof
from refstack_lite_client.transparency.note import Signer
from sqlalchemy.orm import Session

from refstack_lite.certification import records
from refstack_lite.errors import NotFound
from refstack_lite.models import Certificate, CertificationRecord
from refstack_lite.services.actors import Actor
from refstack_lite.transparency import checkpoints, log_store


@dataclass(frozen=True)
class Served:
    body: bytes
    public: bool  # anyone may read it, so shared caches may keep it


def filename(certification_id: str) -> str:
    return f"certification-{certification_id}.json"


def verify_command(certification_id: str, vkey: str) -> str:
    """The client command that checks the downloaded file against the pinned foundation key, offline."""
    return shlex.join(
        ["refstack-lite-client", "verify-certification", filename(certification_id), "--foundation-key", vkey]
    )


@dataclass(frozen=True)
class Readable:
    record: CertificationRecord
    certificate: Certificate
    public: bool  # anyone may read it, so shared caches may keep it


def readable(session: Session, actor: Actor, certification_id: str) -> Readable:
    """The certificate the actor may read; raises ``NotFound`` for a certification the actor may
    not see and one approved before certificates existed (``certificate-missing``)."""
    record = records.get(session, actor, certification_id)
    row = session.get(Certificate, record.id)
    if row is None:
        raise NotFound(
            f"certification {record.id} has no certificate: it was approved before certificates existed",
            slug="certificate-missing",
        )
    product = record.product_version.product
    return Readable(record, row, product.public and product.vendor.status == "official")


def served(session: Session, actor: Actor, certification_id: str, signer: Signer) -> Served:
    """The file of the certificate the actor may read (``readable``)."""
    found = readable(session, actor, certification_id)
    return Served(proved(session, found.certificate, signer).encode(), found.public)


def proved(session: Session, row: Certificate, signer: Signer) -> CertificateFile:
    """The certificate of ``row`` with the proof of its entry in the tree as it is now."""
    tree = log_store.tree(session)  # once: the proof and the checkpoint are of this size
    [(_, entry)] = log_store.entries(session, row.log_index, row.log_index + 1)
    proof = LogProof(
        origin=checkpoints.origin(signer),
        index=row.log_index,
        entry=entry,
        size=tree.size,
        inclusion=tuple(log_store.inclusion_proof(session, row.log_index, tree.size)),
        checkpoint=checkpoints.signed(tree, signer).decode("utf-8"),
    )
    return CertificateFile(sign_certificate(signer, row.statement), proof)
