"""What a clicked lesion's call rests on, kept with its target and shown in the Lesions dock.

A radiologist checks that the reference bone HU a lesion was typed against was measured in normal
trabecular bone (not cortex, not another lesion), and why the lesion is lytic, blastic or mixed (QA s22 D,
items D4 and D5). :func:`imaging.lesion.segment_lesion` gives both (:mod:`imaging.lesion_basis`): where the
reference was measured (:class:`imaging.lesion_basis.ReferenceSite`) and the shares of voxels below and
above it (:class:`imaging.lesion_basis.TypeBasis`). They are kept in the lesion's ``Target.extra``
(:mod:`planning.lesion_extra`, also for a plan's targets; saved with the case, back on reopen; a case saved
before has neither and shows neither), and read back here for the details line, its tooltip and the Type
cell's tooltip. A mask drawn by hand has its reference and type measured from the mask each time
(:mod:`app.segmentation.lesion_figures`): its site and basis are those figures'. Distances mm, CT values
HU, shares 0..1.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from imaging.lesion_basis import ReferenceSite, TypeBasis
from planning.lesion_extra import (
    DELTA_KEY,
    LYTIC_KEY,
    MIXED_KEY,
    OPERATOR,
    REFERENCE_SITE_KEY,
    SCLEROTIC_KEY,
    VOXELS_KEY,
)
from planning.model import Target

if TYPE_CHECKING:  # lesion_figures imports the vertebra tool, which imports the lesion tool, which uses this
    from app.segmentation.lesion_figures import Figures


def reference_site_of(target: Target, figures: Figures | None) -> ReferenceSite | str | None:
    """Where the target's reference bone HU was measured: measured on the mask as it is now (a drawn
    lesion), else as segmentation kept it; :data:`OPERATOR` when the operator gave it; None: not known."""
    if figures is not None and figures.lesion is not None and figures.lesion.reference_site is not None:
        return figures.lesion.reference_site
    raw = target.extra.get(REFERENCE_SITE_KEY)
    if raw == OPERATOR:
        return OPERATOR
    if not isinstance(raw, str):
        return None
    try:
        return ReferenceSite.from_json(json.loads(raw))
    except ValueError:
        return None


def reference_short_text(target: Target, figures: Figures | None) -> str:
    """For the details line after "reference bone 275 HU": " given by the operator", " in 6,635 voxels
    12.2-27.8 mm from the seed" or "" (not known)."""
    site = reference_site_of(target, figures)
    if site is None:
        return ""
    return f" {site}" if isinstance(site, str) else f" {site.short_text(_origin(target))}"


def _origin(target: Target) -> str:
    """What the reference's distances are measured from: the seed clicked, or (a lesion drawn by hand, no
    seed) the centre of its mask, where :func:`imaging.lesion_remeasure.measure_lesion_mask` puts the seed
    (QA s31 C: a drawn lesion's line said "from the seed" of a lesion that had none)."""
    return "the seed" if target.lesion_seed_lps is not None else "its centre"


def reference_tip(target: Target, figures: Figures | None) -> str:
    """The details line's tooltip paragraph on the reference: where it was measured, in full."""
    site = reference_site_of(target, figures)
    if site is None:
        return ""
    where = site if isinstance(site, str) else f"measured in {site.text(_origin(target))}"
    return f"Reference bone of {target.name}: {where}"


def type_basis_of(target: Target, figures: Figures | None) -> TypeBasis | None:
    """The shares behind the target's type: judged on the mask now (a drawn lesion), else as kept."""
    if figures is not None and figures.lesion is not None and figures.lesion.type_basis is not None:
        return figures.lesion.type_basis
    values = [target.extra.get(k) for k in (LYTIC_KEY, SCLEROTIC_KEY, DELTA_KEY, MIXED_KEY)]
    reference = target.measures.get("reference_bone_hu")
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if reference is None or len(numbers) != len(values):
        return None
    lytic, sclerotic, delta, mixed = (float(v) for v in numbers)
    return TypeBasis(lytic, sclerotic, float(reference), delta, mixed)


def type_basis_tip(target: Target, figures: Figures | None) -> str:
    """The Type cell's line on why: "Why: 97 % of its voxels below 187 HU (lytic), ..."; "when segmented"
    once the mask was edited; "" when not known (a case saved before session 22)."""
    basis = type_basis_of(target, figures)
    if basis is None:
        return ""
    line = f"Why: {basis.text()}"
    drawn = figures is not None and figures.lesion is not None and figures.lesion.type_basis is not None
    voxels = target.extra.get(VOXELS_KEY)
    mask = None if figures is None or figures.lesion is None else figures.lesion.mask
    if not drawn and isinstance(voxels, (int, float)) and mask is not None and mask.count() != round(voxels):
        line += " (when segmented: the mask has been edited since)"
    return line
