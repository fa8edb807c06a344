"""What the foundation's console pages share: only admins and reviewers open them, and the
reason a decision gives is checked as the API checks it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from refstack_lite.console import signed_in
from refstack_lite.console.form_checks import MAX_TEXT, UsableText
from refstack_lite.errors import Forbidden
from refstack_lite.services.actors import Actor


def foundation_actor() -> Actor:
    """The signed-in person, who must be a foundation admin or reviewer."""
    actor = signed_in.actor()
    if not actor.is_foundation:
        raise Forbidden("only the foundation (admins and reviewers) may open this page")
    return actor


class ReasonForm(FlaskForm):  # type: ignore[misc]
    """A decision that must say why."""

    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Give a reason: it is kept and shown to the vendor."),
            Length(max=MAX_TEXT),
            UsableText(),
        ],
    )
