"""The public directory over HTTP (/v2/directory, its CSV and Atom, the badges) on a mixed
dataset, SQLite and PostgreSQL: what each answers, caching and conditional GETs, refusals,
and hostile names kept as text in every format."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from refstack_lite import public_caching
from refstack_lite.directory import badges
from refstack_lite.directory.csv_export import neutralised
from tests.functional.api_helpers import assert_problem, ok, refused
from tests.functional.directory_helpers import (
    HOSTILE_PRODUCT,
    HOSTILE_VENDOR,
    LOOKALIKE_VENDOR,
    Directory,
    assert_cached_until_a_change,
    build,
)
from tests.identity import bearer

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"
BASE = "/v2/directory"


@pytest.fixture
def directory(app: Flask, client: FlaskClient) -> Directory:
    return build(app, client)


def listed(client: FlaskClient, query: str = "") -> dict[str, Any]:
    return dict(ok(client.get(f"{BASE}/certifications{query}")))


def test_the_directory_lists_public_certifications_a_page_at_a_time(directory: Directory) -> None:
    client = directory.client
    body = listed(client, "?per_page=2&sort=oldest")
    assert (body["total"], body["pages"], body["page"], body["prev"]) == (5, 3, 1, None)
    seen = [item["id"] for item in body["items"]]
    while body["next"]:
        body = dict(ok(client.get(body["next"])))
        seen += [item["id"] for item in body["items"]]
    assert sorted(seen) == sorted(directory.certifications.values())
    assert body["prev"] is not None
    assert body["next"] is None
    item = listed(client, f"?status=revoked&vendor={directory.public_vendor_ids['acme']}")["items"][0]
    assert item["id"] == directory.certifications["revoked"]
    assert (item["status"], item["status_reasons"]) == ("revoked", ["misused the mark"])
    assert item["program"] == {"id": "powered-platform", "name": "OpenStack Powered Platform"}
    assert ok(client.get(item["vendor"]["url"]))["name"] == "Acme"
    assert ok(client.get(item["product"]["url"]))["name"] == "Acme Cloud"
    assert ok(client.get(item["url"]))["id"] == item["id"]


def test_a_token_changes_nothing_in_the_directory(directory: Directory) -> None:
    client = directory.client
    anonymous = client.get(f"{BASE}/certifications?per_page=100").get_data()
    owner = client.get(f"{BASE}/certifications?per_page=100", headers=bearer(directory.world.vendor.token))
    assert owner.get_data() == anonymous
    private = directory.private["private product id"]
    assert client.get(f"{BASE}/products/{private}", headers=bearer(directory.world.admin)).status_code == 404


@pytest.mark.parametrize(
    ("query", "paths"),
    [
        ("?status=valid", ["$.status"]),
        ("?sort=random&page=0", ["$.page", "$.sort"]),
        ("?per_page=101", ["$.per_page"]),
        ("?page=1e3", ["$.page"]),
        ("?q=" + "x" * 201, ["$.q"]),
    ],
)
def test_bad_parameters_are_a_400_naming_each(app: Flask, directory: Directory, query: str, paths: list[str]) -> None:
    body = refused(app, directory.client, "GET", f"{BASE}/certifications{query}", 400, "bad-search")
    assert sorted(p["path"] for p in body["problems"]) == paths
    # the export has no pages: it reads the search parameters only
    searched = [p for p in paths if p not in ("$.page", "$.per_page")]
    export = directory.client.get(f"{BASE}/certifications.csv{query}")
    if searched:
        assert sorted(p["path"] for p in assert_problem(export, 400, "bad-search")["problems"]) == searched
    else:
        assert export.status_code == 200


def test_an_empty_parameter_is_refused_as_everywhere_on_v2(app: Flask, directory: Directory) -> None:
    refused(app, directory.client, "GET", f"{BASE}/certifications?status=", 400, "empty-parameter")


def test_private_things_answer_exactly_as_unknown_ones(directory: Directory) -> None:
    client = directory.client
    private = directory.private
    cases = [
        ("certifications", directory.private_certifications["private_product"]),
        ("certifications", directory.private_certifications["unofficial_vendor"]),
        ("vendors", private["unofficial vendor id"]),
        ("products", private["private product id"]),
        ("products", private["unofficial vendor's product id"]),
    ]
    for kind, hidden in cases:
        unknown = "00000000-0000-4000-8000-000000000000"
        answers = [client.get(f"{BASE}/{kind}/{i}") for i in (hidden, unknown)]
        bodies = [assert_problem(a, 404, "not-found") for a in answers]
        assert bodies[0]["detail"].replace(hidden, unknown) == bodies[1]["detail"]
        assert {k: v for k, v in answers[0].headers.items() if k != "Content-Length"} == {
            k: v for k, v in answers[1].headers.items() if k != "Content-Length"
        }
    for hidden in directory.private_certifications.values():
        assert_problem(client.get(f"{BASE}/certifications/{hidden}/envelope"), 404, "not-found")


def test_a_certification_with_its_report_and_the_envelope_it_rests_on(directory: Directory) -> None:
    client = directory.client
    body = ok(client.get(f"{BASE}/certifications/{directory.certifications['active']}"))
    assert body["guideline"] == "2019.11"
    assert body["guideline_digest"] == directory.world.digests["2019.11"]
    assert body["report"]["eligible"] is True
    assert any(cap["flagged"] for cap in body["report"]["capabilities"])
    assert "reviewer" not in body
    assert "submission" not in body  # the digest, never the submission's id
    envelope = client.get(body["envelope"])
    assert envelope.status_code == 200
    assert envelope.mimetype == "application/vnd.dsse.envelope.v1+json"
    assert "sha256:" + hashlib.sha256(envelope.get_data()).hexdigest() == body["submission_digest"]
    digest = base64.b64encode(hashlib.sha256(envelope.get_data()).digest()).decode()
    assert envelope.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert "immutable" in envelope.headers["Cache-Control"]
    assert "attachment" in envelope.headers["Content-Disposition"]
    again = client.get(body["envelope"], headers={"If-None-Match": envelope.headers["ETag"]})
    assert (again.status_code, again.get_data()) == (304, b"")


def test_an_envelope_naming_a_cloud_id_is_not_published(app: Flask, directory: Directory) -> None:
    world = directory.world
    certified = world.request(world.submit("2019.11", cpid="cpid-certified-but-private"))
    cert = ok(world.approve(certified), 201)["id"]
    body = ok(directory.client.get(f"{BASE}/certifications/{cert}"))
    assert body["envelope"] is None
    assert_problem(directory.client.get(f"{BASE}/certifications/{cert}/envelope"), 404, "not-found")


def test_vendor_and_product(directory: Directory) -> None:
    client = directory.client
    vendor = ok(client.get(f"{BASE}/vendors/{directory.public_vendor_ids['acme']}"))
    assert [(p["name"], p["active_programs"]) for p in vendor["products"]] == [("Acme Cloud", ["powered-platform"])]
    product = ok(client.get(vendor["products"][0]["url"]))
    assert product["vendor"]["id"] == vendor["id"]
    (version,) = product["versions"]
    assert version["version"] == "2026.1"
    assert {c["status"] for c in version["certifications"]} == {"active", "expired", "revoked"}


# --- caching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/certifications",
        "/certifications.csv",
        "/certifications/{active}",
        "/vendors/{acme}",
        "/products/{acme_product}",
        "/feed.atom",
        "badge",
    ],
)
def test_conditional_gets_are_answered_304_until_something_changes(app: Flask, directory: Directory, path: str) -> None:
    ids = {
        "active": directory.certifications["active"],
        "acme": directory.public_vendor_ids["acme"],
        "acme_product": directory.public_product_ids["acme"],
    }
    if path == "badge":
        url = f"/badges/{ids['acme']}/{ids['acme_product']}/powered-platform.svg"
    else:
        url = BASE + path.format(**ids)
    assert_cached_until_a_change(app, directory, url)


# --- CSV, Atom, badges ----------------------------------------------------------------------------


def test_the_csv_export_neutralises_formulas(directory: Directory) -> None:
    response = directory.client.get(f"{BASE}/certifications.csv?sort=vendor")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["certification", "vendor", "product"]
    assert sorted(r[0] for r in rows[1:]) == sorted(directory.certifications.values())
    globex = next(r for r in rows[1:] if r[0] == directory.certifications["suspended"])
    assert globex[1] == HOSTILE_VENDOR
    assert globex[2] == "'" + HOSTILE_PRODUCT
    for cell in (c for r in rows[1:] for c in r):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_start_is_neutralised(start: str) -> None:
    assert neutralised(start + "1+1") == "'" + start + "1+1"
    assert neutralised("a" + start) == "a" + start


def test_the_atom_feed(directory: Directory) -> None:
    response = directory.client.get(f"{BASE}/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())  # noqa: S314 - our own answer, no entities
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 §4.1.1: one id, title and updated; an author; a self link
    for tag in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{ATOM}{tag}")) == 1, tag
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    kinds = {(e.find(f"{ATOM}category").get("term"), e.find(f"{ATOM}id").text) for e in entries}  # type: ignore[union-attr]
    c = directory.certifications
    for kind, which in (
        ("issued", "active"),
        ("expired", "expired"),
        ("revoked", "revoked"),
        ("suspended", "suspended"),
    ):
        assert any(k == kind and c[which] in (i or "") for k, i in kinds), kind
    ids = [e.find(f"{ATOM}id").text for e in entries]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{tag}") is not None
        # a reader opens the certification's page; a program follows its JSON
        links = {link.get("type"): link.get("href") or "" for link in entry.findall(f"{ATOM}link[@rel='alternate']")}
        assert set(links) == {"text/html", "application/json"}
        certification_id = (entry.find(f"{ATOM}id").text or "").split(":")[-2]  # type: ignore[union-attr]
        page = directory.client.get(urlsplit(links["text/html"]).path)
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        assert urlsplit(links["text/html"]).path == f"/certifications/{certification_id}"
        data = directory.client.get(urlsplit(links["application/json"]).path)
        assert data.status_code == 200
        assert data.get_json()["id"] == certification_id
    titles = [e.find(f"{ATOM}title").text or "" for e in entries]  # type: ignore[union-attr]
    assert any(HOSTILE_VENDOR in t and HOSTILE_PRODUCT in t for t in titles)  # kept as text
    assert b"<script>" not in response.get_data()
    assert b"<img" not in response.get_data()


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)  # noqa: S314 - our own answer, no entities
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def badge_url(directory: Directory, vendor: str, program: str = "powered-platform") -> str:
    return f"/badges/{directory.public_vendor_ids[vendor]}/{directory.public_product_ids[vendor]}/{program}.svg"


def test_badges_show_program_status_and_guideline_in_the_status_colour(directory: Directory) -> None:
    client = directory.client
    acme = client.get(badge_url(directory, "acme"))
    assert acme.status_code == 200
    assert acme.mimetype == "image/svg+xml"
    assert svg_texts(acme.get_data())[:2] == ["OpenStack Powered Platform"] * 2
    assert "active 2019.11" in svg_texts(acme.get_data())
    assert badges.COLOURS["active"].encode() in acme.get_data()
    globex = client.get(badge_url(directory, "globex"))
    assert "suspended 2019.11" in svg_texts(globex.get_data())
    assert badges.COLOURS["suspended"].encode() in globex.get_data()
    uncertified = client.get(badge_url(directory, "acme", "powered-compute"))
    assert (uncertified.status_code, svg_texts(uncertified.get_data())[-1]) == (200, "not certified")


def test_unknown_and_private_badges_are_the_same_404_badge(directory: Directory) -> None:
    client = directory.client
    acme = directory.public_vendor_ids["acme"]
    hooli, hooli_product = (
        directory.private["unofficial vendor id"],
        directory.private["unofficial vendor's product id"],
    )
    urls = [
        f"/badges/{acme}/{directory.private['private product id']}/powered-platform.svg",
        f"/badges/{hooli}/{hooli_product}/powered-platform.svg",
        f"/badges/{acme}/no-such-product/powered-platform.svg",
        f"/badges/{directory.public_vendor_ids['globex']}/{directory.public_product_ids['acme']}/powered-platform.svg",
        f"/badges/no-such-vendor/{directory.public_product_ids['acme']}/powered-platform.svg",
    ]
    answers = [client.get(u) for u in urls]
    assert {a.status_code for a in answers} == {404}
    assert {a.get_data() for a in answers} == {answers[0].get_data()}
    assert svg_texts(answers[0].get_data())[-1] == "not found"
    unknown_program = client.get(f"/badges/{acme}/{directory.public_product_ids['acme']}/no-such-program.svg")
    assert unknown_program.status_code == 404


def test_hostile_text_in_a_badge_url_stays_text() -> None:
    shown = badges.svg(badges.not_found('<script>alert(1)</script>"&'))
    assert b"<script>" not in shown
    assert svg_texts(shown)[0] == '<script>alert(1)</script>"&'


def test_badge_snippets_escape_for_markdown_and_html() -> None:
    found = badges.snippets("https://x.example/badges/a/b/p.svg", "https://x.example/p (1)", 'A [b] <i> "q"')
    assert (
        found.markdown == r'[![A \[b\] \<i\> "q"](https://x.example/badges/a/b/p.svg)](https://x.example/p%20%281%29)'
    )
    assert found.html == (
        '<a href="https://x.example/p (1)"><img src="https://x.example/badges/a/b/p.svg" '
        'alt="A [b] &lt;i&gt; &quot;q&quot;"></a>'
    )


def test_hostile_names_are_exact_text_in_json(directory: Directory) -> None:
    response = directory.client.get(f"{BASE}/vendors/{directory.public_vendor_ids['globex']}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    body = json.loads(response.get_data())
    assert body["name"] == HOSTILE_VENDOR
    assert body["products"][0]["name"] == HOSTILE_PRODUCT
    lookalike = ok(directory.client.get(f"{BASE}/vendors/{directory.public_vendor_ids['lookalike']}"))
    assert lookalike["name"] == LOOKALIKE_VENDOR
    assert lookalike["name"] != "Acme Look-alike"  # the Cyrillic letter is kept, not folded
    assert [c["vendor"]["name"] for c in listed(directory.client, "?q=acme")["items"]].count(LOOKALIKE_VENDOR) == 0


def test_a_change_within_the_last_second_gives_no_last_modified(app: Flask) -> None:
    """Whole-second HTTP dates cannot tell it from an earlier change in the same second."""
    with app.test_request_context("/"):
        now = datetime.now(UTC)
        recent = public_caching.conditional(Response(b"x"), now)
        settled = public_caching.conditional(Response(b"x"), now - public_caching.SETTLED)
    assert "Last-Modified" not in recent.headers
    assert settled.headers["Last-Modified"]
