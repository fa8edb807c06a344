"""How the pages show names people typed (vendors, products, versions): as text, never markup
(Jinja escapes it), with the invisible formatting characters made visible, so a right-to-left
override or a zero-width space cannot make one name look like another, and with a word when a
name mixes scripts (a Cyrillic capital A in "Acme" looks like the Latin one)."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

# Unicode's format characters (category Cf) that change how text around them is drawn or hide
# in it: bidirectional embeddings, overrides, isolates and marks, zero-width characters, the
# soft hyphen, the byte-order mark.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def shown(text: str) -> Markup:
    """``text`` as HTML: escaped, each invisible formatting character drawn as its code point."""
    if not INVISIBLE.search(text):
        return escape(text)
    parts: list[str] = []
    last = 0
    for match in INVISIBLE.finditer(text):
        ch = match.group()
        parts.append(escape(text[last : match.start()]))
        name = unicodedata.name(ch, "format character").lower()
        parts.append(Markup('<span class="control" title="{}">{}</span>').format(name, _code(ch)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def plain(text: str) -> str:
    """``text`` for places without markup (the page title): invisible characters as ``[U+202E]``."""
    return INVISIBLE.sub(lambda m: f"[{_code(m.group())}]", text)


# Scripts whose letters look alike (the capital A of Latin, Cyrillic and Greek): a name mixing them is
# worth a word. Other mixes (Japanese with Latin) are ordinary names.
CONFUSABLE_SCRIPTS = frozenset({"Latin", "Cyrillic", "Greek"})


def mixed_scripts(text: str) -> tuple[str, ...]:
    """The look-alike scripts mixed in ``text``'s letters, when there are two or more (else empty)."""
    found = {unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0].capitalize() for ch in text if ch.isalpha()}
    mixed = found & CONFUSABLE_SCRIPTS
    return tuple(sorted(mixed)) if len(mixed) > 1 else ()
