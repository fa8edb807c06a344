"""Shape checks the console's forms share with the API's request bodies."""

from __future__ import annotations

from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError

from refstack_lite.text import MAX_TEXT, UNUSABLE_TEXT

__all__ = ["MAX_TEXT", "UsableText"]


class UsableText:
    """Refuse what the API's bodies refuse in any text: control characters and lone surrogates
    (PostgreSQL stores no NUL, and no person means one)."""

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and UNUSABLE_TEXT.search(field.data):
            raise ValidationError("This contains a control character or an unpaired surrogate.")
