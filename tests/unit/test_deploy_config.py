"""The deployment files agree with the server: nginx's body limit and its 413 answer are the
server's, its buffering stays on, and the Docker image's gunicorn socket is the one nginx is told
to use. tests/e2e/test_nginx_front.py runs them."""

from __future__ import annotations

import json
import re

from refstack_lite.api.problems import STATUS
from refstack_lite.config import Settings
from refstack_lite.errors import TooLarge
from tests.conftest import REPO

PROXY_CONF = (REPO / "deploy" / "nginx" / "refstack-lite-proxy.conf").read_text()
SITE_CONF = (REPO / "deploy" / "nginx" / "refstack-lite.conf").read_text()
MIB = 1024 * 1024


def _directives(name: str) -> list[str]:
    """The values of every ``name`` directive that is not commented out."""
    return re.findall(rf"^\s*{name}\s+([^;]*);", PROXY_CONF, re.M)


def test_nginx_accepts_the_largest_body_the_server_accepts_and_no_more() -> None:
    limit = Settings.from_env({}).max_upload_bytes
    assert _directives("client_max_body_size") == [f"{limit // MIB}m"]


def test_nginxs_413_is_the_servers_answer() -> None:
    (raw,) = re.findall(r"^\s*return 413 '(.*)\\n';", PROXY_CONF, re.M)
    answer = json.loads(raw)
    limit = Settings.from_env({}).max_upload_bytes
    assert answer == {
        "type": f"urn:refstack-lite:problem:{TooLarge.slug}",
        "title": STATUS[TooLarge][1],
        "status": 413,
        "code": 413,  # RefStack's v1 error shape
        "detail": f"the body may be at most {limit} bytes",
        "limit": limit,
    }


def test_nginx_buffers_requests_and_answers() -> None:
    assert _directives("proxy_request_buffering") == ["on"]
    assert _directives("proxy_buffering") == ["on"]
    assert _directives("proxy_http_version") == ["1.0"]


def test_nginx_sets_every_forwarded_header_the_server_reads() -> None:
    headers = dict(value.split(None, 1) for value in _directives("proxy_set_header"))
    assert headers == {
        "Host": "$host",
        "X-Forwarded-For": "$proxy_add_x_forwarded_for",
        "X-Forwarded-Proto": "$scheme",
        "X-Forwarded-Host": "$host",
        "X-Forwarded-Port": "$server_port",
        "X-Forwarded-Prefix": '""',
    }


def test_the_images_gunicorn_socket_is_the_one_nginx_is_told_about() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    (bind,) = re.findall(r"REFSTACK_LITE_BIND=(\S+)", dockerfile)
    assert bind.startswith("unix:/run/refstack-lite/")
    assert f"server {bind} fail_timeout=0;" in SITE_CONF
    assert "REFSTACK_LITE_TRUSTED_PROXIES=1" in dockerfile
    assert "EXPOSE" not in dockerfile, "gunicorn is reached through nginx only"
