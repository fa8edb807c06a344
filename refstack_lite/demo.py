"""Demo data for a newcomer's first run: the bundled guidelines, a small world of identities (a
foundation admin, one official vendor with a public product) and two signed submissions, one
eligible and one not, so the API has something to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from refstack_lite_client import bundle, keys
from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite import guideline_registry
from refstack_lite.guideline_sources import Document
from refstack_lite.models import Product, ProductVersion, Submission, User, Vendor
from refstack_lite.services import accounts, challenges, products, signing_keys, vendors
from refstack_lite.services.actors import Actor
from refstack_lite.services.intake import v2_bundle

DEMO_TOKEN_LIFETIME = timedelta(days=7)
ADMIN = "demo-admin"
VENDOR = "Example Cloud Co"
DEMO_GUIDELINE = "widgets.2026.05"


def guideline_documents() -> list[Document]:
    folder = resources.files("refstack_lite") / "demo_data"
    return [
        Document(f.name, f"demo:{f.name}", f.read_bytes())
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".json")
    ]


def seed_identities(session: Session, now: datetime) -> accounts.IssuedToken:
    """Create the demo world once (later runs keep it) and issue a fresh admin token."""
    console = Actor(None, label="console:demo")
    admin = session.scalar(select(User).where(User.name == ADMIN))
    if admin is None:
        admin = accounts.create_user(session, console, ADMIN, "demo-admin@example.org", "admin", now)
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
    return accounts.issue_token(session, console, admin, "demo", now, now + DEMO_TOKEN_LIFETIME)


def seed_submissions(session: Session, now: datetime) -> None:
    """Two signed runs of the demo vendor against the demo guideline, made once: one passes every
    required test, one misses one. The signing key is made here and its private half forgotten."""
    admin = session.scalar(select(User).where(User.name == ADMIN))
    vendor = session.scalar(select(Vendor).where(Vendor.name == VENDOR))
    if admin is None or vendor is None or session.scalar(select(Submission.id).limit(1)) is not None:
        return
    actor = Actor(admin)
    private = keys.generate_private_key()
    public = keys.public_key_of(private).openssh
    issued = signing_keys.issue_challenge(session, actor, vendor, public, now)
    signature = keys.sign(private, issued.message)
    signing_keys.register(session, actor, vendor, public, issued.challenge.id, signature, now)
    revision = guideline_registry.current_revision(session, DEMO_GUIDELINE)
    guideline = guideline_registry.parsed(session, revision)
    target = guideline.valid_targets()[0]
    required = sorted(entry.test.list_entry() for entry in guideline.tests_for(target))
    version = session.scalar(
        select(ProductVersion).join(ProductVersion.product).where(ProductVersion.version == "2026.1")
    )
    policy = v2_bundle.Policy(accept_unchallenged=False)
    for run, passed in enumerate((required, required[1:])):
        challenge = challenges.issue(session, actor, vendor, now - timedelta(hours=1), timedelta(hours=3))
        results = bundle.Results(
            guideline_id=DEMO_GUIDELINE,
            guideline_digest="sha256:" + revision.digest,
            target=target,
            started_at=now - timedelta(minutes=50 - 20 * run),
            finished_at=now - timedelta(minutes=40 - 20 * run),
            runner={"refstack-lite-demo": "1"},
            passed=tuple(passed),
            failed=tuple(required[:1]) if run else (),
            product_version_id=None if version is None else version.id,
            challenge=challenge.nonce,
        )
        envelope = bundle.sign(bundle.encode_statement(bundle.build_statement(results)), private)
        v2_bundle.receive(session, actor, envelope, policy, results.finished_at + timedelta(minutes=5))


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


def made(session: Session) -> list[Made]:
    """The demo vendor, its products and versions, and its submissions, as they are stored."""
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
    return found
