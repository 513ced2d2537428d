"""Mottled bone lesions: abnormal texture around a seed whose own HU looks like normal bone.

A mottled (mixed) metastasis interleaves lytic and sclerotic foci a few millimetres across; its mean,
and so the median HU at a seed, can lie within ``abnormal_delta_hu`` of normal trabecular bone while
its texture does not. This module judges and segments such a lesion by heterogeneity (see
:mod:`imaging.lesion`, step 4b). Arrays are the region of interest ``[slice, row, col]``; HU; sizes in
mm on the grid's spacing ``(slice, row, col)``.

Method (thresholds are fields of :class:`imaging.lesion_grow.LesionParameters`):

1. The texture is judged on the HU of the bone interior smoothed with a Gaussian of
   ``texture_sigma_mm``, normalised within the interior voxels up to ``sclerotic_max_hu`` (so cortex
   and soft tissue do not bleed in):
   the foci of a mottled lesion are several millimetres across, while noise and single trabeculae are
   not. Foci much smaller than about twice ``texture_sigma_mm`` are averaged away.
2. Normal bone: the deep trabecular bone of the region, at least ``texture_depth_mm`` inside the bone
   (away from the cortex and its partial volume), farther than ``shell_mm[1]`` from the seed (not the
   lesion's own neighbourhood), within ``max_radius_mm``, smoothed HU within ``normal_bone_range_hu``.
   Its median is the reference (unless the operator gave one).
3. Abnormal voxels: bone-interior voxels whose smoothed HU lie more than ``abnormal_delta_hu`` from
   that reference (below: lytic, down to ``fat_limit_hu``; above: sclerotic, up to
   ``sclerotic_max_hu``, so no cortex).
4. Local abnormal fraction: the share of abnormal voxels among the bone-interior voxels within
   ``texture_radius_mm`` of each voxel. The normal bone's own heterogeneity is the median of that
   fraction over the normal bone of step 2 (robust to a minority of diseased bone there).
5. The seed's neighbourhood (its ``seed_radius_mm`` ball) is abnormal when its mean fraction reaches
   ``texture_contrast`` times the normal bone's and at least ``texture_min_fraction``; otherwise the
   seed is refused as normal bone.
6. The lesion: the region of abnormal texture (fraction at least that threshold) connected to the
   seed inside the bone interior and the growth limits; in it, the abnormal voxels at the fine scale
   (interior HU lightly smoothed with ``smoothing_sigma_mm``, as for other lesions) closed with a ball of
   ``texture_radius_mm`` (the normal-valued gaps between foci belong to the lesion) and filled; the
   component at the seed is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.lesion_grow import LesionParameters, blob_radius_mm
from imaging.lesion_morph import (
    ball_footprint,
    component_at,
    components_touching,
    dilate_mm,
    fill_holes,
    mask_bbox,
)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TextureJudgement:
    """What :func:`judge_texture` measured (HU; fractions 0..1)."""

    reference_hu: float
    normal_fraction: float
    threshold_fraction: float
    seed_fraction: float
    abnormal: bool
    limit_mm: float = 0.0


def normal_bone_region(
    coarse: npt.NDArray[np.float32], deep: BoolArray, seed_dist: FloatArray, p: LesionParameters
) -> BoolArray:
    """Deep trabecular bone away from the seed (step 2 of the module docstring).

    ``deep`` holds the voxels at least ``texture_depth_mm`` inside the bone.
    """
    lo, hi = p.normal_bone_range_hu
    out: BoolArray = (
        deep & (seed_dist > p.shell_mm[1]) & (seed_dist <= p.max_radius_mm) & (coarse >= lo) & (coarse <= hi)
    )
    return out


def interior_smooth(
    hu: npt.NDArray[np.float32], interior: BoolArray, spacing: Sequence[float], sigma_mm: float
) -> npt.NDArray[np.float32]:
    """Gaussian smoothing of the HU within the bone interior only (normalised convolution).

    Outside the interior the result is the raw HU (those voxels are never judged).
    """
    if sigma_mm <= 0:
        return hu
    sigma = [sigma_mm / s for s in spacing]
    weight = interior.astype(np.float32)
    num = ndimage.gaussian_filter(np.where(interior, hu, 0.0).astype(np.float32), sigma, truncate=3.0)
    den = ndimage.gaussian_filter(weight, sigma, truncate=3.0)
    out: npt.NDArray[np.float32] = np.where(interior & (den > 1e-3), num / np.maximum(den, 1e-3), hu).astype(
        np.float32
    )
    return out


def abnormal_voxels(
    smooth: npt.NDArray[np.float32], interior: BoolArray, reference_hu: float, p: LesionParameters
) -> BoolArray:
    """Bone-interior voxels farther than ``abnormal_delta_hu`` from the reference (no cortex, no fat)."""
    delta = p.abnormal_delta_hu
    out: BoolArray = (
        interior
        & (smooth >= p.fat_limit_hu)
        & (smooth <= p.sclerotic_max_hu)
        & (np.abs(smooth - reference_hu) > delta)
    )
    return out


def local_fraction(
    mask: BoolArray, support: BoolArray, radius_mm: float, spacing: Sequence[float]
) -> npt.NDArray[np.float32]:
    """Share of ``mask`` voxels among the ``support`` voxels within ``radius_mm`` (0 off the support)."""
    footprint = ball_footprint(radius_mm, spacing).astype(np.float32)
    num = ndimage.convolve((mask & support).astype(np.float32), footprint, mode="constant")
    den = ndimage.convolve(support.astype(np.float32), footprint, mode="constant")
    out: npt.NDArray[np.float32] = np.where(support & (den > 0), num / np.maximum(den, 1e-6), 0.0).astype(
        np.float32
    )
    return out


def judge_texture(
    *,
    fraction: npt.NDArray[np.float32],
    interior: BoolArray,
    normal: BoolArray,
    seed_ball: BoolArray,
    reference_hu: float,
    p: LesionParameters,
) -> TextureJudgement:
    """Whether the seed's neighbourhood is more heterogeneous than the patient's normal bone (step 5)."""
    normal_fraction = float(np.median(fraction[normal])) if normal.any() else 0.0
    threshold = max(p.texture_min_fraction, p.texture_contrast * normal_fraction)
    at_seed = seed_ball & interior
    seed_fraction = float(fraction[at_seed].mean()) if at_seed.any() else 0.0
    return TextureJudgement(
        reference_hu=reference_hu,
        normal_fraction=normal_fraction,
        threshold_fraction=threshold,
        seed_fraction=seed_fraction,
        abnormal=bool(at_seed.any() and seed_fraction >= threshold),
    )


def grow_mottled(
    *,
    coarse_abnormal: BoolArray,
    fine_abnormal: BoolArray,
    fraction: npt.NDArray[np.float32],
    threshold_fraction: float,
    interior: BoolArray,
    within: BoolArray,
    seed_ball: BoolArray,
    seed_dist: FloatArray,
    spacing: Sequence[float],
    p: LesionParameters,
) -> tuple[BoolArray, float]:
    """The mottled lesion at the seed (step 6 of the module docstring) and the growth limit (mm).

    The growth limit is that of other lesions (``extent_factor`` times the radius of the ball around the
    seed whose abnormal fraction contrasts most with the shell around it, within ``extent_min_mm`` ..
    ``max_radius_mm``). The closed abnormal foci at the texture scale give the lesion's body; the
    abnormal foci at the fine scale that touch it, within ``texture_radius_mm`` of the abnormal-texture
    region, give its boundary back (the coarse smoothing pulls foci at the lesion's edge towards normal
    bone). Empty when nothing is found.
    """
    blob_mm = blob_radius_mm(fraction, seed_dist, lytic=False, p=p)
    limit_mm = p.max_radius_mm
    if p.extent_factor > 0:
        limit_mm = min(p.max_radius_mm, max(p.extent_min_mm, p.extent_factor * blob_mm))
    allowed = within & interior & (seed_dist <= limit_mm)
    region = component_at((fraction >= threshold_fraction) & allowed, seed_ball)
    empty: BoolArray = np.zeros(fine_abnormal.shape, dtype=bool)
    if not region.any():
        return empty, limit_mm
    footprint = ball_footprint(p.texture_radius_mm, spacing)
    seed_reach = ndimage.binary_dilation(seed_ball, structure=footprint)
    foci = coarse_abnormal & region
    body = component_at(_close(foci, footprint) & allowed, seed_reach)
    if not body.any():
        return empty, limit_mm
    # fine-scale foci of the abnormal-texture region (or within texture_radius_mm of it) that touch
    # the body: the boundary the coarse smoothing pulled in, and thin foci at the lesion's edge
    near_region = dilate_mm(region, p.texture_radius_mm, spacing)
    edge = components_touching(fine_abnormal & allowed & near_region, body)
    lesion = _close(body | edge, footprint) & allowed
    box = mask_bbox(lesion)
    if box is not None:
        lesion[box] = fill_holes(lesion[box])
    return component_at(lesion, seed_reach), limit_mm


def _close(mask: BoolArray, footprint: BoolArray) -> BoolArray:
    """Binary closing in the mask's bounding box padded by the footprint (no loss at the border)."""
    box = mask_bbox(mask)
    out: BoolArray = np.zeros(mask.shape, dtype=bool)
    if box is None:
        return out
    pad = [n // 2 + 1 for n in footprint.shape]
    grown = tuple(
        slice(max(0, b.start - q), min(n, b.stop + q)) for b, q, n in zip(box, pad, mask.shape, strict=True)
    )
    part = np.pad(mask[grown], [(q, q) for q in pad])
    closed = ndimage.binary_closing(part, structure=footprint)
    crop = tuple(slice(q, n - q) for q, n in zip(pad, closed.shape, strict=True))
    out[grown] = closed[crop] | mask[grown]
    return out
