#!/bin/sh
# Production start, used by the Dockerfile and by tests/e2e/test_production_start.py:
# apply migrations, then serve with gunicorn. Configuration comes only from the environment.
set -eu
refstack-lite db upgrade
exec gunicorn \
  --bind "${REFSTACK_LITE_BIND:-0.0.0.0:8000}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - \
  "refstack_lite.app:create_app()"
