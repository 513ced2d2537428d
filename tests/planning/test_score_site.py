"""Which score a target's bone gets (DESIGN.md step 6, CLINICAL.md "Scores"), and its storage."""

from __future__ import annotations

import pytest

from planning.model import ScoreSystem, Target, TargetKind
from planning.score_site import BONE_KEY, UNSTATED_BONE_SCORE, BoneSite, bone_of, score_for


@pytest.mark.parametrize(
    ("bone", "system"),
    [
        (BoneSite.LONG_BONE, ScoreSystem.MIRELS),
        (BoneSite.ACETABULUM, ScoreSystem.HARRINGTON),
        (BoneSite.OTHER, None),
    ],
)
def test_the_stated_bone_chooses_the_score(bone: BoneSite, system: ScoreSystem | None) -> None:
    t = Target("Lesion 1", kind=TargetKind.EXTRASPINAL, extra={BONE_KEY: bone.value})
    assert bone_of(t) is bone
    assert score_for(t) is system


def test_a_vertebra_is_sins_whatever_is_stored_and_unstated_bone_gets_the_default() -> None:
    spine = Target("L1", kind=TargetKind.SPINE, level="L1", extra={BONE_KEY: BoneSite.ACETABULUM.value})
    assert bone_of(spine) is None and score_for(spine) is ScoreSystem.SINS
    unstated = Target("Lesion 1", kind=TargetKind.EXTRASPINAL)
    assert bone_of(unstated) is None and score_for(unstated) is UNSTATED_BONE_SCORE
    unknown = Target("Lesion 2", kind=TargetKind.EXTRASPINAL, extra={BONE_KEY: "skull"})
    assert bone_of(unknown) is None and score_for(unknown) is UNSTATED_BONE_SCORE
