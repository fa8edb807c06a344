"""Demo data for a newcomer's first run: the bundled guidelines, a small world of identities (a
foundation admin and reviewer, one official vendor with a public product), signed submissions
(eligible and not), and the invented ``widgets`` program's certifications: one active, one
expired by a newer guideline, and a request pending review, so the API has something to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from refstack_lite_client import bundle, keys
from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite import guideline_registry
from refstack_lite.certification import catalog, certificates, records, requests, status_changes
from refstack_lite.guideline_sources import Document
from refstack_lite.models import (
    CertificationRecord,
    CertificationRequest,
    Product,
    ProductVersion,
    Submission,
    User,
    Vendor,
)
from refstack_lite.services import accounts, challenges, products, signing_keys, vendors
from refstack_lite.services.actors import Actor
from refstack_lite.services.intake import v2_bundle

DEMO_TOKEN_LIFETIME = timedelta(days=7)
ADMIN = "demo-admin"
VENDOR = "Example Cloud Co"
REVIEWER = "demo-reviewer"
DEMO_GUIDELINE = "widgets.2026.05"
OLD_GUIDELINE = "widgets.2025.11"
CONSOLE = Actor(None, label="console:demo")  # who the demo command acts as in the audit trail
DEMO_PROGRAM = "widgets"


def guideline_documents(folder_name: str = "demo_data") -> list[Document]:
    """The demo guidelines imported on every run; ``demo_later`` holds the one that arrives after
    the first certifications (and expires the oldest), kept apart so that importing the folder
    ``demo_data`` gives the two guidelines alone."""
    folder = resources.files("refstack_lite") / folder_name
    return [
        Document(f.name, f"demo:{f.name}", f.read_bytes())
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json")
    ]


def seed_identities(session: Session, now: datetime) -> accounts.IssuedToken:
    """Create the demo world once (later runs keep it) and issue a fresh admin token."""
    admin = session.scalar(select(User).where(User.name == ADMIN))
    if admin is None:
        admin = accounts.create_user(session, CONSOLE, ADMIN, "demo-admin@example.org", "admin", now)
    if session.scalar(select(Vendor.id).where(Vendor.name == VENDOR)) is None:
        as_admin = Actor(admin)
        vendor = vendors.create(session, as_admin, VENDOR, "A vendor made by `refstack-lite demo`.", now)
        vendors.transition(session, as_admin, vendor, "apply", now)
        vendors.transition(session, as_admin, vendor, "approve", now)
        cloud = products.create(
            session, as_admin, vendor, now, name="Example Public Cloud", product_type="public_cloud", public=True
        )
        products.add_version(session, as_admin, cloud, now, "2026.1", "5f2a0c6e9d8b4e1fa0b3c7d2e6f81234")
        products.create(session, as_admin, vendor, now, name="Example Distribution", product_type="distribution")
    return accounts.issue_token(session, CONSOLE, admin, "demo", now, now + DEMO_TOKEN_LIFETIME)


def seed_submissions(session: Session, now: datetime) -> None:
    """Signed runs of the demo vendor, made once: one against the older guideline, then three
    against the demo guideline (one misses a required test). The signing key is made here and
    its private half forgotten."""
    admin = session.scalar(select(User).where(User.name == ADMIN))
    vendor = session.scalar(select(Vendor).where(Vendor.name == VENDOR))
    if admin is None or vendor is None or session.scalar(select(Submission.id).limit(1)) is not None:
        return
    actor = Actor(admin)
    private = keys.generate_private_key()
    public = keys.public_key_of(private).openssh
    registered_at = now - timedelta(hours=3)  # before the runs it signs
    issued = signing_keys.issue_challenge(session, actor, vendor, public, registered_at)
    signature = keys.sign(private, issued.message)
    signing_keys.register(session, actor, vendor, public, issued.challenge.id, signature, registered_at)
    version = session.scalar(
        select(ProductVersion).join(ProductVersion.product).where(ProductVersion.version == "2026.1")
    )
    policy = v2_bundle.Policy(accept_unchallenged=False)
    runs = ((OLD_GUIDELINE, True), (DEMO_GUIDELINE, True), (DEMO_GUIDELINE, False), (DEMO_GUIDELINE, True))
    for run, (name, passes) in enumerate(runs):
        revision = guideline_registry.current_revision(session, name)
        guideline = guideline_registry.parsed(session, revision)
        target = guideline.valid_targets()[0]
        required = sorted(entry.test.list_entry() for entry in guideline.tests_for(target))
        challenge = challenges.issue(session, actor, vendor, now - timedelta(hours=2), timedelta(hours=3))
        results = bundle.Results(
            guideline_id=name,
            guideline_digest="sha256:" + revision.digest,
            target=target,
            started_at=now - timedelta(minutes=80 - 20 * run),
            finished_at=now - timedelta(minutes=70 - 20 * run),
            runner={"refstack-lite-demo": "1"},
            passed=tuple(required if passes else required[1:]),
            failed=() if passes else tuple(required[:1]),
            product_version_id=None if version is None else version.id,
            challenge=challenge.nonce,
        )
        envelope = bundle.sign(bundle.encode_statement(bundle.build_statement(results)), private)
        v2_bundle.receive(session, actor, envelope, policy, results.finished_at + timedelta(minutes=5))


def seed_certifications(session: Session, now: datetime, issuer: certificates.Issuer) -> None:
    """The widgets program's certifications, made once: the vendor asks with its eligible runs
    and the demo reviewer approves two; then a newer guideline arrives, which expires the one
    resting on the oldest guideline at once; the last request waits for review."""
    admin = session.scalar(select(User).where(User.name == ADMIN))
    vendor = session.scalar(select(Vendor).where(Vendor.name == VENDOR))
    if admin is None or vendor is None or session.scalar(select(CertificationRequest.id).limit(1)) is not None:
        return
    reviewer = session.scalar(select(User).where(User.name == REVIEWER))
    if reviewer is None:
        reviewer = accounts.create_user(session, CONSOLE, REVIEWER, "demo-reviewer@example.org", "reviewer", now)
    eligible = [
        s
        for s in session.scalars(
            select(Submission).where(Submission.vendor_id == vendor.id).order_by(Submission.received_at)
        )
        if any(v.eligible for v in s.verdicts)
    ]
    if len(eligible) != 3 or eligible[0].product_version_id is None:
        return
    programs = {p.id: p for p in catalog.programs(session, issuer.window)}
    as_vendor, as_reviewer = Actor(admin), Actor(reviewer)
    for n, submission in enumerate(eligible):
        at = now - timedelta(minutes=3 - n)  # one after the other, before the newer guideline
        ask = requests.Ask(eligible[0].product_version_id, DEMO_PROGRAM, submission.id, None)
        request = requests.create(session, as_vendor, ask, programs, at)
        if n < 2:
            requests.approve(session, as_reviewer, request, "the demo reviewer approves", at, issuer)
    with status_changes.recorded(session, CONSOLE, issuer.window, now):
        guideline_registry.import_documents(session, guideline_documents("demo_later"), now)


def holds_demo(session: Session) -> bool:
    """Whether an earlier run made the demo world in this database."""
    return session.scalar(select(User.id).where(User.name == ADMIN)) is not None


@dataclass(frozen=True)
class Made:
    """One thing of the demo world: what it is, its id, and its path under the API."""

    kind: str
    id: str
    said: str
    path: str


def made(session: Session, window: int) -> list[Made]:
    """The demo vendor, its products and versions, its submissions, its certifications and its
    requests still pending, as they are stored."""
    vendor = session.scalar(select(Vendor).where(Vendor.name == VENDOR))
    if vendor is None:
        return []
    found = [Made("vendor", vendor.id, f"{vendor.name}, {vendor.status}", f"/v2/vendors/{vendor.id}")]
    for product in session.scalars(select(Product).where(Product.vendor_id == vendor.id).order_by(Product.name)):
        shown = "public" if product.public else "private"
        found.append(Made("product", product.id, f"{product.name}, {shown}", f"/v2/products/{product.id}"))
        for version in session.scalars(
            select(ProductVersion).where(ProductVersion.product_id == product.id).order_by(ProductVersion.version)
        ):
            path = f"/v2/products/{product.id}/versions/{version.id}"
            found.append(Made("version", version.id, f"{version.version} of {product.name}", path))
    submissions = session.scalars(
        select(Submission).where(Submission.vendor_id == vendor.id).order_by(Submission.received_at, Submission.id)
    )
    for submission in submissions:
        verdicts = ", ".join(
            f"{v.guideline_revision.guideline.name} {v.target}: {'eligible' if v.eligible else 'not eligible'}"
            for v in submission.verdicts
        )
        found.append(Made("submission", submission.id, verdicts, f"/v2/submissions/{submission.id}"))
    programs = {p.id: p for p in catalog.programs(session, window)}
    certified = session.scalars(
        records.loaded(select(CertificationRecord))
        .where(CertificationRecord.vendor_id == vendor.id)
        .order_by(CertificationRecord.decided_at, CertificationRecord.id)
    ).unique()
    for record in certified:
        status = records.status(record, programs)
        since = f" since {status.since:%Y-%m-%d %H:%M}" if status.since is not None else ""
        said = f"{record.program} on {record.guideline_name}: {status.status.value}{since}"
        found.append(Made("certification", record.id, said, f"/v2/certifications/{record.id}"))
    pending = session.scalars(
        select(CertificationRequest)
        .where(CertificationRequest.vendor_id == vendor.id, CertificationRequest.state == "pending")
        .order_by(CertificationRequest.requested_at, CertificationRequest.id)
    )
    for request in pending:
        said = f"{request.program} with submission {request.submission_id[:8]}: pending review"
        found.append(Made("request", request.id, said, f"/v2/certification-requests/{request.id}"))
    return found
