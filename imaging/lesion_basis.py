"""What a lesion's call rests on: where its reference bone HU was measured, and the shares behind its type.

A lesion is typed against the patient's own normal trabecular bone (:mod:`imaging.lesion`, steps 3 and 7):
the reference bone HU is the median of bone voxels sampled near the lesion, and the type follows from the
shares of the lesion's voxels more than ``abnormal_delta_hu`` below (lytic) and above (sclerotic) it. A
radiologist checks both: that the sample is normal trabecular bone (not cortex, not another lesion), and
what the shares were. QA s22 D (items D4, D5): the window and the command line said "reference bone
275 HU" with nothing on where it was measured, and the shares were in the command line's notes only.

- :class:`ReferenceSample`: the voxels of the region of interest whose median is the reference, their HU
  (as the median was taken of them) and the region in words; made where the reference is measured
  (:mod:`imaging.lesion_reference`, :mod:`imaging.lesion_mottled`).
- :class:`ReferenceSite`: that sample as the operator reads it: how many voxels, how far from the seed
  (nearest, median, farthest, between voxel centres), their centre (LPS mm) and HU quartiles.
- :class:`TypeBasis`: the lytic and sclerotic shares, the reference and the delta they were counted
  against, and the share both need for "mixed".

Positions LPS mm, distances mm, CT values HU, shares 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["ReferenceSample", "ReferenceSite", "TypeBasis", "reference_site"]


@dataclass(frozen=True, eq=False)
class ReferenceSample:
    """The voxels a reference bone HU is the median of.

    ``voxels`` is a mask on the region of interest's grid; ``values`` their HU as the median was taken
    (raw HU for a shell, HU smoothed at the texture scale for the deep bone); ``region`` the region in
    words ("bone interior at 0-400 HU, 3-12 mm around the lesion").
    """

    hu: float
    voxels: BoolArray
    values: npt.NDArray[Any]
    region: str


@dataclass(frozen=True)
class ReferenceSite:
    """Where a lesion's reference bone HU was measured, for the operator to check.

    ``distance_mm`` is (nearest, median, farthest) from the seed's voxel centre to the sample's voxel
    centres; ``quartiles_hu`` the 25th and 75th percentiles of the sample's HU.
    """

    region: str
    n_voxels: int
    distance_mm: tuple[float, float, float]
    centroid_lps: tuple[float, float, float]
    quartiles_hu: tuple[float, float]

    def text(self, origin: str = "the seed") -> str:
        """One sentence: "1,234 voxels of <region>, 3.1-19.8 mm from the seed (median 10.2 mm), centred at
        (x, y, z) mm LPS, HU quartiles 240-310"; ``origin`` names what the distances are from (a lesion
        drawn by hand has no seed: they are from its centre)."""
        near, mid, far = self.distance_mm
        c = self.centroid_lps
        return (
            f"{self.n_voxels:,} voxels of {self.region}, {near:.1f}-{far:.1f} mm from {origin} (median "
            f"{mid:.1f} mm), centred at ({c[0]:.1f}, {c[1]:.1f}, {c[2]:.1f}) mm LPS, HU quartiles "
            f"{self.quartiles_hu[0]:.0f}-{self.quartiles_hu[1]:.0f}"
        )

    def short_text(self, origin: str = "the seed") -> str:
        """A few words for a line that has little room: "in 1,234 voxels 3.1-19.8 mm from the seed"
        (``origin`` as for :meth:`text`)."""
        near, _, far = self.distance_mm
        return f"in {self.n_voxels:,} voxels {near:.1f}-{far:.1f} mm from {origin}"

    @classmethod
    def from_json(cls, data: Any) -> ReferenceSite | None:
        """The site back from :meth:`to_json`'s object (a saved case); None when it is not one."""
        try:
            d = data["distance_from_seed_mm"]
            c, q = data["centroid_lps"], data["quartiles_hu"]
            return cls(
                region=str(data["region"]),
                n_voxels=int(data["n_voxels"]),
                distance_mm=(float(d["nearest"]), float(d["median"]), float(d["farthest"])),
                centroid_lps=(float(c[0]), float(c[1]), float(c[2])),
                quartiles_hu=(float(q[0]), float(q[1])),
            )
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        """The command line's ``reference_bone_site`` object."""
        return {
            "region": self.region,
            "n_voxels": self.n_voxels,
            "distance_from_seed_mm": {
                "nearest": round(self.distance_mm[0], 2),
                "median": round(self.distance_mm[1], 2),
                "farthest": round(self.distance_mm[2], 2),
            },
            "centroid_lps": [round(v, 2) for v in self.centroid_lps],
            "quartiles_hu": [round(v, 1) for v in self.quartiles_hu],
        }


@dataclass(frozen=True)
class TypeBasis:
    """The shares of a lesion's voxels behind its type (:func:`imaging.lesion_classify.classify`).

    Lytic: voxels below ``reference_hu - delta_hu``; sclerotic: above ``reference_hu + delta_hu``; mixed
    when both shares reach ``mixed_min_fraction``, else the larger share's type.
    """

    lytic_fraction: float
    sclerotic_fraction: float
    reference_hu: float
    delta_hu: float
    mixed_min_fraction: float

    def text(self) -> str:
        """The basis in words, with the HU limits the shares were counted against."""
        lo = self.reference_hu - self.delta_hu
        hi = self.reference_hu + self.delta_hu
        return (
            f"{100 * self.lytic_fraction:.0f} % of its voxels below {lo:.0f} HU (lytic), "
            f"{100 * self.sclerotic_fraction:.0f} % above {hi:.0f} HU (sclerotic): reference bone "
            f"{self.reference_hu:.0f} ± {self.delta_hu:g} HU; mixed when both reach "
            f"{100 * self.mixed_min_fraction:.0f} %"
        )

    def to_json(self) -> dict[str, Any]:
        """The command line's ``type_basis`` object."""
        return {
            "lytic_fraction": round(self.lytic_fraction, 4),
            "sclerotic_fraction": round(self.sclerotic_fraction, 4),
            "reference_bone_hu": round(self.reference_hu, 1),
            "abnormal_delta_hu": self.delta_hu,
            "mixed_min_fraction": self.mixed_min_fraction,
        }


def reference_site(
    sample: ReferenceSample,
    *,
    seed_dist: FloatArray,
    offset_index: npt.ArrayLike,
    volume: Volume,
) -> ReferenceSite:
    """Where ``sample`` lies, in the volume's LPS frame.

    Parameters
    ----------
    sample
        The reference's voxels on the region of interest's grid (not empty).
    seed_dist
        Each region voxel's distance from the seed's voxel centre, mm.
    offset_index
        The region's first voxel in the volume, ``[slice, row, col]``.
    volume
        The volume the region was cut from.

    Raises
    ------
    ValueError
        If the sample holds no voxel.
    """
    at = np.argwhere(sample.voxels)
    if at.size == 0:
        raise ValueError('Argument "sample" holds no voxel')
    dist = seed_dist[sample.voxels]
    index = at.astype(np.float64).mean(axis=0) + np.asarray(offset_index, dtype=np.float64)
    c = np.asarray(volume.index_to_lps_points(index), dtype=np.float64).reshape(3)
    q25, q75 = np.percentile(np.asarray(sample.values, dtype=np.float64), [25, 75])
    return ReferenceSite(
        region=sample.region,
        n_voxels=int(at.shape[0]),
        distance_mm=(float(dist.min()), float(np.median(dist)), float(dist.max())),
        centroid_lps=(float(c[0]), float(c[1]), float(c[2])),
        quartiles_hu=(float(q25), float(q75)),
    )
