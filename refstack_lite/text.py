"""Text that no request may carry."""

from __future__ import annotations

import re

# C0 controls other than tab, newline and carriage return, and lone surrogates: no database
# stores them alike (PostgreSQL refuses NUL, SQLite keeps it), and no person means them.
UNUSABLE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# The longest free text a request may carry (a description, a reason, a note): the API's bodies
# and the console's forms both hold it to this.
MAX_TEXT = 10_000
