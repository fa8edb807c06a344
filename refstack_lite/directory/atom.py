"""The feed of what happened to public certifications, as Atom 1.0 (RFC 4287).

Built with ElementTree, which escapes every text and attribute it writes, so a hostile vendor
or product name stays text. (feedgen, the maintained feed library, would add lxml and
python-dateutil and has no type information; an Atom document of this shape is a few elements.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from refstack_lite.directory.values import Certification, FeedEvent

ATOM = "http://www.w3.org/2005/Atom"
TITLES = {
    "issued": "certified",
    "expired": "certification expired",
    "suspended": "certification suspended",
    "revoked": "certification revoked",
}


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def render(
    events: Sequence[FeedEvent],
    *,
    feed_url: str,
    site_url: str,
    updated: datetime,
    page_of: Callable[[Certification], str],
    data_of: Callable[[Certification], str],
    feed_id: str,
) -> bytes:
    """The Atom document; ``updated`` is the newest event's time, or when the directory last
    changed when there is none. Entry ids are tag URIs of the certification and the event, so
    a reader shows each event once. Each entry links to the certification's page (``page_of``),
    which a feed reader opens, and to its JSON (``data_of``), for programs: two alternates of
    different types, as RFC 4287 §4.2.7.2 allows."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", "Certifications: issued, expired, suspended and revoked")
    _sub(feed, "updated", _time(updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=site_url)
    author = _sub(feed, "author")
    _sub(author, "name", "refstack-lite certification directory")
    for event in events:
        c = event.certification
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{feed_id}:{c.id}:{event.kind}")
        _sub(
            entry,
            "title",
            f"{c.vendor.name} {c.product.name} {c.version}: {TITLES[event.kind]} ({c.program_name}, {c.guideline})",
        )
        _sub(entry, "updated", _time(event.at))
        _sub(entry, "link", rel="alternate", type="text/html", href=page_of(c))
        _sub(entry, "link", rel="alternate", type="application/json", href=data_of(c))
        _sub(entry, "category", term=event.kind)
        summary = f"{c.program_name} under guideline {c.guideline}: {TITLES[event.kind]} at {_time(event.at)}."
        if event.reasons:
            summary += " Reason: " + "; ".join(event.reasons)
        _sub(entry, "summary", summary, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
