"""Server-rendered pages for people: one blueprint (``pages``), its routes grouped by feature."""

from __future__ import annotations

from refstack_lite.web import certification_pages, directory_pages, guideline_pages
from refstack_lite.web.blueprint import bp

__all__ = ["bp", "certification_pages", "directory_pages", "guideline_pages"]
