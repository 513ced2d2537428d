"""The local normal bone a lesion is compared with: the shell reference and the deep-bone check.

Steps 3 and 4c of :func:`imaging.lesion.segment_lesion` (see its module for the whole method):

- :func:`reference_around_seed`: the median of the bone-interior voxels within ``normal_bone_range_hu``
  in a shell ``shell_mm`` around the region like the seed (connected voxels within ``abnormal_delta_hu``
  of its HU: a large lesion must not be its own reference), or around the seed itself when that region
  leaves no shell; :func:`reference_around_lesion` measures it again in the same shell around a first
  segmentation. The operator's box does not change either (imaging.lesion_box).
- :func:`refuse_if_like_deep_bone`: a lytic-looking seed like the patient's own deep trabecular bone
  elsewhere in the region (within ``abnormal_delta_hu`` of its median and inside the range its seed-sized
  samples read: :mod:`imaging.lesion_deep`) is low-density normal bone, refused with
  :class:`imaging.lesion_errors.NoLesionAtSeedError`.

Arrays are the region of interest ``[slice, row, col]``; CT values HU; sizes mm on the grid's spacing
(anisotropic spacing honoured).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.lesion_basis import ReferenceSample
from imaging.lesion_deep import DeepBone, deep_bone, like_deep_bone
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters, shell_around
from imaging.lesion_morph import component_at, ellipsoid_in_box

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = [
    "estimate_reference_hu",
    "reference_around_lesion",
    "reference_around_seed",
    "refuse_if_like_deep_bone",
    "soft_tissue_refusal",
]


def estimate_reference_hu(
    hu: npt.NDArray[Any],
    region: BoolArray,
    *,
    normal_bone_range_hu: tuple[float, float] = (0.0, 400.0),
) -> float | None:
    """Median HU of the voxels of ``region`` within the normal trabecular range; None when none are.

    Parameters
    ----------
    hu
        HU array.
    region
        Where to look (bone interior in a shell around the lesion), same shape.
    normal_bone_range_hu
        Voxels outside this range (lesion, cortex, fat) are left out.
    """
    values = hu[region]
    lo, hi = normal_bone_range_hu
    values = values[(values >= lo) & (values <= hi)]
    if values.size == 0:
        return None
    return float(np.median(values))


def _sample(
    hu: npt.NDArray[np.float32], region: BoolArray, p: LesionParameters, where: str
) -> ReferenceSample | None:
    """The voxels of ``region`` within ``normal_bone_range_hu`` and their median (as
    :func:`estimate_reference_hu`), named "bone interior at lo-hi HU, a-b mm <where>"; None when none."""
    lo, hi = p.normal_bone_range_hu
    voxels = region & (hu >= lo) & (hu <= hi)
    values = hu[voxels]
    if values.size == 0:
        return None
    inner, outer = p.shell_mm
    words = (
        f"bone at least {p.cortex_thickness_mm:g} mm inside its surface at {lo:g}-{hi:g} HU, "
        f"{inner:g}-{outer:g} mm {where}"
    )
    return ReferenceSample(float(np.median(values)), voxels, values, words)


def reference_around_seed(
    *,
    hu: npt.NDArray[np.float32],
    smooth: npt.NDArray[np.float32],
    seed_hu: float,
    seed_ball: BoolArray,
    local_seed: FloatArray,
    envelope: BoolArray,
    interior: BoolArray,
    reach: BoolArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> ReferenceSample:
    """Step 3, first measure: the normal bone HU in a shell around the region like the seed.

    Parameters
    ----------
    hu, smooth
        Raw and lightly smoothed HU of the region of interest.
    seed_hu
        The seed's own HU (median within ``seed_radius_mm``).
    seed_ball, local_seed
        The seed's ball and its index position in the region.
    envelope, interior
        The bone envelope and interior (:func:`imaging.lesion_grow.bone_envelope`).
    reach
        Voxels within ``max_radius_mm`` of the seed.
    spacing
        Voxel spacing, mm.
    p
        Thresholds.

    Returns
    -------
    ReferenceSample
        The reference HU (``hu``) and the voxels it is the median of (:mod:`imaging.lesion_basis`).

    Raises
    ------
    NoLesionAtSeedError
        If no normal trabecular bone lies in either shell.
    """
    # exclude the region like the seed (within abnormal_delta_hu of it, connected to it): a
    # large lesion would otherwise fill the shell and become its own reference
    alike = component_at((np.abs(smooth - seed_hu) <= p.abnormal_delta_hu) & envelope & reach, seed_ball)
    around = shell_around(alike, spacing, p.shell_mm) & interior & ~alike & reach
    first = None
    if np.count_nonzero(around) >= p.min_reference_voxels:
        first = _sample(hu, around, p, "around the region like the seed")
    if first is None:
        shell = ellipsoid_in_box(hu.shape, local_seed, p.shell_mm[1], spacing) & ~ellipsoid_in_box(
            hu.shape, local_seed, p.shell_mm[0], spacing
        )
        first = _sample(hu, interior & shell, p, "around the seed")
    if first is None:
        raise NoLesionAtSeedError(
            "no normal trabecular bone was found near the seed to compare with",
            seed_hu=seed_hu,
            at_bone=True,
        )
    return first


def reference_around_lesion(
    *,
    hu: npt.NDArray[np.float32],
    lesion: BoolArray,
    interior: BoolArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
    what: str = "the lesion",
) -> ReferenceSample | None:
    """Step 3, second measure: the normal bone HU in the same shell around a first segmentation.

    None when the shell holds fewer than ``min_reference_voxels`` voxels or none in
    ``normal_bone_range_hu``. ``what`` names the region in the sample's words ("the mask" for a mask
    drawn by hand).
    """
    around = shell_around(lesion, spacing, p.shell_mm) & interior & ~lesion
    if np.count_nonzero(around) < p.min_reference_voxels:
        return None
    return _sample(hu, around, p, f"around {what}")


def soft_tissue_refusal(
    *, seed_hu: float, seed_dist: FloatArray, bone: BoolArray, p: LesionParameters
) -> NoLesionAtSeedError:
    """The refusal of a seed in soft tissue, outside any bone, with how far the nearest bone is.

    Raised instead of "no normal trabecular bone was found near the seed" when the seed lies outside the
    bone's envelope (QA s22 D, item D7: a click in muscle 9.7 mm from bone was told to give a reference
    bone HU, which would grow a "lesion" in the muscle). Not ``at_bone``: no reference is offered.
    """
    near = seed_dist[bone]
    where = (
        f"the nearest bone {float(near.min()):.1f} mm away (the bone mask: at least "
        f"{p.bone_threshold_hu:g} HU, specks opened away)"
        if near.size
        else "no bone in the region searched"
    )
    return NoLesionAtSeedError(
        f"the seed ({seed_hu:.0f} HU) is in soft tissue outside the bone, {where}, with no normal trabecular "
        f"bone within {p.shell_mm[1]:g} mm to compare it with: not a bone lesion; click inside the bone",
        seed_hu=seed_hu,
    )


def refuse_if_like_deep_bone(
    *,
    hu: npt.NDArray[np.float32],
    bone: BoolArray,
    seed_dist: FloatArray,
    outside: BoolArray,
    spacing: tuple[float, float, float],
    seed_hu: float,
    reference: float,
    p: LesionParameters,
) -> DeepBone | None:
    """Step 4c: raise :class:`NoLesionAtSeedError` when a lytic-looking seed is like the deep bone.

    Returns the deep bone sample otherwise (None when the region holds too little of it).
    """
    deep = deep_bone(hu=hu, bone=bone, seed_dist=seed_dist, spacing=spacing, p=p, outside=outside)
    if deep is None or not like_deep_bone(seed_hu, deep, p):
        return deep
    raise NoLesionAtSeedError(
        f"the seed ({seed_hu:.0f} HU) is {reference - seed_hu:.0f} HU below the bone around it "
        f"({reference:.0f} HU) but within {p.abnormal_delta_hu:g} HU of this patient's deep trabecular bone "
        f"elsewhere in the region ({deep.median_hu:.0f} HU: {deep.n_voxels} voxels at least "
        f"{p.texture_depth_mm:g} mm inside bone, farther than {p.shell_mm[1]:g} mm from the seed; "
        f"seed-sized samples of it read {deep.range_hu[0]:.0f}-{deep.range_hu[1]:.0f} HU): "
        "low-density (osteoporotic) normal bone like the centres of the bones around it, not a focal lytic "
        "lesion",
        seed_hu=seed_hu,
        reference_bone_hu=deep.median_hu,
        at_bone=True,
    )
