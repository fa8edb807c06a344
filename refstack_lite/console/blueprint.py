"""The console's blueprint, and what runs around each of its requests: who is signed in, CSRF
checks on every write, answers never cached."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from refstack_lite.api import uploads
from refstack_lite.config import Settings
from refstack_lite.console import navigation, signed_in
from refstack_lite.errors import NotFound

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="../web/templates")
csrf = CSRFProtect()
WRITES = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# A console form is a few fields; nothing is uploaded through it.
FORM_LIMIT = 256 * 1024


@bp.before_request
def _signed_in_and_same_site() -> Response | None:
    if request.method == "OPTIONS":
        return None  # Flask's own answer: the methods the path allows
    settings: Settings = current_app.config["SETTINGS"]
    if request.endpoint == "console.dev_sign_in" and not settings.development_sign_in:
        raise NotFound("development sign-in is off: it exists only when REFSTACK_LITE_ENV=development is set")
    if request.method in WRITES:
        uploads.read_form(FORM_LIMIT)
        csrf.protect()  # before anything else reads the form: a forged one changes nothing
    return signed_in.require_for(request.endpoint)


@bp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _layout() -> dict[str, object]:
    return {
        "console_actor": signed_in.actor_if_loaded(),
        "console_sections": navigation.SECTIONS,
    }


def _forged(err: CSRFError) -> tuple[str, int]:
    page = render_template(
        "console/error.html",
        status=400,
        title="This form cannot be accepted",
        detail=(
            "The form did not come from this site's console, or its page is too old ("
            f"{err.description}). Nothing was changed. Reload the page and try again."
        ),
        problems=[],
    )
    return page, 400


def init_app(app: Flask) -> None:
    app.config.update(WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _forged)
