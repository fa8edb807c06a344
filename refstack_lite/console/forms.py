"""The console's forms (Flask-WTF): each carries the session's CSRF token; fields are checked
here for shape only, the services decide everything else."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from refstack_lite.console.form_checks import UsableText


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something and needs nothing but the CSRF token."""


class DevSignInForm(FlaskForm):  # type: ignore[misc]
    user = StringField("User", validators=[DataRequired(), Length(max=64), UsableText()])
