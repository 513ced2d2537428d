"""Which score fits a target's bone: SINS for a vertebra, Mirels for a long bone, Harrington for the
acetabulum, none for a rib or another bone.

DESIGN.md step 6 ("SINS for the spine, Mirels for long bones, Harrington for the acetabulum") and
CLINICAL.md ("Scores": Mirels is scored on long bones, its site item being upper limb, lower limb or
peritrochanteric; Harrington's classes are periacetabular). CLINICAL.md gives no score for a rib or
another flat or irregular bone, so none is offered there: the operator may still choose another bone.
The program does not recognise the bone from the images: the operator states it, kept in the target's
``extra`` under ``BONE_KEY``; until then an extraspinal target is offered Mirels, as before, with the
other choices named. No units.
"""

from __future__ import annotations

from enum import StrEnum

from planning.model import ScoreSystem, Target, TargetKind

#: ``Target.extra`` key holding the operator's :class:`BoneSite` for an extraspinal target
BONE_KEY = "bone"


class BoneSite(StrEnum):
    """The bone of an extraspinal target, as far as the choice of score goes."""

    LONG_BONE = "long bone"
    ACETABULUM = "acetabulum"
    OTHER = "rib or other bone"


#: the score each bone gets (CLINICAL.md "Scores"; DESIGN.md step 6)
SCORE_FOR_BONE: dict[BoneSite, ScoreSystem | None] = {
    BoneSite.LONG_BONE: ScoreSystem.MIRELS,
    BoneSite.ACETABULUM: ScoreSystem.HARRINGTON,
    BoneSite.OTHER: None,
}
#: what an extraspinal target whose bone is not stated is offered: Mirels, as every extraspinal target
#: was before the bone could be stated (a stated reason, not a clinical figure); the dock says the bone
#: is not stated and names the other choices
UNSTATED_BONE_SCORE = ScoreSystem.MIRELS


def bone_of(target: Target) -> BoneSite | None:
    """The bone the operator stated for an extraspinal target (None: not stated, or a vertebra)."""
    if target.kind == TargetKind.SPINE:
        return None
    value = target.extra.get(BONE_KEY)
    try:
        return BoneSite(str(value)) if value else None
    except ValueError:
        return None  # a value this version does not know: treated as not stated


def score_for(target: Target) -> ScoreSystem | None:
    """The score that fits the target's bone: SINS for a vertebra; by the stated bone otherwise."""
    if target.kind == TargetKind.SPINE:
        return ScoreSystem.SINS
    bone = bone_of(target)
    return UNSTATED_BONE_SCORE if bone is None else SCORE_FOR_BONE[bone]
