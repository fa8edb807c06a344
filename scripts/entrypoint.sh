#!/bin/sh
# Production start, used by the Dockerfile and by the end-to-end tests: apply migrations, then
# serve with gunicorn. Configuration comes only from the environment.
#
# gunicorn's sync workers must sit behind a buffering reverse proxy (deploy/nginx/), so they
# listen on loopback (default 127.0.0.1:8000) or a unix socket (unix:/path), never on the
# network. gunicorn itself believes no X-Forwarded-* header from a TCP peer (--forwarded-allow-ips
# ''; on a unix socket only the proxy can connect): the server believes them only from the
# REFSTACK_LITE_TRUSTED_PROXIES proxies in front of it.
set -eu
refstack-lite db upgrade
exec gunicorn \
  --bind "${REFSTACK_LITE_BIND:-127.0.0.1:8000}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --forwarded-allow-ips '' \
  --access-logfile - \
  --config python:refstack_lite.gunicorn_config \
  "refstack_lite.app:create_app()"
