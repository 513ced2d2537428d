"""What a clicked point reads: its median HU near it and the tissue that HU reads as (air or lung, fat,
soft tissue or fluid, bone), for the judgements of where a vertebra click lies (:mod:`imaging.click_place`),
and the refusals said by what it reads (:func:`imaging.vertebra.find_vertebra` calls them):

- :func:`refuse_body_away_from_click`, after the body search: a point in air, lung or fat that the body
  found does not hold (more than ``CLICK_IN_BODY_MM`` from it) is refused, saying what the point is in
  before anything about that body.
- :func:`tissue_refusal`: when the search refuses a point in air, lung or fat, that is said instead of
  what the search ran into; :func:`with_tissue`: a point reading soft tissue or fluid is said to, before
  the search's reason. Soft-tissue HU alone refuses nothing: a lytic lesion inside a body reads so.

Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.vertebra_roi import LpsRoi, sample_source_hu
from imaging.vertebra_steps import CLICK_IN_BODY_MM
from imaging.volume import Volume

__all__ = [
    "AIR_BELOW_HU",
    "DESTROYED_BODY_STEP",
    "FAT_BELOW_HU",
    "SOFT_BELOW_HU",
    "TISSUE_RADIUS_MM",
    "ClickTissue",
    "Tissue",
    "click_tissue",
    "refuse_body_away_from_click",
    "tissue_refusal",
    "with_tissue",
]

FloatArray = npt.NDArray[np.float64]

#: the point's HU is the median within this radius (mm), as the lesion tool's seed (imaging.lesion)
TISSUE_RADIUS_MM = 2.0
#: below this the point holds air: lung reads about -700 to -900 HU, fat about -100 (common CT values,
#: not in CLINICAL.md); half way between fat and lung's densest parts
AIR_BELOW_HU = -300.0
#: below this (and above AIR_BELOW_HU) the point is fat: the lesion tool's fat limit (imaging.lesion:
#: half way between lytic tissue's 0 HU and fat's -100)
FAT_BELOW_HU = -50.0
#: below this (and above FAT_BELOW_HU) the point reads soft tissue or fluid: CLINICAL.md's soft-tissue
#: density of lytic lesions, roughly 0-100 HU (osteoporotic trabecular bone, 89 +- 38 HU at 90+, reads
#: within it too: never a reason to refuse on its own)
SOFT_BELOW_HU = 100.0
#: what to do after a refusal of a point reading soft tissue, which may lie in a body a lesion destroyed (QA
#: s31: the refusal said only to click inside a vertebral body, where the operator had clicked)
DESTROYED_BODY_STEP = (
    "if a lesion has destroyed the vertebral body here, click in a part of it that is still bone"
)


class Tissue(StrEnum):
    """What a point reads by its HU."""

    AIR = "air or lung"
    FAT = "fat"
    SOFT = "soft tissue or fluid"
    BONE = "bone or denser"


@dataclass(frozen=True)
class ClickTissue:
    """The point's median HU within ``TISSUE_RADIUS_MM`` and what that reads as."""

    median_hu: float
    tissue: Tissue

    def words(self) -> str:
        """E.g. ``"air or lung (-834 HU)"``."""
        return f"{self.tissue.value} ({self.median_hu:.0f} HU)"


def click_tissue(volume: Volume, click_lps: npt.ArrayLike) -> ClickTissue:
    """The median HU of the source CT within ``TISSUE_RADIUS_MM`` of the point, and its tissue.

    Sampled on a 1 mm lattice of points in the ball (trilinear), so the ball is the same in mm on any
    grid; points outside the scan are left out (a point whose whole ball is outside reads air).
    """
    click = np.asarray(click_lps, dtype=np.float64)
    r = int(np.ceil(TISSUE_RADIUS_MM))
    offsets = np.indices((2 * r + 1,) * 3).reshape(3, -1).T.astype(np.float64) - r
    offsets = offsets[np.linalg.norm(offsets, axis=1) <= TISSUE_RADIUS_MM]
    points = click + offsets
    index = volume.lps_to_index_points(points)
    upper = np.asarray(volume.shape, dtype=np.float64) - 0.5
    inside = np.all((index >= -0.5) & (index <= upper), axis=1)
    values = sample_source_hu(volume, points[inside]) if inside.any() else np.array([-1000.0])
    hu = float(np.median(values))
    if hu < AIR_BELOW_HU:
        kind = Tissue.AIR
    elif hu < FAT_BELOW_HU:
        kind = Tissue.FAT
    elif hu < SOFT_BELOW_HU:
        kind = Tissue.SOFT
    else:
        kind = Tissue.BONE
    return ClickTissue(median_hu=hu, tissue=kind)


def refuse_body_away_from_click(
    roi: LpsRoi, body: npt.NDArray[np.bool_], click: FloatArray, tissue: ClickTissue
) -> None:
    """Refuse a point in air, lung or fat that the body found (a ROI mask) does not hold.

    A point reading soft tissue is left alone: a lytic lesion reads so, and the body search may leave
    one out of the body (painted lytic spheres in chest-ct-dicom T7 and T8, 8 mm behind or in front of
    the centroid: the body found 4-5 mm from the click); the body is then reported as before.

    Raises
    ------
    ClickNotInBodyError
        When the point reads air, lung or fat and lies more than ``CLICK_IN_BODY_MM`` from the body.
    """
    if tissue.tissue not in (Tissue.AIR, Tissue.FAT):
        return  # soft tissue away from the body found may be a lytic lesion the body search left out
    pts = roi.voxel_points_lps(body)
    away = float(np.linalg.norm(pts - click, axis=1).min()) if len(pts) else float("inf")
    if away <= CLICK_IN_BODY_MM:
        return
    raise ClickNotInBodyError(
        f"the point is in {tissue.words()}, not in bone, and no vertebral body holds it (the nearest body "
        f"found is {away:.0f} mm away): click inside a vertebral body",
        click,
    )


def tissue_refusal(tissue: ClickTissue, click: FloatArray) -> ClickNotInBodyError | None:
    """The refusal of a point in air, lung or fat (which no vertebral body holds), else None."""
    if tissue.tissue not in (Tissue.AIR, Tissue.FAT):
        return None
    return ClickNotInBodyError(
        f"the point is in {tissue.words()}, not in bone: click inside a vertebral body", click
    )


def with_tissue(
    tissue: ClickTissue, refused: VertebraNotFoundError, *, surrounded: bool = False
) -> VertebraNotFoundError | None:
    """A refusal of a point reading soft tissue or fluid that says so first, else None.

    Not a reason on its own (a lytic lesion inside a body reads so too), but said before what the search
    ran into (QA session 19: a click in the aorta was refused for a body "44 mm tall ... thin discs?").
    ``surrounded``: bone surrounds the point (:func:`imaging.click_soft.bone_surrounds`), which may lie in a
    body a lesion destroyed; the refusal then ends with :data:`DESTROYED_BODY_STEP`.
    """
    if tissue.tissue is not Tissue.SOFT:
        return None
    step = f"; {DESTROYED_BODY_STEP}" if surrounded else ""
    return VertebraNotFoundError(
        f"the point reads {tissue.median_hu:.0f} HU near it, soft tissue or fluid, not bone (outside the "
        f"bone, or a lytic lesion); {refused.reason}{step}",
        refused.click_lps,
        destroyed_body_possible=surrounded,
    )
