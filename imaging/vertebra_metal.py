"""Metal in a vertebra's search region, and which of the structures found lie next to it.

A metal implant (a pedicle screw, a rod, a wire) reads far above bone and throws bright and dark streaks
across its slices; both change the CT numbers the body, pedicle and wall searches rely on, so figures
near metal may be wrong (QA session 17: a 3071 HU rod through a pedicle took a third of the body away
and narrowed both pedicles, and nothing said metal). :func:`find_metal` finds it and says where it is,
so the operator is told; it does not correct the figures.

Metal is the CT above ``METAL_THRESHOLD_HU``: CLINICAL.md gives cortical bone as roughly 1000-2000 HU,
so nothing denser than the densest cortex is bone (barium-loaded cement can read that high too: it is
named with the metal). A scanner's top value (3071 HU for 12-bit data with intercept -1024) is far above
it. Bright specks smaller than ``MIN_METAL_MM3`` (noise, a calcification; real abdomen and chest CTs of
the project's data have 1-10 such voxels) are ignored. It is looked for on the source CT (not the
resampled region, whose interpolation lowers a thin wire's peak) within the region's box. Positions LPS
mm, volumes mL, HU.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial import cKDTree

from imaging.vertebra_roi import LpsRoi
from imaging.volume import Volume

__all__ = [
    "METAL_THRESHOLD_HU",
    "MIN_METAL_MM3",
    "NEAR_METAL_MM",
    "MetalFinding",
    "find_metal",
    "metal_voxels",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Point = tuple[float, float, float]

#: above the top of CLINICAL.md's cortical bone range ("roughly 1000-2000 HU"): not bone (HU)
METAL_THRESHOLD_HU = 2000.0
#: smallest bright cluster taken for metal (mm^3): a 1.6 mm wire over 5 mm; the specks of noise or
#: calcification in the project's real CTs (bone-lesions case7: 6 mm^3 at 2897 HU) are smaller
MIN_METAL_MM3 = 10.0
#: a structure with a surface voxel within this distance of metal is named as next to it (mm): streaks
#: are strongest within a few mm of the metal
NEAR_METAL_MM = 5.0
#: metal further than this from the body's midline (along the patient's left-right axis) is on a side (mm)
SIDE_MM = 5.0


@dataclass(frozen=True)
class MetalFinding:
    """Metal found in the region: how much, how dense, where, and the structures next to it."""

    volume_ml: float
    max_hu: float
    center_lps: Point
    side: str  # "left", "right" or "midline" of the body's centre (the patient's sides)
    near: tuple[str, ...]  # structures found within NEAR_METAL_MM of it, e.g. "right pedicle"

    def message(self) -> str:
        """The warning for the operator, in plain words."""
        where = "at the midline" if self.side == "midline" else f"on the {self.side} side"
        close = f", next to the {_and(self.near)}" if self.near else ""
        return (
            f"metal (or very dense cement) found {where}{close}: {self.volume_ml:.2f} mL above "
            f"{METAL_THRESHOLD_HU:.0f} HU, up to {self.max_hu:.0f} HU. Metal and its streaks change the CT "
            "numbers, so the body, pedicle and wall figures near it may be wrong: check them on the images"
        )

    def refusal_note(self) -> str:
        """What a refusal adds when metal lies in the search region (no vertebra was found near it)."""
        where = "at the midline" if self.side == "midline" else f"on the {self.side} side"
        return (
            f"metal (or very dense cement) lies {where} of the point: {self.volume_ml:.2f} mL above "
            f"{METAL_THRESHOLD_HU:.0f} HU, up to {self.max_hu:.0f} HU; its streaks change the CT numbers the "
            "search reads and may be why no vertebra was found: check on the images"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold_hu": METAL_THRESHOLD_HU,
            "volume_ml": round(self.volume_ml, 3),
            "max_hu": round(self.max_hu, 0),
            "center_lps": [round(v, 2) for v in self.center_lps],
            "side": self.side,
            "near": list(self.near),
            "message": self.message(),
        }


def find_metal(
    volume: Volume,
    roi: LpsRoi,
    structures: Mapping[str, BoolArray],
    *,
    centroid_lps: npt.ArrayLike,
    left_lps: npt.ArrayLike,
) -> MetalFinding | None:
    """Metal on the source CT within the region's box, or None when there is none.

    Parameters
    ----------
    volume
        The source CT (HU).
    roi
        The search region; metal is looked for within its box.
    structures
        Masks on the region's grid, by the name the operator reads (``"vertebral body"``, ``"right
        pedicle"``...): those within ``NEAR_METAL_MM`` of the metal are named in the finding.
    centroid_lps, left_lps
        The body's centroid (LPS mm) and the unit vector to the patient's left across the body: the
        metal's side.

    Returns
    -------
    MetalFinding or None
    """
    box_lo, box_hi = _source_box(volume, roi)
    sub = volume.array[box_lo[0] : box_hi[0], box_lo[1] : box_hi[1], box_lo[2] : box_hi[2]]
    voxel_mm3 = float(np.prod(volume.spacing_mm))
    metal = metal_voxels(sub > METAL_THRESHOLD_HU, voxel_mm3)
    if metal is None:
        return None
    idx = np.argwhere(metal)
    pts = volume.index_to_lps_points((idx + box_lo).astype(np.float64))
    # the source box of an oblique volume is larger than the region: keep the metal inside the region
    ri = roi.lps_to_index(pts)
    in_roi = np.all((ri >= -0.5) & (ri <= np.asarray(roi.shape) - 0.5), axis=1)
    if not in_roi.any():
        return None
    pts = pts[in_roi]
    values = sub[tuple(idx[in_roi].T)]
    center = pts.mean(axis=0)
    u = float((center - np.asarray(centroid_lps, dtype=np.float64)) @ np.asarray(left_lps, dtype=np.float64))
    side = "left" if u > SIDE_MM else "right" if u < -SIDE_MM else "midline"
    tree = cKDTree(pts)
    near: list[str] = []
    for name, mask in structures.items():
        if not mask.any():
            continue
        d, _ = tree.query(roi.voxel_points_lps(mask), k=1, distance_upper_bound=NEAR_METAL_MM)
        if np.isfinite(d).any():
            near.append(name)
    return MetalFinding(
        volume_ml=len(pts) * voxel_mm3 / 1000.0,
        max_hu=float(values.max()),
        center_lps=(float(center[0]), float(center[1]), float(center[2])),
        side=side,
        near=tuple(near),
    )


def metal_voxels(hot: BoolArray, voxel_mm3: float) -> BoolArray | None:
    """The voxels above the metal threshold (``hot``) in clusters of at least ``MIN_METAL_MM3``, None when
    there are none (a few bright voxels are a dense cortex's or contrast's, not metal)."""
    if not hot.any():
        return None
    labels, n = ndimage.label(hot)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    big = np.flatnonzero(sizes * voxel_mm3 >= MIN_METAL_MM3)
    big = big[big > 0]
    if len(big) == 0:
        return None
    out: BoolArray = np.isin(labels, big)
    return out


def _source_box(volume: Volume, roi: LpsRoi) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The source CT's index box (low, high exclusive) covering the region's corners."""
    last = np.asarray(roi.shape, dtype=np.float64) - 1.0
    corners_zyx = np.array(
        [[k, j, i] for k in (0.0, last[0]) for j in (0.0, last[1]) for i in (0.0, last[2])]
    )
    src = volume.lps_to_index_points(roi.index_to_lps(corners_zyx))
    lo = np.clip(np.floor(src.min(axis=0)).astype(np.int64), 0, np.asarray(volume.shape))
    hi = np.clip(np.ceil(src.max(axis=0)).astype(np.int64) + 1, 0, np.asarray(volume.shape))
    return lo, hi


def _and(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
