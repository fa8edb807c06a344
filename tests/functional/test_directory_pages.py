"""The directory's pages through the Flask test client, over the mixed dataset of
``directory_helpers`` (every status, hostile names, private things beside the public ones)."""

from __future__ import annotations

import hashlib
import html as html_lib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys

from tests.functional.api_helpers import recorded_statements, unchanged
from tests.functional.directory_helpers import (
    HOSTILE_PRODUCT,
    HOSTILE_VENDOR,
    LOOKALIKE_VENDOR,
    Directory,
    assert_answered_304_while_current,
    assert_cached_until_a_change,
    build,
    keeping_no_answers,
)


@pytest.fixture
def directory(app: Flask, client: FlaskClient) -> Directory:
    return build(app, client)


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True)[-2000:])
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-certification="([^"]+)"', html)


def public_pages(d: Directory) -> list[str]:
    c, v, p = d.certifications, d.public_vendor_ids, d.public_product_ids
    return [
        "/",
        "/directory",
        "/directory?per_page=2&page=2&sort=vendor",
        *(f"/vendors/{vendor}" for vendor in v.values()),
        *(f"/products/{product}" for product in p.values()),
        *(f"/certifications/{cert}" for cert in c.values()),
        *(f"/certifications/{cert}/signer.pub" for cert in c.values()),
        *(f"/certifications/{cert}/envelope.dsse.json" for cert in c.values()),
    ]


def test_the_home_page_lists_the_latest_public_certifications(directory: Directory) -> None:
    html = _page(directory.client, "/")
    assert sorted(_rows(html)) == sorted(directory.certifications.values())
    assert 'action="/directory"' in html
    assert "Latest certifications" in html


def test_the_directory_searches_filters_sorts_and_pages(directory: Directory) -> None:
    client, certs = directory.client, directory.certifications
    acme = {certs[s] for s in ("active", "expired", "revoked")}
    assert set(_rows(_page(client, "/directory?q=ACME+cloud"))) == acme
    assert _rows(_page(client, "/directory?status=revoked")) == [certs["revoked"]]
    assert _rows(_page(client, "/directory?guideline=2019.06")) == [certs["expired"]]
    globex = directory.public_vendor_ids["globex"]
    assert _rows(_page(client, f"/directory?vendor={globex}")) == [certs["suspended"]]
    assert _rows(_page(client, "/directory?program=powered-compute")) == []
    oldest = _rows(_page(client, "/directory?sort=oldest"))
    assert _rows(_page(client, "/directory?sort=newest")) == list(reversed(oldest))
    # a GET form left at "any" sends empty values: they filter nothing
    assert _rows(_page(client, "/directory?q=&program=&guideline=&vendor=&status=&sort=oldest")) == oldest
    # the filter form shows what was asked for
    html = _page(client, "/directory?status=expired&sort=oldest")
    assert '<option value="expired" selected>' in html
    assert '<option value="oldest" selected>' in html
    # pages: two rows each, links keeping the filters
    first = _page(client, "/directory?per_page=2&sort=oldest")
    assert _rows(first) == oldest[:2]
    assert "5 certifications" in first
    assert "page 1 of 3" in first
    assert 'href="/directory?per_page=2&amp;sort=oldest&amp;page=2" rel="next"' in first
    last = _page(client, "/directory?per_page=2&sort=oldest&page=3")
    assert _rows(last) == oldest[4:]
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    beyond = _page(client, "/directory?per_page=2&page=7")
    assert _rows(beyond) == []
    assert "Page 7 is past the end" in beyond
    nothing = _page(client, "/directory?q=no-such-thing")
    assert "No certification matches this search" in nothing


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=lost", ["status"]),
        ("sort=random", ["sort"]),
        ("page=0", ["page"]),
        ("page=-1", ["page"]),
        ("page=1e3", ["page"]),
        ("page=%EF%BC%91", ["page"]),  # a full-width digit one
        ("per_page=1000", ["per_page"]),
        ("q=" + "x" * 201, ["q"]),
        ("status=lost&page=0&sort=x", ["page", "sort", "status"]),
    ],
)
def test_bad_search_parameters_are_a_clear_400_page(
    app: Flask, client: FlaskClient, query: str, named: list[str]
) -> None:
    with unchanged(app):
        html = _page(client, f"/directory?{query}", 400)
    assert '<p class="code">400</p>' in html
    assert "the directory cannot search with these parameters" in html
    assert sorted(re.findall(r"<li><code>([a-z_]+)</code>", html)) == sorted(named)
    assert 'href="/directory">Start a new search</a>' in html


@pytest.mark.parametrize(
    "path",
    [
        "/vendors/nope",
        "/products/nope",
        "/certifications/nope",
        "/certifications/nope/signer.pub",
        "/certifications/nope/envelope.dsse.json",
    ],
)
def test_unknown_things_are_404_pages(client: FlaskClient, path: str) -> None:
    html = _page(client, path, 404)
    assert '<p class="code">404</p>' in html


def test_the_vendor_page(directory: Directory) -> None:
    acme = directory.public_vendor_ids["acme"]
    html = _page(directory.client, f"/vendors/{acme}")
    assert "<h1><bdi>Acme</bdi></h1>" in html
    assert f'data-product="{directory.public_product_ids["acme"]}"' in html
    assert "OpenStack Powered Platform" in html  # certified now
    assert f'href="/directory?vendor={acme}"' in html
    # a vendor that is not official has no page, as one that does not exist
    hooli = directory.private["unofficial vendor id"]
    _page(directory.client, f"/vendors/{hooli}", 404)


def test_the_product_page(directory: Directory) -> None:
    certs = directory.certifications
    html = _page(directory.client, f"/products/{directory.public_product_ids['acme']}")
    current, past = html.split('id="current-title"')[1].split('id="past-title"')
    assert _rows(current) == [certs["active"]]
    assert sorted(_rows(past)) == sorted([certs["revoked"], certs["expired"]])
    assert "<bdi>2026.1</bdi>" in html
    _page(directory.client, f"/products/{directory.private['private product id']}", 404)


def test_the_certification_page_shows_the_facts_and_the_evidence(app: Flask, directory: Directory) -> None:
    cert = directory.certifications["active"]
    html = _page(directory.client, f"/certifications/{cert}")
    assert "Status: active" in html
    assert 'href="/guidelines/2019.11?target=platform">2019.11</a>' in html
    assert directory.world.digests["2019.11"] in html
    digest = re.search(r'id="submission-digest">(sha256:[0-9a-f]{64})<', html)
    fingerprint = re.search(r'id="signer-fingerprint">(SHA256:[^<]+)<', html)
    assert digest
    assert fingerprint
    assert '<table class="report">' in html
    assert "Flagged tests" in html
    assert "Flagged, not passed" not in html  # the reviewer's column only
    required = re.search(r'<span class="total" data-total="required">(\d+) required tests</span>', html)
    passed = re.search(r'<span class="total" data-total="passed">(\d+) passed</span>', html)
    assert required
    assert passed
    assert int(required.group(1)) > 0
    assert passed.group(1) == required.group(1)  # every required test passed
    command = html_lib.unescape(re.search(r'id="verify-command"[^>]*>([^<]+)<', html).group(1))  # type: ignore[union-attr]
    assert command == (
        f"refstack-lite-client verify certification-{cert}.dsse.json --public-key certification-{cert}-signer.pub"
    )
    envelope = directory.client.get(f"/certifications/{cert}/envelope.dsse.json")
    assert envelope.status_code == 200
    assert envelope.headers["Content-Disposition"] == f'attachment; filename="certification-{cert}.dsse.json"'
    # the exact bytes: their digest is the submission digest the page shows
    assert "sha256:" + hashlib.sha256(envelope.get_data()).hexdigest() == digest.group(1)
    key = directory.client.get(f"/certifications/{cert}/signer.pub")
    assert key.status_code == 200
    assert keys.parse_public_key(key.get_data()).fingerprint == fingerprint.group(1)


def test_revoked_expired_and_suspended_certifications_say_why(directory: Directory) -> None:
    certs = directory.certifications
    revoked = _page(directory.client, f"/certifications/{certs['revoked']}")
    assert "Status: revoked" in revoked
    assert "misused the mark" in revoked
    expired = _page(directory.client, f"/certifications/{certs['expired']}")
    assert "Status: expired" in expired
    assert "no longer accepted by OpenStack Powered Platform" in expired
    suspended = _page(directory.client, f"/certifications/{certs['suspended']}")
    assert "Status: suspended" in suspended
    assert "compromised" in suspended


def test_private_certifications_have_no_page(directory: Directory) -> None:
    for cert in directory.private_certifications.values():
        for suffix in ("", "/envelope.dsse.json", "/signer.pub"):
            _page(directory.client, f"/certifications/{cert}{suffix}", 404)


def test_hostile_names_are_escaped_and_their_controls_made_visible(directory: Directory) -> None:
    client = directory.client
    pages = [
        _page(client, f"/vendors/{directory.public_vendor_ids['globex']}"),
        _page(client, f"/products/{directory.public_product_ids['globex']}"),
        _page(client, f"/certifications/{directory.certifications['suspended']}"),
        _page(client, "/directory?q=globex"),
        _page(client, "/"),
    ]
    for html in pages:
        assert "<script" not in html
        assert "<img src=x" not in html
        assert "\u202e" not in html  # never sent raw: drawn as its code point
        assert "&lt;script&gt;alert(&#34;v&#34;)&lt;/script&gt;" in html
        assert '<span class="control" title="right-to-left override">U+202E</span>' in html
    assert (
        html_lib.escape(HOSTILE_PRODUCT, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;") in pages[1]
    )
    assert (
        "<title>" + html_lib.escape(HOSTILE_VENDOR.replace("\u202e", "[U+202E]")).replace("&quot;", "&#34;") in pages[0]
    )
    lookalike = _page(client, f"/vendors/{directory.public_vendor_ids['lookalike']}")
    assert LOOKALIKE_VENDOR in lookalike
    assert "mixes Cyrillic and Latin letters" in lookalike
    plain = _page(client, f"/vendors/{directory.public_vendor_ids['acme']}")
    assert "mixes" not in plain


def test_nothing_private_appears_on_any_page(directory: Directory) -> None:
    for path in public_pages(directory):
        body = directory.client.get(path).get_data(as_text=True)
        leaked = {what: value for what, value in directory.private.items() if value in body}
        assert leaked == {}, path


def test_no_page_queries_per_row(app: Flask, directory: Directory) -> None:
    """The number of queries a page makes does not grow with the rows it shows."""
    keeping_no_answers(app)
    client = directory.client
    for few, many in [
        ("/directory?per_page=1", "/directory?per_page=5"),
        ("/directory?per_page=1&q=globex", "/directory?per_page=5&q=acme"),
    ]:
        with recorded_statements(app) as one:
            _page(client, few)
        with recorded_statements(app) as five:
            _page(client, many)
        assert len(five) == len(one), (len(one), len(five))
    with recorded_statements(app) as home:
        _page(client, "/")
    with recorded_statements(app) as product:
        _page(client, f"/products/{directory.public_product_ids['acme']}")  # three certifications
    with recorded_statements(app) as certification:
        _page(client, f"/certifications/{directory.certifications['active']}")
    assert len(home) <= 12, home
    assert len(product) <= 12, product
    assert len(certification) <= 12, certification


def test_the_product_page_offers_its_badges_with_snippets(directory: Directory) -> None:
    client = directory.client
    acme, product = directory.public_vendor_ids["acme"], directory.public_product_ids["acme"]
    html = _page(client, f"/products/{product}")
    image = f"http://localhost/badges/{acme}/{product}/powered-platform.svg"
    page_url = f"http://localhost/products/{product}"
    assert f'<img src="{image}" alt="OpenStack Powered Platform status of Acme Cloud">' in html
    snippets = [
        html_lib.unescape(s) for s in re.findall(r'<textarea class="snippet" id="(?:md|html)-1"[^>]*>([^<]*)<', html)
    ]
    assert snippets == [
        f"[![OpenStack Powered Platform status of Acme Cloud]({image})]({page_url})",
        f'<a href="{page_url}"><img src="{image}" alt="OpenStack Powered Platform status of Acme Cloud"></a>',
    ]
    badge = client.get(image.removeprefix("http://localhost"))
    assert badge.status_code == 200
    assert badge.mimetype == "image/svg+xml"
    assert "active 2019.11" in badge.get_data(as_text=True)
    # a hostile product name is escaped in both snippets
    hostile = _page(client, f"/products/{directory.public_product_ids['globex']}")
    markdown, embed = (
        html_lib.unescape(s) for s in re.findall(r'<textarea class="snippet" id="(?:md|html)-1"[^>]*>([^<]*)<', hostile)
    )
    assert "<img src=x" not in embed
    assert "&lt;img src=x onerror=alert(1)&gt;" in embed
    assert r"\<img src=x onerror=alert\(1\)\>" in markdown


def test_the_directory_links_its_search_as_csv_and_json(directory: Directory) -> None:
    client = directory.client
    html = _page(client, "/directory?status=revoked&program=&page=1")
    csv_url = html_lib.unescape(re.search(r'The same search as <a href="([^"]+)">CSV', html).group(1))  # type: ignore[union-attr]
    json_url = html_lib.unescape(re.search(r'or <a href="([^"]+)">JSON', html).group(1))  # type: ignore[union-attr]
    assert csv_url == "/v2/directory/certifications.csv?status=revoked"
    exported = client.get(csv_url)
    assert exported.status_code == 200
    assert directory.certifications["revoked"] in exported.get_data(as_text=True)
    assert directory.certifications["active"] not in exported.get_data(as_text=True)
    listed = client.get(json_url)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.get_json()["items"]] == [directory.certifications["revoked"]]
    assert 'type="application/atom+xml"' in html
    assert client.get("/v2/directory/feed.atom").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/", "/directory?q=acme", "/vendors/{acme}", "/products/{acme_product}", "/certifications/{active}"],
)
def test_pages_are_answered_304_until_something_changes(app: Flask, directory: Directory, path: str) -> None:
    url = path.format(
        active=directory.certifications["active"],
        acme=directory.public_vendor_ids["acme"],
        acme_product=directory.public_product_ids["acme"],
    )
    assert_cached_until_a_change(app, directory, url)


@pytest.mark.parametrize("path", ["/guidelines", "/guidelines/2020.06?target=platform"])
def test_guideline_pages_are_answered_304_while_current(app: Flask, directory: Directory, path: str) -> None:
    assert_answered_304_while_current(app, directory.client, path)


@pytest.mark.parametrize("file", ["envelope.dsse.json", "signer.pub"])
def test_a_certifications_files_are_cached_as_immutable(app: Flask, directory: Directory, file: str) -> None:
    url = f"/certifications/{directory.certifications['active']}/{file}"
    first = directory.client.get(url)
    assert first.status_code == 200
    assert first.cache_control.immutable
    assert first.cache_control.public
    assert first.cache_control.max_age == 365 * 24 * 3600
    with unchanged(app):
        again = directory.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.get_data()) == (304, b"")
