"""A mottled lesion: a seed like normal bone in a neighbourhood of abnormal texture (step 4b).

The glue between :func:`imaging.lesion.segment_lesion` and the texture measures of
:mod:`imaging.lesion_texture`: :func:`texture_bone` smooths the bone interior at the texture scale and
takes the deep trabecular bone away from the seed as the normal bone the texture is compared with
(the same with or without the operator's box, :mod:`imaging.lesion_box`); :func:`segment_mottled`
judges the seed's neighbourhood against it and grows the abnormal-texture region connected to the seed,
or refuses the seed as normal bone.

Arrays are the region of interest ``[slice, row, col]``; CT values HU; sizes mm on the grid's spacing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from imaging.lesion_basis import ReferenceSample
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.lesion_morph import within_mm
from imaging.lesion_texture import (
    TextureJudgement,
    abnormal_voxels,
    grow_mottled,
    interior_smooth,
    judge_texture,
    local_fraction,
    normal_bone_region,
)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["TextureBone", "segment_mottled", "texture_bone"]


@dataclass(frozen=True)
class TextureBone:
    """The bone interior smoothed at the texture scale (cortex kept out), and the deep trabecular bone
    away from the seed with its median HU; the HU and the smoothing's support, for the fine scale."""

    coarse: npt.NDArray[np.float32]
    normal: BoolArray
    reference_hu: float | None
    hu: npt.NDArray[np.float32]
    support: BoolArray

    def sample(self, p: LesionParameters) -> ReferenceSample | None:
        """The deep bone as the reference's sample (:mod:`imaging.lesion_basis`); None without a reference.
        Its words leave out how far from the seed it lies (``shell_mm[1]`` to ``max_radius_mm``): the site
        gives the distances measured."""
        if self.reference_hu is None:
            return None
        lo, hi = p.normal_bone_range_hu
        words = (
            f"deep trabecular bone at least {p.texture_depth_mm:g} mm inside the bone at {lo:g}-{hi:g} HU "
            f"(smoothed over {p.texture_sigma_mm:g} mm)"
        )
        return ReferenceSample(self.reference_hu, self.normal, self.coarse[self.normal], words)

    def fine(self, spacing: tuple[float, float, float], sigma_mm: float) -> npt.NDArray[np.float32]:
        """The bone interior smoothed at the fine scale (only a mottled lesion needs it)."""
        return interior_smooth(self.hu, self.support, spacing, sigma_mm)


def texture_bone(
    *,
    hu: npt.NDArray[np.float32],
    bone: BoolArray,
    interior: BoolArray,
    seed_dist: FloatArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> TextureBone:
    """Steps 1-2 of :mod:`imaging.lesion_texture`; the reference is None with too few voxels."""
    # at least texture_depth_mm inside the bone: no voxel outside it closer than that (the same voxels as
    # a distance map of the bone thresholded there, without the distance map)
    deep = ~within_mm(~bone, p.texture_depth_mm, spacing, strict=True)
    # cortex caught in the interior (above sclerotic_max_hu) is left out of the smoothing
    support = interior & (hu <= p.sclerotic_max_hu)
    coarse = interior_smooth(hu, support, spacing, p.texture_sigma_mm)
    normal = normal_bone_region(coarse, deep, seed_dist, p)
    ref = float(np.median(coarse[normal])) if np.count_nonzero(normal) >= p.min_reference_voxels else None
    return TextureBone(coarse=coarse, normal=normal, reference_hu=ref, hu=hu, support=support)


def segment_mottled(
    *,
    deep: TextureBone,
    smooth: npt.NDArray[np.float32],
    interior: BoolArray,
    within: BoolArray,
    seed_ball: BoolArray,
    seed_dist: FloatArray,
    seed_hu: float,
    reference: float,
    operator_reference: bool,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> tuple[BoolArray, float, TextureJudgement]:
    """Step 4b: a seed like normal bone in a neighbourhood of abnormal texture (:mod:`lesion_texture`).

    Returns the lesion, the reference it is typed against and the texture judgement; raises
    :class:`NoLesionAtSeedError` when the neighbourhood is as homogeneous as normal bone.
    """
    coarse, normal = deep.coarse, deep.normal
    normal_msg = (
        f"the seed ({seed_hu:.0f} HU) is within {p.abnormal_delta_hu:g} HU of the local normal bone "
        f"({reference:.0f} HU): no lesion at the seed"
    )
    if deep.reference_hu is None:
        raise NoLesionAtSeedError(
            normal_msg + " (too little deep trabecular bone away from it to judge its texture)",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
            at_bone=True,
        )
    texture_reference = reference if operator_reference else deep.reference_hu
    abnormal = abnormal_voxels(coarse, interior, texture_reference, p)
    fraction = local_fraction(abnormal, interior, p.texture_radius_mm, spacing)
    judgement = judge_texture(
        fraction=fraction,
        interior=interior,
        normal=normal,
        seed_ball=seed_ball,
        reference_hu=texture_reference,
        p=p,
    )
    if not judgement.abnormal:
        raise NoLesionAtSeedError(
            f"{normal_msg}, and its neighbourhood is not heterogeneous: "
            + texture_shares_text(judgement.seed_fraction, judgement.threshold_fraction, p.abnormal_delta_hu),
            seed_hu=seed_hu,
            reference_bone_hu=reference,
            at_bone=True,
        )
    lesion, limit_mm = grow_mottled(
        coarse_abnormal=abnormal,
        fine_abnormal=abnormal_voxels(
            deep.fine(spacing, p.smoothing_sigma_mm), interior, texture_reference, p
        ),
        fraction=fraction,
        threshold_fraction=judgement.threshold_fraction,
        interior=interior,
        within=within,
        seed_ball=seed_ball,
        seed_dist=seed_dist,
        spacing=spacing,
        p=p,
    )
    return lesion, texture_reference, replace(judgement, limit_mm=limit_mm)


def texture_shares_text(seed_fraction: float, threshold_fraction: float, delta_hu: float) -> str:
    """The texture refusal's shares in percent, for the operator: "0 % of it deviates by more than 88 HU
    from normal bone, where a lesion needs 20 %" (QA s31 C: on ab7d7e8 "0.00 of it deviates by more than
    88 HU (abnormal from 0.20)"). The share found is rounded down and the share needed up, so a share
    below the threshold never reads as reaching it (to 1e-6 %: 0.2 is 20 %, not 21 %)."""
    found = math.floor(round(100.0 * seed_fraction, 6))
    needed = math.ceil(round(100.0 * threshold_fraction, 6))
    return (
        f"{found} % of it deviates by more than {delta_hu:g} HU from normal bone, where a lesion needs "
        f"{needed} %"
    )
