"""What a clicked point reads: its median HU near it and the tissue that HU reads as (air or lung, fat,
soft tissue or fluid, bone), for the judgements of where a vertebra click lies (:mod:`imaging.click_place`).

Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.vertebra_roi import sample_source_hu
from imaging.volume import Volume

__all__ = [
    "AIR_BELOW_HU",
    "FAT_BELOW_HU",
    "SOFT_BELOW_HU",
    "TISSUE_RADIUS_MM",
    "ClickTissue",
    "Tissue",
    "click_tissue",
]

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
