# Production image. Its steps match tests/e2e/test_production_start.py, which CI runs:
# build both wheels with the locked build backend, install the locked run-time dependencies
# (requirements/server.lock: the versions and files CI tested), then the wheels with no index,
# and start scripts/entrypoint.sh (migrations, then gunicorn).
#
# gunicorn listens on a unix socket in the volume /run/refstack-lite and nowhere else: run
# Debian's nginx with deploy/nginx/ beside this container, sharing that volume, with its
# upstream set to unix:/run/refstack-lite/gunicorn.sock (README.md, "Production").
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir --require-hashes -r requirements/build.lock \
    && pip wheel --no-cache-dir --no-deps --no-build-isolation -w /wheels ./client .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 refstack
COPY requirements/server.lock /tmp/server.lock
COPY --from=build /wheels /wheels
# --no-index: a dependency missing from the lock fails the build instead of being fetched unpinned.
RUN pip install --no-cache-dir --require-hashes -r /tmp/server.lock \
    && pip install --no-cache-dir --no-index /wheels/refstack_lite_client-*.whl "$(ls /wheels/refstack_lite-*.whl)[postgresql]" \
    && rm -rf /wheels /tmp/server.lock
COPY scripts/entrypoint.sh /usr/local/bin/refstack-lite-entrypoint
RUN mkdir -p /run/refstack-lite && chown refstack /run/refstack-lite && chmod 0755 /run/refstack-lite
USER refstack
WORKDIR /home/refstack
RUN mkdir -p /home/refstack/data
# SQLite in a volume unless REFSTACK_LITE_DATABASE_URL names a PostgreSQL database.
# REFSTACK_LITE_SECRET_KEY, REFSTACK_LITE_PUBLIC_URL and the foundation's signing key
# (REFSTACK_LITE_FOUNDATION_KEY_FILE, a mounted secret) have no default: the server refuses to
# start without them. nginx in front is the one trusted proxy.
ENV REFSTACK_LITE_ENV=production \
    REFSTACK_LITE_DATABASE_URL=sqlite:////home/refstack/data/refstack-lite.sqlite3 \
    REFSTACK_LITE_BIND=unix:/run/refstack-lite/gunicorn.sock \
    REFSTACK_LITE_TRUSTED_PROXIES=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/home/refstack/data", "/run/refstack-lite"]
CMD ["refstack-lite-entrypoint"]
