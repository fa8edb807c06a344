"""Nothing private leaks from the public side, and no public answer costs a query per row.

The walk visits every public route (the directory API, its export and feed, the badges and the
pages), each with the ids of public and of private things, and searches every answer's body and
headers (a signed envelope's payload decoded too) for private names, ids, cloud ids, people's
names and emails. A route added to the public side without values for its placeholders fails
the walk, so new routes are walked too.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.functional.api_helpers import recorded_statements
from tests.functional.directory_helpers import Directory, build, keeping_no_answers, public_urls


@pytest.fixture
def directory(app: Flask, client: FlaskClient) -> Directory:
    return build(app, client)


def texts(response: TestResponse) -> str:
    """The body and headers, with a DSSE envelope's payload decoded."""
    body = response.get_data(as_text=True)
    found = [body, *(f"{k}: {v}" for k, v in response.headers.items())]
    if response.mimetype == "application/vnd.dsse.envelope.v1+json":
        found.append(base64.b64decode(json.loads(body)["payload"]).decode())
    return "\n".join(found)


def leaks(text: str, private: dict[str, str], asked: str) -> list[str]:
    """What of ``private`` appears in ``text``, the ids the request itself named aside (a 404
    says which id it could not find). People's short names count as whole words only."""
    for part in re.split(r"[/?&=.]", asked):
        if len(part) > 8:
            text = text.replace(part, "")
    found = []
    for what, value in private.items():
        pattern = rf"\b{re.escape(value)}\b" if what.startswith("user name") else re.escape(value)
        if re.search(pattern, text, re.IGNORECASE):
            found.append(what)
    return found


def test_no_public_answer_leaks_anything_private(app: Flask, directory: Directory) -> None:
    client = directory.client
    urls = list(dict.fromkeys(public_urls(app, directory)))
    assert any(u.startswith("/v2/directory/certifications/") for u in urls)
    assert any(u.startswith("/badges/") for u in urls)
    statuses: dict[int, int] = {}
    for url in urls:
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        assert not leaks(texts(response), directory.private, url), url
    assert statuses[200] > 40  # the walk reached real answers, not only refusals
    assert statuses[404] > 10
    # the envelopes of public certifications were among them, decoded
    for certification_id in directory.certifications.values():
        envelope = client.get(f"/v2/directory/certifications/{certification_id}/envelope")
        assert envelope.status_code == 200
        assert not leaks(texts(envelope), directory.private, "")


def test_the_walk_would_see_a_leak(app: Flask, directory: Directory) -> None:
    """The search finds private strings where they are: the private certification read with a
    token through the members' API names them."""
    hidden = directory.private_certifications["private_product"]
    response = directory.client.get(
        f"/v2/certifications/{hidden}", headers={"Authorization": f"Bearer {directory.world.admin}"}
    )
    assert response.status_code == 200
    found = leaks(texts(response), directory.private, f"/v2/certifications/{hidden}")
    assert "private product name" in found
    assert "user name rita" in found  # the reviewer
    assert set(leaks("Contact ALICE@example.org", directory.private, "")) == {"user name alice", "email of alice"}
    assert leaks("malice", {"user name alice": "alice"}, "") == []


# --- queries per request --------------------------------------------------------------------------


def measured_urls(directory: Directory) -> list[str]:
    acme, product = directory.public_vendor_ids["acme"], directory.public_product_ids["acme"]
    return [
        "/v2/directory/certifications?per_page=100",
        "/v2/directory/certifications?status=active&sort=vendor",
        "/v2/directory/certifications.csv",
        f"/v2/directory/certifications/{directory.certifications['active']}",
        f"/v2/directory/vendors/{acme}",
        f"/v2/directory/products/{product}",
        "/v2/directory/feed.atom",
        f"/badges/{acme}/{product}/powered-platform.svg",
    ]


def queries(app: Flask, client: FlaskClient, url: str) -> int:
    client.get(url)  # parsed guidelines are cached per process: count a warm request
    with recorded_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_queries_per_request_do_not_grow_with_the_rows(app: Flask, directory: Directory) -> None:
    keeping_no_answers(app)
    client = directory.client
    urls = measured_urls(directory)
    before = {url: queries(app, client, url) for url in urls}
    world = directory.world
    more = [world.certify("2019.11") for _ in range(4)]
    revoke = f"/v2/certifications/{more[0]}/revoke"
    assert (
        client.post(revoke, json={"reason": "x"}, headers={"Authorization": f"Bearer {world.reviewer}"}).status_code
        == 200
    )
    rows = client.get("/v2/directory/certifications?per_page=100").get_json()
    assert rows["total"] == len(directory.certifications) + len(more)
    after = {url: queries(app, client, url) for url in urls}
    assert after == before
    # The feed: four kinds of event, each a query and its verdicts; the directory's state; its last
    # change.
    assert max(after.values()) <= 11, after
