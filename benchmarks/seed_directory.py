"""The vendors and products of the seeded directory, made through the services as people make them.

Issue 14 sizes the directory at 1,000 vendors and 10,000 products. Every vendor is created by
the seed admin (its owner); all but ``private_vendors`` of them (the last ones) then apply and
are approved, so they are official and listed. Products are spread evenly over the vendors, each
with two versions; an official vendor's products are public except one in twenty, and a private
vendor's products are private, so the directory also holds what it must not show.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

VERSIONS = ("2026.1", "2026.2")
PRODUCT_TYPES = ("distribution", "public_cloud", "hosted_private_cloud")


@dataclass(frozen=True)
class Dataset:
    vendors: int
    products: int  # spread evenly over the vendors
    private_vendors: int  # the last ones stay private
    certifications: int  # made after the uploads (seed_certifications)

    def official(self, v: int) -> bool:
        return v < self.vendors - self.private_vendors

    def products_of(self, v: int) -> int:
        return self.products // self.vendors + (1 if v < self.products % self.vendors else 0)

    def public_product(self, v: int, p: int) -> bool:
        return self.official(v) and (v + p) % 20 != 19


def default_dataset(vendors: int) -> Dataset:
    """What the read benchmarks of issue 13 seeded: two products a vendor, every vendor official."""
    return Dataset(vendors=vendors, products=2 * vendors, private_vendors=0, certifications=0)


def make_vendor(session: Any, actor: Any, dataset: Dataset, v: int, now: datetime) -> tuple[Any, list[Any]]:
    """Vendor ``v`` (official unless among the private ones) and its product versions, the first
    version of every product first."""
    from refstack_lite.services import products, vendors

    vendor = vendors.create(session, actor, f"Seed Vendor {v:03d}", "seeded for the read benchmarks", now)
    if dataset.official(v):
        vendors.transition(session, actor, vendor, "apply", now)
        vendors.transition(session, actor, vendor, "approve", now)
    made = []
    for p in range(dataset.products_of(v)):
        product = products.create(
            session,
            actor,
            vendor,
            now,
            name=f"Seed Cloud {v:03d}-{p}",
            product_type=PRODUCT_TYPES[(v + p) % len(PRODUCT_TYPES)],
            public=dataset.public_product(v, p),
        )
        made.append(
            [
                products.add_version(session, actor, product, now, name, f"seed-cloud-{v:03d}-{p}-{n}")
                for n, name in enumerate(VERSIONS)
            ]
        )
    versions = [row[n] for n in range(len(VERSIONS)) for row in made]
    return vendor, versions


def progress(text: str) -> None:
    print(f"\r{text}", end="", flush=True, file=sys.stderr)
