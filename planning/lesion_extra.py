"""What a segmented lesion's target keeps of its segmentation in ``Target.extra`` (saved with the case).

Both ways a lesion is segmented write the same keys, so the window shows the same for each: a click with
the Lesion tool (app.segmentation.lesion_tool) and a target of a plan spec run by ``osteoplan plan``
(:func:`planning.plan_case.build_case`; until session 24 its targets kept none of them, and a plan opened in
the window did not say where the reference bone HU was measured nor why the type).

- :func:`with_basis`: where the reference bone HU was measured (:class:`imaging.lesion_basis.ReferenceSite`
  as JSON, or :data:`OPERATOR` when it was given) and the lytic and sclerotic shares behind the type with
  the delta and the mixed share they were judged with (QA s22 D4, D5); the mask's voxel count.
- :func:`with_warnings`: the segmentation's warnings (:attr:`imaging.lesion_model.Lesion.warnings`), one
  per line, and the mask's voxel count (to tell a mask edited since).
- :func:`with_segmentation`: both, and the type it measured (:data:`MEASURED_TYPE_KEY`).

``Target.extra`` holds scalars only. A case saved without these keys opens and shows neither.
"""

from __future__ import annotations

import dataclasses
import json

from imaging.lesion_model import Lesion
from planning.model import Target

__all__ = [
    "BASIS_KEYS",
    "DELTA_KEY",
    "LYTIC_KEY",
    "MEASURED_TYPE_KEY",
    "MIXED_KEY",
    "OPERATOR",
    "REFERENCE_SITE_KEY",
    "SCLEROTIC_KEY",
    "VOXELS_KEY",
    "WARNINGS_DISMISSED_KEY",
    "WARNINGS_KEY",
    "with_basis",
    "with_segmentation",
    "with_warnings",
]

#: the type segmentation measured (the Type cell says it when the operator chose another)
MEASURED_TYPE_KEY = "measured_type"
#: the warnings (one per line) and the mask's voxel count when segmented
WARNINGS_KEY = "segmentation_warnings"
VOXELS_KEY = "segmented_voxels"
#: True once the operator has dismissed the warnings (dealt with them); a lesion segmented again is a new
#: target without it
WARNINGS_DISMISSED_KEY = "segmentation_warnings_dismissed"
#: where the reference was measured (its JSON, or :data:`OPERATOR`), and the type's shares with the delta
#: and the mixed share they were judged with (the reference itself is in ``Target.measures``)
REFERENCE_SITE_KEY = "reference_site"
LYTIC_KEY = "lytic_fraction"
SCLEROTIC_KEY = "sclerotic_fraction"
DELTA_KEY = "abnormal_delta_hu"
MIXED_KEY = "mixed_min_fraction"
#: every key :func:`with_basis` writes (a lesion segmented again replaces them all)
BASIS_KEYS = (REFERENCE_SITE_KEY, LYTIC_KEY, SCLEROTIC_KEY, DELTA_KEY, MIXED_KEY)
#: the reference site's value when the operator gave the reference bone HU
OPERATOR = "given by the operator"


def with_basis(target: Target, lesion: Lesion) -> Target:
    """The target with where the lesion's reference was measured and its type's shares in ``extra``, and
    the mask's voxel count when segmented (to tell an edited mask)."""
    extra = {k: v for k, v in target.extra.items() if k not in BASIS_KEYS}
    site = lesion.reference_site
    extra[REFERENCE_SITE_KEY] = OPERATOR if site is None else json.dumps(site.to_json())
    basis = lesion.type_basis
    if basis is not None:
        extra.update(
            {
                LYTIC_KEY: float(basis.lytic_fraction),
                SCLEROTIC_KEY: float(basis.sclerotic_fraction),
                DELTA_KEY: float(basis.delta_hu),
                MIXED_KEY: float(basis.mixed_min_fraction),
            }
        )
    extra[VOXELS_KEY] = int(lesion.mask.count())
    return dataclasses.replace(target, extra=extra)


def with_warnings(target: Target, lesion: Lesion) -> Target:
    """The target with the lesion's warnings and its mask's voxel count in ``extra`` (unchanged if none)."""
    if not lesion.warnings:
        return target
    extra = {
        **target.extra,
        WARNINGS_KEY: "\n".join(lesion.warnings),
        VOXELS_KEY: int(lesion.mask.count()),
    }
    return dataclasses.replace(target, extra=extra)


def with_segmentation(target: Target, lesion: Lesion) -> Target:
    """The target with all a segmentation keeps: the type it measured (:data:`MEASURED_TYPE_KEY`, kept when
    the operator overrides the type), :func:`with_basis`, then :func:`with_warnings`."""
    measured = dataclasses.replace(target, extra={**target.extra, MEASURED_TYPE_KEY: lesion.type.value})
    return with_warnings(with_basis(measured, lesion), lesion)
