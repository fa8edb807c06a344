"""Programs derived from guideline facts: ids, names, windows and when a guideline left one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from refstack_lite.certification.programs import GuidelineFacts, derive, display_name, program_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def facts(name: str, day: int, status: str = "approved", family: str = "powered") -> GuidelineFacts:
    at = T0 + timedelta(days=day)
    targets = ("platform", "compute") if family == "powered" else (family,)
    return GuidelineFacts(name, family, status, targets, "0" * 64, 1, at, at)


def test_ids_and_names() -> None:
    assert program_id("powered", "object") == "powered-object"
    assert program_id("dns", "dns") == "dns"
    assert program_id("widgets", "gadgets") == "widgets-gadgets"
    assert display_name("powered", "object") == "OpenStack Powered Storage"
    assert display_name("widgets", "widgets") == "Widgets"
    assert display_name("widgets", "gadgets") == "Widgets Gadgets"


def test_the_window_holds_the_newest_approved_and_says_when_one_left() -> None:
    guidelines = [facts("2019.06", 0), facts("2019.11", 1), facts("2020.06", 5), facts("next", 2, "draft")]
    (compute, platform) = derive(guidelines, 2)
    assert [p.id for p in (compute, platform)] == ["powered-compute", "powered-platform"]
    assert [g.name for g in platform.accepted] == ["2020.06", "2019.11"]
    assert [g.name for g in platform.guidelines] == ["next", "2020.06", "2019.11", "2019.06"]
    assert platform.left_window_at("2019.11") is None
    assert platform.left_window_at("2019.06") == T0 + timedelta(days=5)
    assert platform.left_window_at("next") == T0 + timedelta(days=2)  # never approved: out since its import
    assert platform.left_window_at("1999.01") is None


def test_a_superseded_guideline_left_when_its_revision_came() -> None:
    superseded = GuidelineFacts(
        "2019.06", "powered", "superseded", ("platform",), "0" * 64, 2, T0, T0 + timedelta(days=1)
    )
    platform = derive([superseded, facts("2019.11", 3)], 2)[1]
    assert [g.name for g in platform.accepted] == ["2019.11"]
    assert platform.left_window_at("2019.06") == T0 + timedelta(days=1)


def test_add_ons_name_the_platform_components_they_need() -> None:
    dns = GuidelineFacts("dns.2020.06", "dns", "approved", ("dns",), "0" * 64, 1, T0, T0, ("os_powered_compute",))
    (program,) = derive([dns], 2)
    assert (program.id, program.add_on, program.required_platform_components) == ("dns", True, ("os_powered_compute",))
