"""A dark seed beside metal: the refusal names the metal and its distance (a likely streak artefact).

Metal (a pedicle screw, a rod, a needle, dense cement) throws streaks across the CT slices that hold it:
bright and dark bands radial from the metal, from beam hardening and photon starvation along the rays
through it. A dark band lowers the HU of whatever it crosses by hundreds of HU, so a click on a lytic
lesion (soft-tissue density) under a dark streak reads like air or fat. Before, such a seed was refused
with "the seed is in air or fat (median -169 HU within 2 mm)" and no word of the metal (QA s22 D8:
bone-lesions case7's first lesion with a rod added whose surface lies 2.6 mm from the seed): the operator
was told the point is fat when the image there cannot be trusted.

The rule: a seed dark enough to be refused as air or fat (median below ``fat_limit_hu``) with metal in
its region of interest is said to be probably on a metal streak artefact, with the distance from the
seed to the nearest metal voxel. Metal is any voxel above ``dense_max_hu`` (3000 HU, the top of
CLINICAL.md's generic bone range 130-3000 HU: the same rule that refuses a seed on metal), within
``roi_size_mm / 2`` of the seed: the region the lesion would be judged in, so a streak from metal
farther away is not blamed (streaks do reach farther; the wording then stays "air or fat"). The seed is
refused either way: no lesion is judged on a streak. Only the words change; nothing is accepted that was
refused before.

Arrays are the region of interest ``[slice, row, col]``; distances mm; HU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["dark_seed_refusal", "nearest_metal_mm"]


def nearest_metal_mm(
    hu: npt.NDArray[np.floating],
    local_seed: FloatArray,
    spacing: Sequence[float],
    *,
    metal_hu: float,
    within_mm: float,
    outside: BoolArray | None = None,
) -> float | None:
    """The distance (mm) from the seed's voxel centre to the centre of the nearest voxel above ``metal_hu``.

    Parameters
    ----------
    hu
        The region of interest (HU).
    local_seed
        The seed's index in it ``[slice, row, col]``.
    spacing
        Its voxel spacing (mm), ``[slice, row, col]``.
    metal_hu
        Voxels above this are metal.
    within_mm
        Metal farther than this is not counted.
    outside
        Voxels outside the scan (never metal), or None.

    Returns
    -------
    float or None
        None when no metal lies within ``within_mm``.
    """
    metal = hu > metal_hu
    if outside is not None:
        metal &= ~outside
    idx = np.argwhere(metal)
    if len(idx) == 0:
        return None
    offsets = (idx.astype(np.float64) - np.asarray(local_seed, dtype=np.float64)) * np.asarray(
        spacing, dtype=np.float64
    )
    nearest = float(np.sqrt(np.min(np.sum(offsets**2, axis=1))))
    return nearest if nearest <= within_mm else None


def dark_seed_refusal(
    hu: npt.NDArray[np.floating],
    local_seed: FloatArray,
    spacing: Sequence[float],
    seed_hu: float,
    p: LesionParameters,
    *,
    outside: BoolArray | None = None,
) -> NoLesionAtSeedError:
    """The refusal of a seed whose median HU is below ``p.fat_limit_hu``: "air or fat", or, with metal in
    the seed's region (see the module's docstring), "probably on a metal streak artefact" and how far the
    metal is."""
    metal_mm = nearest_metal_mm(
        hu, local_seed, spacing, metal_hu=p.dense_max_hu, within_mm=p.roi_size_mm / 2.0, outside=outside
    )
    dark = f"median {seed_hu:.0f} HU within {p.seed_radius_mm:g} mm"
    if metal_mm is None:
        return NoLesionAtSeedError(
            f"the seed is in air or fat ({dark}), not in a lesion: click inside the lesion, in or at a bone",
            seed_hu=seed_hu,
        )
    return NoLesionAtSeedError(
        f"the seed reads as air or fat ({dark}) with metal {metal_mm:.1f} mm from it (above "
        f"{p.dense_max_hu:.0f} HU: a screw, rod, needle or cement?): it is probably on a dark streak "
        "artefact from the metal, where the image does not show the tissue; no lesion can be judged there: "
        "click on the lesion where the streaks do not cross it",
        seed_hu=seed_hu,
    )
