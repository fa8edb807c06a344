"""What changes for a vendor between two guidelines, for one target."""

from __future__ import annotations

from dataclasses import dataclass

from refstack_lite_client.guideline import Guideline, RequiredTest


@dataclass(frozen=True)
class GuidelineDiff:
    added: list[RequiredTest]  # required by the new guideline only
    removed: list[RequiredTest]  # required by the old guideline only
    newly_flagged: list[RequiredTest]  # required by both, flagged only in the new one
    unflagged: list[RequiredTest]  # required by both, flagged only in the old one


def diff_required(old: Guideline, new: Guideline, target: str) -> GuidelineDiff:
    """Compare the required tests of ``target``; raises ``UnknownTarget`` if either lacks it.

    Tests are matched by name; entries carry the new guideline's view except for removals.
    """
    before = {t.test.name: t for t in old.tests_for(target)}
    after = {t.test.name: t for t in new.tests_for(target)}
    both = sorted(before.keys() & after.keys())
    return GuidelineDiff(
        added=[after[n] for n in sorted(after.keys() - before.keys())],
        removed=[before[n] for n in sorted(before.keys() - after.keys())],
        newly_flagged=[after[n] for n in both if after[n].test.flagged and not before[n].test.flagged],
        unflagged=[after[n] for n in both if before[n].test.flagged and not after[n].test.flagged],
    )
