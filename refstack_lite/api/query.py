"""Query parameters on /v2: one sent with an empty value (``?until=``) is refused, never read as
if it had been left out, so a filter the caller meant to apply is not silently dropped.

/v1 answers empty values as RefStack did (``?signed=`` means signed, ``?cpid=`` matches an empty
cloud id), and the pages read an empty ``target`` as the guideline's first target, as a form
left at its default would send it.
"""

from __future__ import annotations

from flask import request
from refstack_lite_client.schemas import Problem

from refstack_lite.errors import InvalidInput


def refuse_empty_values() -> None:
    """Before every /v2 request that found its route (an unknown path stays a 404)."""
    if not request.path.startswith("/v2/") or request.routing_exception is not None:
        return
    empty = sorted({name for name, value in request.args.items(multi=True) if value == ""})
    if empty:
        raise InvalidInput(
            f"the query parameter{'s' if len(empty) > 1 else ''} {', '.join(empty)} "
            "came without a value: give a value, or leave the parameter out",
            [Problem(f"$.{name}", "is empty") for name in empty],
            slug="empty-parameter",
        )
