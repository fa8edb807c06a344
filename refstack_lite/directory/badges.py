"""Certification badges in the shields.io "flat" style, and the snippets to embed them.

Label: the program; message: the status and guideline (``active 2020.06``); colour by status.
Text widths are estimated from Verdana 11px character widths (as shields.io measures), so the
badge fits its text without a font on the server. Every text goes through ElementTree, which
escapes it: a hostile name is shown, never run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from refstack_lite.directory.values import Certification

SVG = "http://www.w3.org/2000/svg"
COLOURS = {
    "active": "#4c1",  # shields.io brightgreen
    "suspended": "#dfb317",  # yellow
    "expired": "#9f9f9f",  # lightgrey
    "revoked": "#e05d44",  # red
    "not certified": "#9f9f9f",
}
LABEL_COLOUR = "#555"
# Approximate advance widths of Verdana at 11px; other characters count as wide ones.
NARROW = set("fijlrt.,:;!|' ()[]")
WIDE = set("mwMW@%")


def text_width(text: str) -> int:
    width = 0.0
    for ch in text:
        if ch in NARROW:
            width += 3.9
        elif ch in WIDE:
            width += 10.0
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    colour: str


def for_certifications(program: str, found: tuple[Certification, ...]) -> Badge:
    """The badge of a product's ``program``: its best certification (active, then suspended,
    then the newest of the others), or ``not certified``."""
    rank = {"active": 0, "suspended": 1, "expired": 2, "revoked": 3}
    if not found:
        return Badge(program, "not certified", COLOURS["not certified"])
    best = min(found, key=lambda c: (rank[c.status.status], -c.issued_at.timestamp()))
    return Badge(best.program_name, f"{best.status.status} {best.guideline}", COLOURS[best.status.status])


def not_found(program: str) -> Badge:
    return Badge(program, "not found", COLOURS["not certified"])


def svg(badge: Badge) -> bytes:
    """The badge as an SVG document (shields.io flat: rounded, with a light gradient)."""
    left = text_width(badge.label) + 10
    right = text_width(badge.message) + 10
    total = left + right
    title = f"{badge.label}: {badge.message}"
    ET.register_namespace("", SVG)
    root = ET.Element(
        f"{{{SVG}}}svg",
        {"width": str(total), "height": "20", "role": "img", "aria-label": title},
    )
    ET.SubElement(root, f"{{{SVG}}}title").text = title
    gradient = ET.SubElement(root, f"{{{SVG}}}linearGradient", {"id": "s", "x2": "0", "y2": "100%"})
    ET.SubElement(gradient, f"{{{SVG}}}stop", {"offset": "0", "stop-color": "#bbb", "stop-opacity": ".1"})
    ET.SubElement(gradient, f"{{{SVG}}}stop", {"offset": "1", "stop-opacity": ".1"})
    clip = ET.SubElement(root, f"{{{SVG}}}clipPath", {"id": "r"})
    ET.SubElement(clip, f"{{{SVG}}}rect", {"width": str(total), "height": "20", "rx": "3", "fill": "#fff"})
    group = ET.SubElement(root, f"{{{SVG}}}g", {"clip-path": "url(#r)"})
    ET.SubElement(group, f"{{{SVG}}}rect", {"width": str(left), "height": "20", "fill": LABEL_COLOUR})
    ET.SubElement(group, f"{{{SVG}}}rect", {"x": str(left), "width": str(right), "height": "20", "fill": badge.colour})
    ET.SubElement(group, f"{{{SVG}}}rect", {"width": str(total), "height": "20", "fill": "url(#s)"})
    texts = ET.SubElement(
        root,
        f"{{{SVG}}}g",
        {
            "fill": "#fff",
            "text-anchor": "middle",
            "font-family": "Verdana,Geneva,DejaVu Sans,sans-serif",
            "font-size": "11",
        },
    )
    for x, text in ((left / 2, badge.label), (left + right / 2, badge.message)):
        ET.SubElement(
            texts, f"{{{SVG}}}text", {"x": f"{x:g}", "y": "15", "fill": "#010101", "fill-opacity": ".3"}
        ).text = text
        ET.SubElement(texts, f"{{{SVG}}}text", {"x": f"{x:g}", "y": "14"}).text = text
    document: bytes = ET.tostring(root, encoding="utf-8")
    return document


@dataclass(frozen=True)
class Snippets:
    markdown: str
    html: str


def snippets(badge_url: str, product_url: str, alt: str) -> Snippets:
    """Markdown and HTML that show the badge linked to the product's page. The alt text is
    escaped for each: Markdown's brackets and backslashes, HTML's markup characters."""
    markdown_alt = "".join("\\" + ch if ch in "\\[]()*_`<>!" else ch for ch in alt)
    markdown = f"[![{markdown_alt}]({_markdown_url(badge_url)})]({_markdown_url(product_url)})"
    html_snippet = (
        f'<a href="{html.escape(product_url)}"><img src="{html.escape(badge_url)}" alt="{html.escape(alt)}"></a>'
    )
    return Snippets(markdown, html_snippet)


def _markdown_url(url: str) -> str:
    """A URL as a Markdown link destination: spaces and parentheses percent-encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
