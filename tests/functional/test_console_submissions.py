"""The console's submission pages: the list with the API's filters, one submission with each
verdict's per-capability report, its envelope and evidence as files, and asking for certification
from it; each refusal a clear page that changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.certification import checks as check_names
from refstack_lite.console import submission_pages
from tests.functional.api_helpers import ok, unchanged
from tests.functional.console_helpers import console_client, submit, text_of
from tests.functional.console_world import STREAM, ConsoleWorld, console_world
from tests.identity import bearer

LIST = "/console/submissions"


@pytest.fixture
def cw(app: Flask, client: FlaskClient) -> ConsoleWorld:
    return console_world(app, client)


def listed(page_html: str) -> list[str]:
    """The submission ids a list page shows, in its order."""
    return re.findall(r'<tr data-submission="([^"]+)"', page_html)


def test_a_member_sees_their_vendors_submissions_and_the_foundation_every_one(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    page = alice.get(LIST)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert listed(html) == [cw.failing, cw.eligible]  # newest first
    assert '<a href="/console/submissions" aria-current="page">Submissions</a>' in html
    assert "Acme Cloud 2026.1" in text_of(page)
    row = html.split(f'data-submission="{cw.failing}"')[1].split("</tr>")[0]
    assert "not eligible" in row
    assert listed(console_client(app, "root").get(LIST).get_data(as_text=True)) == [cw.failing, cw.eligible]
    bob_page = console_client(app, "bob").get(LIST)
    assert listed(bob_page.get_data(as_text=True)) == []
    assert "Your vendors have no submissions yet" in text_of(bob_page)


def test_the_filters_are_the_apis(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")

    def ids(**args: str) -> list[str]:
        page = alice.get(LIST, query_string=args)
        assert page.status_code == 200, page.get_data(as_text=True)
        return listed(page.get_data(as_text=True))

    assert ids(verdict="ineligible") == [cw.failing]
    assert ids(guideline="2020.06", target="platform", verdict="eligible") == [cw.eligible]
    assert ids(vendor=cw.world.vendor.id, product_version=cw.world.vendor.version_id) == [cw.failing, cw.eligible]
    assert ids(source="v1") == []
    assert ids(guideline="2019.11") == []
    today = datetime.now(UTC).date()
    assert ids(received_from=today.isoformat(), received_until=today.isoformat()) == [cw.failing, cw.eligible]
    assert ids(received_until=(today - timedelta(days=1)).isoformat()) == []
    assert ids(received_from=(today + timedelta(days=1)).isoformat()) == []
    # another vendor's id as a filter finds nothing: the listing stays the person's vendors'
    assert ids(vendor=cw.bobco) == []
    assert "No submission matches these filters" in text_of(alice.get(LIST, query_string={"vendor": cw.bobco}))


def test_the_list_pages_with_the_apis_cursor(app: Flask, cw: ConsoleWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submission_pages, "PER_PAGE", 1)
    alice = console_client(app, "alice")
    first = alice.get(LIST, query_string={"guideline": "2020.06"}).get_data(as_text=True)
    assert listed(first) == [cw.failing]
    found = re.search(r'<a href="([^"]+)" rel="next">Older submissions</a>', first)
    assert found is not None
    next_url = found.group(1).replace("&amp;", "&")
    assert "guideline=2020.06" in next_url  # the filters stay on the next page
    second = alice.get(next_url).get_data(as_text=True)
    assert listed(second) == [cw.eligible]
    assert 'rel="next"' not in second
    assert ">Newest</a>" in second


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"received_from": "yesterday"}, "Not a valid date value"),
        ({"verdict": "maybe"}, "Not a valid choice"),
        ({"source": "v3"}, "Not a valid choice"),
    ],
)
def test_a_bad_filter_is_a_clear_400(app: Flask, cw: ConsoleWorld, args: dict[str, str], says: str) -> None:
    alice = console_client(app, "alice")
    with unchanged(app):
        page = alice.get(LIST, query_string=args)
    assert page.status_code == 400
    assert says in text_of(page)
    assert listed(page.get_data(as_text=True)) == []


def test_a_cursor_the_server_never_gave_is_a_clear_400(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    with unchanged(app):
        page = alice.get(LIST, query_string={"cursor": "not-a-cursor"})
    assert page.status_code == 400
    assert "the cursor is not one this server gave out" in text_of(page)


def test_the_report_shows_the_facts_and_the_failed_and_flagged_tests(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    api = ok(cw.world.client.get(f"/v2/submissions/{cw.failing}", headers=bearer(cw.alice)))
    page = alice.get(f"{LIST}/{cw.failing}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Vendor Acme Product version Acme Cloud 2026.1" in text
    assert api["key"]["fingerprint"] in text
    assert "yes: it answered a fresh server challenge" in text
    counts = api["counts"]
    assert f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped" in text
    assert "2020.06 platform: not eligible" in text
    assert api["verdicts"][0]["reason"] in text
    html = page.get_data(as_text=True)
    # the target it was run for comes first, its report open; the other targets' follow, folded
    verdicts = re.findall(r'data-verdict="([^"]+)"', html.split('id="verdicts-title"')[1])
    assert verdicts[0] == "2020.06/platform/1"
    assert sorted(verdicts[1:]) == ["2020.06/compute/1", "2020.06/object/1"]
    assert html.count('<details class="report" open>') == 1
    failed = html.split('<ul class="failed-tests">')[1].split("</ul>")[0]
    assert cw.failed_test in failed
    # the capability holding the failed test is marked failing in the per-capability table
    capability = next(c["name"] for c in api["verdicts"][0]["capabilities"] if c["failed"])
    assert f'<tr data-capability="{capability}" class="failing">' in html
    assert "Request certification" in text  # alice is a member

    eligible = alice.get(f"{LIST}/{cw.eligible}")
    text = text_of(eligible)
    assert "2020.06 platform: eligible" in text
    flagged = eligible.get_data(as_text=True).split('<ul class="flagged-tests">')[1].split("</ul>")[0]
    assert cw.flagged_test in flagged
    item = flagged.split(f'data-test="{cw.flagged_test}"')[1].split("</li>")[0]
    assert "did not pass" in item
    assert '<ul class="failed-tests">' not in eligible.get_data(as_text=True)
    assert "Download the evidence" in text


def test_the_foundation_reads_the_report_but_asks_for_nothing(app: Flask, cw: ConsoleWorld) -> None:
    root = console_client(app, "root")
    page = root.get(f"{LIST}/{cw.failing}")
    assert page.status_code == 200
    assert cw.failed_test in page.get_data(as_text=True)
    assert "Request certification" not in text_of(page)


def test_the_downloads_are_the_apis_bytes_as_files(app: Flask, cw: ConsoleWorld) -> None:
    api = cw.world.client
    for user in ("alice", "root"):
        browser = console_client(app, user)
        envelope = browser.get(f"{LIST}/{cw.eligible}/envelope")
        assert envelope.status_code == 200
        expected = api.get(f"/v2/submissions/{cw.eligible}/envelope", headers=bearer(cw.alice))
        assert envelope.get_data() == expected.get_data()
        assert envelope.mimetype == expected.mimetype == "application/vnd.dsse.envelope.v1+json"
        assert envelope.headers["Content-Disposition"] == f'attachment; filename="submission-{cw.eligible}.dsse.json"'
        evidence = browser.get(f"{LIST}/{cw.eligible}/evidence")
        assert evidence.status_code == 200
        assert evidence.get_data() == STREAM
        assert evidence.get_data() == api.get(f"/v2/submissions/{cw.eligible}/evidence", headers=bearer(cw.alice)).data
        assert evidence.headers["Content-Disposition"] == f'attachment; filename="submission-{cw.eligible}.subunit"'
    alice = console_client(app, "alice")
    with unchanged(app):
        missing = alice.get(f"{LIST}/{cw.failing}/evidence")
    assert missing.status_code == 404
    assert "has no evidence uploaded" in text_of(missing)


def test_another_vendors_member_is_refused_everything(app: Flask, cw: ConsoleWorld) -> None:
    bob = console_client(app, "bob")
    for path in ("", "/envelope", "/evidence"):
        with unchanged(app):
            page = bob.get(f"{LIST}/{cw.eligible}{path}")
        assert page.status_code == 404, path
        assert f"no submission '{cw.eligible}'" in text_of(page)
    with unchanged(app):
        page = bob.get(f"{LIST}/no-such-id")
    assert page.status_code == 404


def test_anonymous_is_sent_to_sign_in(app: Flask, client: FlaskClient, cw: ConsoleWorld) -> None:
    anonymous = app.test_client()
    for url in (LIST, f"{LIST}/{cw.eligible}", f"{LIST}/{cw.eligible}/envelope", f"{LIST}/{cw.eligible}/evidence"):
        page = anonymous.get(url)
        assert page.status_code == 302, url
        assert page.headers["Location"].startswith("/console/sign-in?next=")


def requests_of(cw: ConsoleWorld, token: str) -> list[dict[str, object]]:
    body = ok(cw.world.client.get("/v2/certification-requests", headers=bearer(token)))
    return list(body["items"])


def test_requesting_certification_from_a_submission(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    page = alice.get(f"{LIST}/{cw.eligible}")
    # the form offers the programs and the vendor's versions, the submission's own chosen
    html = page.get_data(as_text=True)
    assert '<option selected value="powered-platform">' in html
    assert f'<option selected value="{cw.world.vendor.version_id}">Acme Cloud 2026.1</option>' in html
    answer = submit(
        alice,
        f"{LIST}/{cw.eligible}/certification-requests",
        {"program": "powered-platform", "product_version": cw.world.vendor.version_id},
    )
    assert answer.status_code == 302
    (made,) = requests_of(cw, cw.alice)
    assert answer.headers["Location"] == f"/console/requests/{made['id']}"
    assert made["state"] == "pending"
    assert made["submission_id"] == cw.eligible
    assert made["program"] == "powered-platform"
    assert made["requested_by"] == "alice"
    checks = made["checks"]
    assert isinstance(checks, list)
    assert [c["name"] for c in checks] == list(check_names.NAMES)
    assert all(c["passed"] for c in checks)
    shown = alice.get(answer.headers["Location"])
    assert "Certification requested under powered-platform" in text_of(shown)
    # the submission's page lists the request made with it
    assert f'data-request="{made["id"]}"' in alice.get(f"{LIST}/{cw.eligible}").get_data(as_text=True)


def test_a_request_failing_its_checks_lists_each_and_stores_nothing(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    form = {"program": "powered-platform", "product_version": cw.world.vendor.version_id}
    with unchanged(app):
        page = submit(alice, f"{LIST}/{cw.failing}/certification-requests", form)
    assert page.status_code == 400
    text = text_of(page)
    assert "Nothing was requested: 1 check failed." in text
    failed = page.get_data(as_text=True).split('id="failed-checks"')[1].split("</div>")[0]
    assert 'data-check="submission-eligible"' in failed
    assert "not eligible" in failed
    assert requests_of(cw, cw.alice) == []


def test_bad_requests_are_refused_and_change_nothing(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    url = f"{LIST}/{cw.eligible}/certification-requests"
    version = cw.world.vendor.version_id
    with unchanged(app):
        unknown = submit(alice, url, {"program": "powered-widgets", "product_version": version})
    assert unknown.status_code == 404
    assert "no program 'powered-widgets'; the programs are" in text_of(unknown)
    with unchanged(app):
        empty = submit(alice, url, {"program": "", "product_version": version})
    assert empty.status_code == 400
    assert "This field is required." in text_of(empty)
    with unchanged(app):
        theirs = submit(alice, url, {"program": "powered-platform", "product_version": cw.bob_version})
    assert theirs.status_code == 404
    assert f"no product version '{cw.bob_version}'" in text_of(theirs)
    # bob, with his own version, asks with Acme's submission: he never sees it
    bob = console_client(app, "bob")
    with unchanged(app):
        stolen = submit(bob, url, {"program": "powered-platform", "product_version": cw.bob_version})
    assert stolen.status_code == 404
    assert f"no submission '{cw.eligible}'" in text_of(stolen)
    # the foundation reviews requests; it does not make them for a vendor
    root = console_client(app, "root")
    with unchanged(app):
        foundation = submit(root, url, {"program": "powered-platform", "product_version": version})
    assert foundation.status_code == 403
    assert "only members of vendor 'Acme' may do this" in text_of(foundation)
    assert requests_of(cw, cw.alice) == []


def test_a_form_without_its_csrf_token_is_refused(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    url = f"{LIST}/{cw.eligible}/certification-requests"
    form = {"program": "powered-platform", "product_version": cw.world.vendor.version_id}
    with unchanged(app):
        forged = alice.post(url, data=form)
    assert forged.status_code == 400
    assert "This form cannot be accepted" in text_of(forged)
    with unchanged(app):
        anonymous = app.test_client().post(url, data=form)
    assert anonymous.status_code == 400
