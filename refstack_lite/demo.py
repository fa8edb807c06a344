"""Demo data for a newcomer's first run: the bundled guidelines, and a small world of identities
(a foundation admin, one official vendor with a public product) so the API has something to show."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.guideline_sources import Document
from refstack_lite.models import User, Vendor
from refstack_lite.services import accounts, products, vendors
from refstack_lite.services.actors import Actor

DEMO_TOKEN_LIFETIME = timedelta(days=7)
ADMIN = "demo-admin"
VENDOR = "Example Cloud Co"


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
