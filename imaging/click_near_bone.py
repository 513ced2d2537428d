"""A click in air, lung or fat beside bone: searched from the bone nearest it, or refused.

No vertebral body reads air, lung or fat (:mod:`imaging.click_tissue`), so such a point is not in one. An
operator's click just outside a body's cortex is still meant for that body: within ``CLICK_IN_BODY_MM`` of
bone (the search's own tolerance for a click against the body found: one voxel of a 3 mm section) the
search runs from the nearest bone, and the answer says that the point was outside the bone. Further out,
the point is refused in the tissue's words with the distance to the nearest bone: what the search runs
into from fat is noise (lumbar-ct-labels, (26.0, 141.6, -64.9), -72 HU, 2 mm in front of L3's anterior
cortex: searched from the fat itself, the body was a 12.1 mL blob round the point, Dice 0.089 against
L3, where the same search from the cortex found L3, 36.6 mL, Dice 0.903; session 28).

Points reading soft tissue or fluid are left to the search: a lytic lesion or an osteoporotic interior reads
so, 10 mm and more from any voxel the bony solid takes for bone (the same L3's centre, 28 HU, 10 mm from
it), and no bone encloses that interior in the bony solid either.

Bone is the bony solid's thresholded bone (:func:`imaging.bony_masks.bony_solid`) on a 1 mm LPS grid laid
round the point, as the search's region is. Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import bony_solid
from imaging.click_tissue import ClickTissue, Tissue
from imaging.vertebra_roi import resample_roi
from imaging.vertebra_steps import CLICK_IN_BODY_MM
from imaging.volume import Volume

__all__ = ["NearBone", "bone_near_click"]

FloatArray = npt.NDArray[np.float64]

#: the region looked in round the point (mm, half-size): the tolerance, and the bony solid's smoothing and
#: closing room beyond it
_LOOK_HALF_MM = CLICK_IN_BODY_MM + 7.0
#: its grid (mm), the vertebra search region's
_SPACING_MM = 1.0


@dataclass(frozen=True)
class NearBone:
    """A point in air, lung or fat (``tissue``) and the nearest bone to it (``bone_lps``, None when there is
    none in the region looked in), ``distance_mm`` away."""

    tissue: ClickTissue
    bone_lps: tuple[float, float, float] | None
    distance_mm: float

    @property
    def within_reach(self) -> bool:
        """Whether the bone is near enough for the point to be a click on it (``CLICK_IN_BODY_MM``)."""
        return self.bone_lps is not None and self.distance_mm <= CLICK_IN_BODY_MM

    def outside(self) -> str:
        """Where the point lies, in words: ``"the point is in fat (-72 HU), 2 mm outside the bone"``."""
        return f"the point is in {self.tissue.words()}, {self.distance_mm:.0f} mm outside the bone"

    def refusal_words(self) -> str:
        """The refusal's words for a point out of reach of bone."""
        far = (
            f"the nearest bone lies {self.distance_mm:.0f} mm from it"
            if self.bone_lps is not None
            else f"no bone lies within {_LOOK_HALF_MM:.0f} mm of it"
        )
        return (
            f"the point is in {self.tissue.words()}, not in bone ({far}, more than the "
            f"{CLICK_IN_BODY_MM:.0f} mm a click may lie off a body's surface): click inside a vertebral body"
        )

    def note(self) -> str:
        """The answer's note for a point searched from the bone nearest it."""
        return f"{self.outside()}: the vertebra was found from the bone nearest it"


def bone_near_click(volume: Volume, click: FloatArray, tissue: ClickTissue) -> NearBone | None:
    """For a point reading air, lung or fat, the bone nearest it (see the module's notes); None for a point
    reading soft tissue or bone (a lytic lesion or an osteoporotic interior reads soft)."""
    if tissue.tissue not in (Tissue.AIR, Tissue.FAT):
        return None
    roi = resample_roi(volume, click, np.full(3, _LOOK_HALF_MM), _SPACING_MM)
    bone = bony_solid(roi).bone & roi.inside
    if not bone.any():
        return NearBone(tissue, None, float("inf"))
    points = roi.voxel_points_lps(bone)
    distances = np.linalg.norm(points - click, axis=1)
    i = int(np.argmin(distances))
    nearest = (float(points[i, 0]), float(points[i, 1]), float(points[i, 2]))
    return NearBone(tissue, nearest, float(distances[i]))
