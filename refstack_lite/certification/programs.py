"""Programs: what a product is certified for, derived from the imported guidelines.

A program is one target of one guideline family: the ``powered`` family's ``platform``,
``compute`` and ``object`` targets are OpenStack Powered Platform, Compute and Storage; each
add-on family (``dns``, ``orchestration``) is a program of its own. Each program accepts the
``window`` most recent approved guidelines of its family that define its target (process
document 2016A, C6). Pure: no Flask, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from refstack_lite import policy

POWERED = "powered"
PLATFORM_TARGETS = ("platform", "compute", "object")
DISPLAY_NAMES = {
    (POWERED, "platform"): "OpenStack Powered Platform",
    (POWERED, "compute"): "OpenStack Powered Compute",
    (POWERED, "object"): "OpenStack Powered Storage",
    ("dns", "dns"): "OpenStack Powered DNS add-on",
    ("orchestration", "orchestration"): "OpenStack Powered Orchestration add-on",
}


@dataclass(frozen=True)
class GuidelineFacts:
    """What programs need of a guideline's current revision."""

    name: str
    family: str
    status: str
    targets: tuple[str, ...]
    digest: str
    revision: int
    first_imported_at: datetime
    revised_at: datetime
    required_platform_components: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    family: str
    target: str
    add_on: bool
    window: int
    # the guidelines that define the target, newest first, and those accepted now
    guidelines: tuple[GuidelineFacts, ...]
    accepted: tuple[GuidelineFacts, ...]

    @property
    def required_platform_components(self) -> tuple[str, ...]:
        """Platform components an add-on needs, as its newest accepted (else newest) guideline names them."""
        source = self.accepted or self.guidelines
        return source[0].required_platform_components if source else ()

    def accepts(self, guideline: str) -> bool:
        return any(g.name == guideline for g in self.accepted)

    def left_window_at(self, guideline: str) -> datetime | None:
        """When ``guideline`` stopped being accepted, or None while it is (or was never known here).

        A guideline leaves when its revision stops being approved (superseded), or when the
        ``window``-th newer approved guideline arrives; the time is that revision's import."""
        if self.accepts(guideline):
            return None
        mine = next((g for g in self.guidelines if g.name == guideline), None)
        if mine is None:
            return None
        if mine.status != "approved":
            return mine.revised_at
        newer = sorted(
            g.first_imported_at
            for g in self.guidelines
            if g.status == "approved" and policy.version_of(g.name) > policy.version_of(guideline)
        )
        return newer[self.window - 1] if len(newer) >= self.window else None


def program_id(family: str, target: str) -> str:
    if family == POWERED:
        return f"{POWERED}-{target}"
    return family if target == family else f"{family}-{target}"


def display_name(family: str, target: str) -> str:
    known = DISPLAY_NAMES.get((family, target))
    if known is not None:
        return known
    return family.capitalize() if target == family else f"{family.capitalize()} {target.capitalize()}"


def derive(guidelines: Iterable[GuidelineFacts], window: int) -> list[Program]:
    """Every program the guidelines define, ordered by id."""
    facts = list(guidelines)
    accepted = policy.accepted([(g.name, g.family, g.status) for g in facts], window)
    by_program: dict[tuple[str, str], list[GuidelineFacts]] = {}
    for g in facts:
        for target in g.targets:
            by_program.setdefault((g.family, target), []).append(g)
    programs = []
    for (family, target), members in by_program.items():
        members.sort(key=lambda g: policy.version_of(g.name), reverse=True)
        programs.append(
            Program(
                id=program_id(family, target),
                name=display_name(family, target),
                family=family,
                target=target,
                add_on=target not in PLATFORM_TARGETS,
                window=window,
                guidelines=tuple(members),
                accepted=tuple(g for g in members if g.name in accepted),
            )
        )
    return sorted(programs, key=lambda p: p.id)
