"""The blueprint every page module adds its routes to, and what every page's layout shows."""

from __future__ import annotations

from flask import Blueprint

from refstack_lite import __version__
from refstack_lite.web import display

# Not "/static": the app's own static route (Flask adds one for refstack_lite/static, which does not
# exist) answers that path first, and the stylesheet would be a 404.
bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


@bp.app_context_processor
def _site() -> dict[str, str]:
    """What every page's layout shows, error pages included (so nothing here reads the database)."""
    return {"version": __version__}


bp.add_app_template_filter(display.shown, "shown")
bp.add_app_template_filter(display.plain, "plain")
bp.add_app_template_filter(display.mixed_scripts, "mixed_scripts")
