"""The Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from refstack_lite import (
    __version__,
    db,
    foundation_key,
    json_answers,
    public_answers,
    request_origin,
    security_headers,
)
from refstack_lite.api import (
    auth,
    bodies,
    foundation_keys,
    openapi,
    problems,
    query,
    v1_guidelines,
    v1_results,
    v2_accounts,
    v2_audit,
    v2_certification_requests,
    v2_certifications,
    v2_challenges,
    v2_directory,
    v2_guidelines,
    v2_keys,
    v2_log,
    v2_products,
    v2_programs,
    v2_submissions,
    v2_vendors,
)
from refstack_lite.config import Settings
from refstack_lite.console import setup as console
from refstack_lite.web import badges, pages


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    """Build the app from ``env`` (default: the process environment); raises ``ConfigError``."""
    settings = Settings.from_env(env)
    app = Flask(__name__, instance_relative_config=True)
    app.json = json_answers.OrjsonProvider(app)
    app.config.update(SECRET_KEY=settings.secret_key, SETTINGS=settings)
    app.wsgi_app = request_origin.wrap(app.wsgi_app, settings)  # type: ignore[method-assign,assignment]
    # A doubled slash must not be redirected: /v1/guidelines//etc/x is an unknown guideline (404).
    app.url_map.merge_slashes = False
    url = settings.database_url
    if url is None:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "refstack-lite.sqlite3")
    foundation_key.init_app(app, settings)
    db.init_app(app, db.make_engine(url))
    public_answers.init_app(app)
    problems.register(app)
    security_headers.register(app)
    app.before_request(bodies.refuse_unusable_text)
    app.before_request(auth.authenticate_writes)
    app.before_request(query.refuse_empty_values)
    app.register_blueprint(v1_guidelines.bp)
    app.register_blueprint(v1_results.bp)
    for module in (
        v2_guidelines,
        v2_accounts,
        v2_vendors,
        v2_products,
        v2_keys,
        v2_challenges,
        v2_submissions,
        v2_audit,
        v2_programs,
        v2_certification_requests,
        v2_certifications,
        v2_directory,
        v2_log,
        openapi,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(foundation_keys.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(badges.bp)
    console.init_app(app, settings)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            db.get_session().execute(text("SELECT 1"))
        except SQLAlchemyError as err:
            return jsonify({"status": "unavailable", "database": err.__class__.__name__}), 503
        return jsonify({"status": "ok", "version": __version__}), 200

    return app
