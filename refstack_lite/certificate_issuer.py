"""What approving a request needs of the deployment to issue its certificate: the log's origin
(from the foundation key's name) and the accepted-guidelines window (a setting)."""

from __future__ import annotations

from flask import Flask

from refstack_lite import foundation_key
from refstack_lite.certification.certificates import Issuer
from refstack_lite.config import Settings
from refstack_lite.transparency import checkpoints


def of(app: Flask) -> Issuer:
    settings: Settings = app.config["SETTINGS"]
    return Issuer(checkpoints.origin(foundation_key.of(app).signer), settings.accepted_guidelines)
