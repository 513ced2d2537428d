"""Whether a refused point lies on the spine at all: its distance from the trunk's middle.

The vertebra search takes a hole behind the bone it found for the spinal canal; off the spine that hole
is another bone's. Chest CT, the right scapular spine (-109.5, 106.5, 90), 101 mm right of the trunk's
middle: the search cut a 41 mL "body" from the scapula in front of a 16 x 14 mm hole in it, and the
refusal said the point lay "beside the spinal canal, 18 mm out from its side edge ... (on a pedicle, a
transverse process or a rib head)" (sessions 23-24). The spine runs down the middle of the trunk:

- the trunk's section at the point's height is the largest piece of the CT's axial section denser than air
  (:data:`imaging.click_tissue.AIR_BELOW_HU`), its holes (lungs, bowel gas) filled; its middle is the mean
  of its columns (LPS x). Measured (tests/benchmarks/spine_middle_figures.py): the canal's centre of the
  vertebra found lies within 3.5 mm of it at the 11 study bodies where the trunk is whole (chest T7-T12,
  the 3 mm abdomen's L1, L2 and L5). A trunk cut by the scan's sides (the lumbar crop, bone-lesions case1
  and case7, the abdomen at L3-L4) has no middle that can be read, and nothing is said;
- a point more than ``OFF_SPINE_ASIDE_MM`` to the side of that middle is on no part of a vertebra, unless a
  scoliosis moves the spine that far aside (said so).

A canal looked for from points on the middle line (as :mod:`imaging.spine_place` looks) was tried and not
used: at chest z -116 the foremost hole found was the T11/T12 disc, 25 mm in front of the canal, and at
z 40 the hole nearest the height lay 19 mm behind it. Positions LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import BONE_THRESHOLD_HU
from imaging.click_tissue import AIR_BELOW_HU
from imaging.vertebra_roi import resample_roi
from imaging.volume import Volume

__all__ = [
    "CANAL_OFF_MIDDLE_MM",
    "OFF_SPINE_ASIDE_MM",
    "OffSpine",
    "canal_on_the_middle",
    "off_the_spine",
    "trunk_middle_x",
]

#: the trunk's section is read on this grid (mm): its middle is wanted to a few mm
TRUNK_GRID_MM = 2.0
#: no part of a vertebra lies further to the side of the trunk's middle (mm): a lumbar transverse process
#: ends 3-5 cm from the midline (imaging.level_ribs); the chest's transverse-process clicks and tips lie
#: 31-33 mm from the middle, the canal within 3.5 mm of it (tests/benchmarks/spine_middle_figures.py); 30 mm
#: more are left for a spine lying off the middle. Rib necks lie 42-74 mm from it, the scapular clicks
#: 100-137
OFF_SPINE_ASIDE_MM = 80.0
#: a spinal canal lies no further to the side of the trunk's middle (mm): within 3.5 mm of it at the 11
#: study bodies, and the 30 mm OFF_SPINE_ASIDE_MM leaves for a spine lying off the middle
CANAL_OFF_MIDDLE_MM = 30.0


@dataclass(frozen=True)
class OffSpine:
    """A point on no part of a vertebra: how far it lies to the side of the trunk's middle (mm, + to the
    patient's left), and that middle (LPS x)."""

    left_mm: float
    middle_x: float

    def words(self) -> str:
        """The refusal's words."""
        side = "left" if self.left_mm >= 0 else "right"
        return (
            f"the point is not on the spine as far as can be seen: it lies {abs(self.left_mm):.0f} mm to "
            f"the {side} of the trunk's middle, where the spine runs, and no part of a vertebra reaches "
            f"further than {OFF_SPINE_ASIDE_MM:.0f} mm from it unless a scoliosis moves the spine aside (the "
            "scapula? a rib?); click inside a vertebral body"
        )


def off_the_spine(volume: Volume, point_lps: npt.ArrayLike) -> OffSpine | None:
    """The point's place when it lies more than ``OFF_SPINE_ASIDE_MM`` to the side of the trunk's middle,
    else None (near the middle, or a trunk the scan cuts at its sides)."""
    point = np.asarray(point_lps, dtype=np.float64)
    middle = trunk_middle_x(volume, float(point[2]))
    if middle is None or abs(float(point[0]) - middle) <= OFF_SPINE_ASIDE_MM:
        return None
    return OffSpine(float(point[0]) - middle, middle)


def canal_on_the_middle(volume: Volume, canal_lps: npt.ArrayLike) -> bool:
    """Whether a hole taken for the spinal canal lies within ``CANAL_OFF_MIDDLE_MM`` of the trunk's middle
    at its height (where the scan's sides cut the trunk, of the middle of the section's bone); False
    without either. A hole in another bone is no canal: chest CT, the right scapula at (-127, 138, 90) holds
    one 139 mm right of the trunk's middle; the abdomen's left acetabulum (55, -91, 130), where the pelvis
    fills the scan's width, one at x 63 (session 29)."""
    canal = np.asarray(canal_lps, dtype=np.float64)
    middle = trunk_middle_x(volume, float(canal[2]))
    if middle is None:
        middle = _bone_middle_x(volume, float(canal[2]))
    return middle is not None and abs(float(canal[0]) - middle) <= CANAL_OFF_MIDDLE_MM


def _bone_middle_x(volume: Volume, z_lps: float) -> float | None:
    """The mean LPS x of the bone in the scan's axial section at ``z_lps`` (None without bone there): where
    the scan's sides cut the trunk, the bone of a section across the spine lies about the spine (a scan
    cropped about the spine, the bundled sample case; the pelvis, symmetric about it)."""
    read = _axial_section(volume, z_lps)
    if read is None:
        return None
    hu, inside, x0, step = read
    bone = (hu >= BONE_THRESHOLD_HU) & inside
    if not bone.any():
        return None
    _, col_of = np.nonzero(bone)
    return float(x0 + col_of.mean() * step)


def _axial_section(
    volume: Volume, z_lps: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], float, float] | None:
    """The scan's whole axial section at ``z_lps`` on a ``TRUNK_GRID_MM`` grid: its HU, where it lies inside
    the scan, the LPS x of its first column and its column step (mm); None outside the scan's height."""
    lo, hi = volume.bounds_lps()
    if not lo[2] <= z_lps <= hi[2]:
        return None
    centre = np.array([0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), z_lps])
    half = np.array([0.5 * (hi[0] - lo[0]), 0.5 * (hi[1] - lo[1]), 0.5 * TRUNK_GRID_MM])
    roi = resample_roi(volume, centre, half, TRUNK_GRID_MM)
    k = roi.shape[0] // 2
    return roi.array[k], roi.inside[k], float(roi.origin_lps[0]), float(roi.spacing_mm)


def trunk_middle_x(volume: Volume, z_lps: float) -> float | None:
    """The trunk's middle (LPS x) at height ``z_lps``, or None when the height lies outside the scan or
    the scan's sides cut the trunk (see the module's notes)."""
    read = _axial_section(volume, z_lps)
    if read is None:
        return None
    hu, inside, x0, step = read
    section = (hu > AIR_BELOW_HU) & inside
    pieces, n = ndimage.label(section)
    if n == 0:
        return None
    sizes = ndimage.sum_labels(section, pieces, index=np.arange(1, n + 1))
    trunk = ndimage.binary_fill_holes(pieces == 1 + int(np.argmax(sizes)))
    cols = np.flatnonzero(trunk.any(axis=0))
    inside_cols = np.flatnonzero(inside.any(axis=0))
    if cols[0] <= inside_cols[0] or cols[-1] >= inside_cols[-1]:
        return None  # the scan's sides cut the trunk: its middle is not seen
    _, col_of = np.nonzero(trunk)
    return float(x0 + col_of.mean() * step)
