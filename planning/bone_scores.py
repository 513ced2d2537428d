"""The scores a plan reports for an extraspinal target, kept as the bone the spec states asks.

``osteoplan plan`` computes the extraspinal score objects (:mod:`planning.target_scores`: Mirels, the
Harrington impending-fracture criteria, and the Harrington periacetabular class when the operator's
findings are given). The target's ``bone`` (:class:`planning.score_site.BoneSite`, as the window's
Scores dock states it) chooses among them as :func:`planning.score_site.score_for` does in the window:
a long bone keeps Mirels and the impending-fracture criteria (CLINICAL.md gives them for the femur, a
long bone); the acetabulum keeps the Harrington class (its walls still to be stated when the spec gives
no findings); a rib or other bone gets no score (CLINICAL.md gives none). No bone stated: unchanged
(Mirels offered, as the window does). No units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planning.harrington import HarringtonResult
from planning.score_site import SCORE_FOR_BONE, BoneSite
from planning.target_choices import HARRINGTON_WALLS

__all__ = ["BONE_SCORE_KEYS", "scores_for_bone"]

#: the plan's score objects each bone keeps (keys of ``cement_risk_scores``'s ``scores``)
BONE_SCORE_KEYS: dict[BoneSite, frozenset[str]] = {
    BoneSite.LONG_BONE: frozenset({"mirels", "impending_fracture"}),
    BoneSite.ACETABULUM: frozenset({"harrington"}),
    BoneSite.OTHER: frozenset(),
}
#: the spec's ``choices`` key each score object reads
_CHOICE_OF_SCORE = {"mirels": "mirels", "impending_fracture": "impending", "harrington": "harrington"}
#: the findings the acetabulum's class needs, as the spec's ``choices.harrington`` names them
_WALLS = HARRINGTON_WALLS


def scores_for_bone(
    scores: Mapping[str, Any], bone: BoneSite | None, choices: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """The score objects the stated ``bone`` keeps, and notes for the target's warnings.

    Parameters
    ----------
    scores
        The target's ``scores`` object as :func:`planning.target_report.cement_risk_scores` gives it.
    bone
        The bone the spec states (None: not stated; the scores are returned unchanged).
    choices
        The target's ``choices`` (to say which of them the bone's score does not use).

    Returns
    -------
    tuple
        The kept score objects and the notes (a score left out, choices not used).
    """
    if bone is None:
        return dict(scores), []
    keep = BONE_SCORE_KEYS[bone]
    out = {k: v for k, v in scores.items() if k in keep}
    notes: list[str] = []
    if bone is BoneSite.ACETABULUM and "harrington" not in out:
        missing = HarringtonResult(
            None,
            None,
            (
                "state the medial wall, lateral cortex and superior wall (intact or deficient) in the "
                'target\'s "choices": {"harrington": {' + ", ".join(f'"{w}": ...' for w in _WALLS) + "}}",
            ),
        )
        out["harrington"] = missing.to_json()
    if SCORE_FOR_BONE[bone] is None:
        notes.append(
            f"no score for a {bone.value}: CLINICAL.md gives none (Mirels is for long bones, Harrington "
            "for the acetabulum)"
        )
    used = {_CHOICE_OF_SCORE[k] for k in keep}
    unused = [c for c in _CHOICE_OF_SCORE.values() if (choices or {}).get(c) and c not in used]
    if unused:
        notes.append(f"choices {', '.join(unused)} not used: this target's bone is stated as {bone.value}")
    return out, notes
