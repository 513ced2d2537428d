"""Bone lesion segmentation from a seed point, classification against local normal bone, and measures.

Positions are LPS millimetres, CT values HU, sizes mm, volumes mL; arrays ``[slice, row, col]`` on the
volume's grid (anisotropic spacing honoured). All work happens in a region of interest around the seed
(an ``roi_size_mm`` cube, default 80 mm), never on the whole volume.

Method (every threshold is a field of :class:`LesionParameters`, editable by the operator):

1. Bone mask in the region (:func:`imaging.bone.bone_mask_array`); its envelope is the mask closed by
   ``envelope_closing_mm`` and filled (a cortex with small gaps still encloses its marrow); its
   interior is the mask eroded by ``cortex_thickness_mm`` (growth inside bone never runs along the
   cortex). Voxels outside the scan that a crop or a resampling filled with 0 HU
   (:mod:`imaging.lesion_padding`) are never bone, lesion, reference or part of a smoothing or a
   scale estimate; a seed in them is refused, and a lesion reaching them carries a note.
2. The seed's own HU: median of the raw voxels within ``seed_radius_mm``. Air or fat at the seed, or no
   bone within ``seed_bone_search_mm``, is refused with :class:`NoLesionAtSeedError`.
3. Reference (local normal trabecular bone): median of the bone-interior voxels within
   ``normal_bone_range_hu`` in a shell ``shell_mm`` around the region like the seed (connected voxels
   within ``abnormal_delta_hu`` of its HU: a large lesion must not be its own reference; around the
   seed itself when that region leaves no shell); after a first segmentation it is
   measured again in the same shell around the lesion, and the lesion re-grown once when it moved by
   more than a quarter of ``abnormal_delta_hu``. An operator value (``reference_bone_hu``) wins.
4. The seed is lytic when its HU is below reference - ``abnormal_delta_hu``, sclerotic when above
   reference + ``abnormal_delta_hu``; otherwise it is refused (normal bone). Each kind's edge lies half
   way between the reference and that kind's level (the seed's HU for the seeded kind, the typical HU
   of the other kind), at least ``abnormal_delta_hu`` from the reference.

   4b. A seed within ``abnormal_delta_hu`` of the reference (also after the reference is measured
   again, step 3) is judged by its texture (:mod:`imaging.lesion_texture`): a mottled lesion
   interleaves lytic and sclerotic foci whose mean is close to normal bone. At a ``texture_sigma_mm``
   scale, the share of bone-interior voxels more than ``abnormal_delta_hu`` from the deep trabecular
   bone away from the seed (its median is then the reference) is compared, within
   ``texture_radius_mm`` of the seed, with that share in this normal bone: abnormal when it reaches
   ``texture_contrast`` times it and at least ``texture_min_fraction``. The lesion is then the
   abnormal-texture region connected to the seed (closed foci, growth limit as in step 5); otherwise
   the seed is refused as normal bone. ``texture_radius_mm = 0`` turns this off. A seed in a
   normal-valued gap between foci makes the region like it normal bone and its shell (step 3) the
   foci: when that shell's reference differs by more than ``abnormal_delta_hu`` from the deep
   trabecular bone while the seed does not, the deep bone's median is the reference instead.
   4c. A seed lytic against that reference but within ``abnormal_delta_hu`` of the patient's own deep
   trabecular bone elsewhere in the region (the centres of the bones in view, at least
   ``texture_depth_mm`` inside the bone filled in two of three views, farther than ``shell_mm[1]`` from
   the seed: :mod:`imaging.lesion_deep`) is refused as low-density (osteoporotic) normal bone: a lytic
   metastasis is focal, while an osteoporotic body centre is as dark as the centres of the bodies above
   and below, and the reference of step 3 was measured in the denser bone along the cortex and end
   plates. Skipped when the operator gives the reference or ``deep_bone_check`` is False.
5. Growth limit: the lesion's scale at the seed is estimated (the radius of the ball around the seed
   that contrasts most with the shell around it) and growth is limited to ``extent_factor`` times it
   (at least ``extent_min_mm``, at most ``max_radius_mm``). On real CT a lytic lesion often touches
   marrow or muscle of the same density: without this limit it floods them.
6. Region growing on a lightly smoothed image (``smoothing_sigma_mm``) from the seed. A lytic seed
   grows in the lytic band (``fat_limit_hu`` .. lytic edge: stops at fat and at bone) inside the bone
   envelope, then out of it up to ``extraosseous_max_mm`` from its intraosseous part (a lesion breaking
   through the cortex). A sclerotic seed grows in the sclerotic band (edge .. ``dense_max_hu``) inside
   the bone interior only. The other kind, opened with a ball of ``opening_radius_mm`` (so the
   partial-volume layer where a lytic lesion meets the cortex is not taken for sclerosis), joins where
   it lies inside the bone interior within ``bridge_mm`` of the seeded part (a mixed lesion), with the
   thin layer between them. The component
   at the seed is kept, opened with a ball of ``opening_radius_mm`` and its holes filled.
7. Type (:func:`classify`): the fractions of lesion voxels below reference - delta (lytic) and above
   reference + delta (sclerotic); mixed when both reach ``mixed_min_fraction``.

Sources of the defaults (/work/shared/CLINICAL.md, "CT attenuation (HU)" unless said otherwise):

* normal trabecular bone at L1: 226 +- 44 HU (under 30 y) down to 89 +- 38 HU (90+) ->
  ``abnormal_delta_hu = 88`` (two standard deviations of 44 HU) and ``normal_bone_range_hu = (0, 400)``
  (the age range 89..226 HU widened by about four standard deviations, so that denser young or
  cervical bone and noise stay in the estimate);
* untreated osteoblastic metastasis 654 +- 176 HU -> ``blastic_typical_hu = 654``;
* lytic lesion, soft-tissue density 0-100 HU (*unverified*, hence relative classification) ->
  ``lytic_typical_hu = 50`` (the middle of the range) and ``fat_limit_hu = -50`` (half way between
  the range's lower end, 0 HU, and fat, about -100 HU: a common CT value, not in CLINICAL.md);
* generic bone threshold 130-3000 HU (3D Slicer) -> ``bone_threshold_hu = 130``, ``dense_max_hu = 3000``
  (metal above it);
* cortical bone roughly 1000-2000 HU -> ``sclerotic_max_hu = 1000``: a sclerotic band never takes
  in cortex thicker than ``cortex_thickness_mm`` (blastic metastases 654 +- 176 HU, max 787 +- 194,
  lie below it);
* ``max_radius_mm = 40`` (a lesion up to 8 cm across; CLINICAL.md: zones of about 3.5 cm, lesions
  > 3.5 cm need several ablations), ``roi_size_mm = 80`` (the ball of that radius fits);
* ``extent_factor = 2``, ``extent_min_mm = 10``, ``envelope_closing_mm = 3``,
  ``mixed_min_fraction = 0.2``, ``cortex_thickness_mm = 2``, ``extraosseous_max_mm = 15``,
  ``smoothing_sigma_mm = 0.6``, ``opening_radius_mm = 1``, ``bridge_mm = 2`` (voxels within this of both a
  lytic and a sclerotic part join the lesion: the interface of a mixed lesion), ``seed_radius_mm = 2``,
  ``shell_mm = (3, 12)``: operator choices, not clinical figures.
* texture (step 4b), our own choices, not clinical figures: ``texture_sigma_mm = 2`` (the foci of a
  mottled lesion are several millimetres across; a 2 mm Gaussian averages away noise and trabecular
  texture, and with them foci smaller than about 4-5 mm), ``texture_radius_mm = 3`` (the
  neighbourhood whose share of abnormal voxels is measured: a few foci across),
  ``texture_depth_mm = 4`` (normal bone for comparison lies twice ``cortex_thickness_mm`` inside the
  bone, clear of cortex and its partial volume), ``texture_min_fraction = 0.2`` (a fifth of the
  neighbourhood abnormal; the same figure as ``mixed_min_fraction``), ``texture_contrast = 3`` (three
  times the share in the patient's own normal bone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import bone_mask_array
from imaging.lesion_deep import DeepBone, deep_bone, like_deep_bone
from imaging.lesion_errors import NoLesionAtSeedError, SeedOutsideVolumeError, SegmentationError
from imaging.lesion_grow import (
    LesionParameters,
    bone_envelope,
    distance_from,
    grow_lesion,
    shell_around,
    smooth_hu,
)
from imaging.lesion_measure import lesion_measures
from imaging.lesion_model import Lesion, LesionType
from imaging.lesion_morph import (
    IndexBox,
    ball_footprint,
    box_around_index,
    check_cancel,
    component_at,
    ellipsoid_in_box,
    fill_holes,
    intersect_boxes,
    within_mm,
)
from imaging.lesion_padding import FILL_VALUE_HU, zero_filled
from imaging.lesion_texture import (
    TextureJudgement,
    abnormal_voxels,
    grow_mottled,
    interior_smooth,
    judge_texture,
    local_fraction,
    normal_bone_region,
)
from imaging.mask import Mask
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["LesionParameters", "classify", "estimate_reference_hu", "segment_lesion"]


def segment_lesion(
    volume: Volume,
    seed_lps: npt.ArrayLike,
    *,
    box_lps: tuple[Sequence[float], Sequence[float]] | None = None,
    reference_bone_hu: float | None = None,
    parameters: LesionParameters | None = None,
    posterior_wall: Mask | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Lesion:
    """Segment the bone lesion at a seed point and measure it.

    Parameters
    ----------
    volume
        The CT volume (HU).
    seed_lps
        A point inside the lesion, LPS mm.
    box_lps
        Optional ``(min_xyz, max_xyz)`` LPS box (mm) the lesion must stay in (the bone and the
        reference are still measured in the whole region of interest).
    reference_bone_hu
        The local normal trabecular bone HU to compare with; None measures it around the lesion.
    parameters
        Thresholds (see :class:`LesionParameters`); None uses the defaults.
    posterior_wall
        The vertebral body's posterior wall on the same grid, when known: fills
        ``posterior_wall_involved``.
    progress
        Called with the fraction done (0..1).
    cancel
        When set, stops with :class:`SegmentationCancelledError`.

    Returns
    -------
    Lesion
        Mask on the volume's grid, type and measures.

    Raises
    ------
    SeedOutsideVolumeError
        If the seed lies outside the volume.
    SegmentationError
        If the seed lies outside ``box_lps``.
    NoLesionAtSeedError
        If the seed is in air or fat, away from bone, or in normal bone.
    ValueError
        If an argument is malformed.
    """
    p = parameters if parameters is not None else LesionParameters()
    seed = np.asarray(seed_lps, dtype=np.float64)
    if seed.shape != (3,) or not np.all(np.isfinite(seed)):
        raise ValueError(f'Argument "seed_lps" must be 3 finite numbers, got {seed_lps!r}')
    seed_t = (float(seed[0]), float(seed[1]), float(seed[2]))
    seed_index = volume.lps_to_index_points(seed)
    if not volume.contains_index(seed_index):
        lo, hi = volume.bounds_lps()
        raise SeedOutsideVolumeError(seed_t, (_t3(lo), _t3(hi)))
    spacing = volume.spacing_mm
    roi = box_around_index(seed_index, p.roi_size_mm / 2.0, spacing, volume.shape)
    offset = np.array([s.start for s in roi], dtype=np.float64)
    local_seed = seed_index - offset
    hu = volume.array[roi].astype(np.float32)
    # voxels a crop or a resampling filled with 0 HU (water) are outside the scan: neither bone nor
    # lesion, never part of a reference, a smoothing or a scale estimate (imaging.lesion_padding)
    outside = zero_filled(hu)
    if progress is not None:
        progress(0.05)
    check_cancel(cancel)

    # 3D filling only: filling by views would add the low-density marrow and soft tissue the lesion is
    # compared against to the bone interior the reference is measured in
    bone = bone_mask_array(
        hu, spacing, threshold_hu=p.bone_threshold_hu, metal_hu=p.dense_max_hu, fill_views=False
    )
    if outside.any():
        # the scan's edge closes a bone it cuts, as a cortex would: marrow and lesion up to the cut are
        # inside the bone (otherwise a lytic lesion cut by the edge reads as a cortical breach)
        bone = fill_holes(bone | outside) & ~outside
    envelope = bone_envelope(bone, p.envelope_closing_mm, spacing)
    interior = ndimage.binary_erosion(
        bone, structure=ball_footprint(p.cortex_thickness_mm, spacing), border_value=1
    )
    if progress is not None:
        progress(0.3)
    check_cancel(cancel)

    seed_ball = ellipsoid_in_box(hu.shape, local_seed, p.seed_radius_mm, spacing)
    if not seed_ball.any():
        seed_ball[tuple(np.clip(np.rint(local_seed).astype(int), 0, np.asarray(hu.shape) - 1))] = True
    if outside[tuple(np.clip(np.rint(local_seed).astype(int), 0, np.asarray(hu.shape) - 1))]:
        raise NoLesionAtSeedError(
            "the seed lies in a zero-filled region outside the scan (a crop or resampling filled it with "
            f"{FILL_VALUE_HU:g} HU), not in a lesion"
        )
    seed_ball &= ~outside
    if not seed_ball.any():
        seed_ball[tuple(np.clip(np.rint(local_seed).astype(int), 0, np.asarray(hu.shape) - 1))] = True
    seed_hu = float(np.median(hu[seed_ball]))
    if seed_hu < p.fat_limit_hu:
        raise NoLesionAtSeedError(
            f"the seed is in air or fat (median {seed_hu:.0f} HU within {p.seed_radius_mm:g} mm), "
            "not in a lesion",
            seed_hu=seed_hu,
        )
    near_bone = ellipsoid_in_box(hu.shape, local_seed, p.seed_bone_search_mm, spacing)
    if not (bone & near_bone).any():
        raise NoLesionAtSeedError(
            f"no bone within {p.seed_bone_search_mm:g} mm of the seed: a bone lesion must be in or at a bone",
            seed_hu=seed_hu,
        )
    smooth = smooth_hu(hu, spacing, p.smoothing_sigma_mm, outside=outside)
    seed_dist = distance_from(hu.shape, local_seed, spacing)
    # unscanned voxels are infinitely far: out of every growth limit, scale estimate and reference
    seed_dist[outside] = np.inf
    within = seed_dist <= p.max_radius_mm
    if box_lps is not None:
        within &= _in_box(volume, roi, box_lps, seed_t)
    if progress is not None:
        progress(0.5)
    check_cancel(cancel)

    if reference_bone_hu is not None:
        reference = float(reference_bone_hu)
    else:
        # exclude the region like the seed (within abnormal_delta_hu of it, connected to it): a
        # large lesion would otherwise fill the shell and become its own reference
        alike = component_at((np.abs(smooth - seed_hu) <= p.abnormal_delta_hu) & envelope & within, seed_ball)
        around = shell_around(alike, spacing, p.shell_mm) & interior & ~alike & within
        first = None
        if np.count_nonzero(around) >= p.min_reference_voxels:
            first = estimate_reference_hu(hu, around, normal_bone_range_hu=p.normal_bone_range_hu)
        if first is None:
            shell = ellipsoid_in_box(hu.shape, local_seed, p.shell_mm[1], spacing) & ~ellipsoid_in_box(
                hu.shape, local_seed, p.shell_mm[0], spacing
            )
            first = estimate_reference_hu(hu, interior & shell, normal_bone_range_hu=p.normal_bone_range_hu)
        if first is None:
            raise NoLesionAtSeedError(
                "no normal trabecular bone was found near the seed to compare with; give the reference "
                "bone HU (reference_bone_hu / --reference-hu)",
                seed_hu=seed_hu,
            )
        reference = first

    growth: tuple[float, float, float, float] | None = None
    texture: TextureJudgement | None = None
    deep = (
        _deep_bone(hu=hu, bone=bone, interior=interior, seed_dist=seed_dist, spacing=spacing, p=p)
        if p.texture_radius_mm > 0
        else None
    )
    if (
        deep is not None
        and deep.reference_hu is not None
        and reference_bone_hu is None
        and abs(reference - deep.reference_hu) > p.abnormal_delta_hu
        and abs(seed_hu - deep.reference_hu) <= p.abnormal_delta_hu
    ):
        # the bone around the region like the seed is not like the deep trabecular bone away from it,
        # and the seed is: the seed sits in normal-looking bone between abnormal foci (step 4b)
        reference = deep.reference_hu
    deep_sample: DeepBone | None = None
    if reference_bone_hu is None and p.deep_bone_check and seed_hu < reference - p.abnormal_delta_hu:
        deep_sample = _refuse_if_like_deep_bone(
            hu=hu,
            bone=bone,
            seed_dist=seed_dist,
            outside=outside,
            spacing=spacing,
            seed_hu=seed_hu,
            reference=reference,
            p=p,
        )
    if deep is not None and abs(seed_hu - reference) <= p.abnormal_delta_hu:
        lesion, reference, texture = _segment_mottled(
            deep=deep,
            smooth=smooth,
            interior=interior,
            within=within,
            seed_ball=seed_ball,
            seed_dist=seed_dist,
            seed_hu=seed_hu,
            reference=reference,
            operator_reference=reference_bone_hu is not None,
            spacing=spacing,
            p=p,
        )
    else:
        lesion, growth = grow_lesion(
            smooth=smooth,
            seed_dist=seed_dist,
            seed_hu=seed_hu,
            reference=reference,
            envelope=envelope,
            interior=interior,
            within=within,
            seed_ball=seed_ball,
            spacing=spacing,
            p=p,
        )
        check_cancel(cancel)
        if reference_bone_hu is None and lesion.any():
            around = shell_around(lesion, spacing, p.shell_mm) & interior & ~lesion
            second = estimate_reference_hu(hu, around, normal_bone_range_hu=p.normal_bone_range_hu)
            if second is not None and np.count_nonzero(around) >= p.min_reference_voxels:
                if abs(second - reference) > p.abnormal_delta_hu / 4.0 and (
                    abs(seed_hu - second) <= p.abnormal_delta_hu and deep is not None
                ):
                    # against the refined reference the seed looks like normal bone: judge its texture
                    lesion, second, texture = _segment_mottled(
                        deep=deep,
                        smooth=smooth,
                        interior=interior,
                        within=within,
                        seed_ball=seed_ball,
                        seed_dist=seed_dist,
                        seed_hu=seed_hu,
                        reference=second,
                        operator_reference=False,
                        spacing=spacing,
                        p=p,
                    )
                    growth = None
                elif abs(second - reference) > p.abnormal_delta_hu / 4.0:
                    lesion, growth = grow_lesion(
                        smooth=smooth,
                        seed_dist=seed_dist,
                        seed_hu=seed_hu,
                        reference=second,
                        envelope=envelope,
                        interior=interior,
                        within=within,
                        seed_ball=seed_ball,
                        spacing=spacing,
                        p=p,
                    )
                reference = second
    if progress is not None:
        progress(0.8)
    check_cancel(cancel)
    if not lesion.any():
        raise NoLesionAtSeedError(
            f"nothing abnormal is connected to the seed (seed {seed_hu:.0f} HU, local normal bone "
            f"{reference:.0f} HU)",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
        )

    lesion_type, fractions = classify(
        smooth[lesion],
        reference,
        abnormal_delta_hu=p.abnormal_delta_hu,
        mixed_min_fraction=p.mixed_min_fraction,
    )
    notes = [f"lytic fraction {fractions[0]:.2f}, sclerotic fraction {fractions[1]:.2f}"]
    if deep_sample is not None:
        notes.append(
            f"the seed ({seed_hu:.0f} HU) differs by {seed_hu - deep_sample.median_hu:+.0f} HU from this "
            f"patient's deep trabecular bone elsewhere in the region ({deep_sample.median_hu:.0f} HU), more "
            f"than {p.abnormal_delta_hu:g} HU: not like it (focal)"
        )
    if reference_bone_hu is not None:
        notes.append("reference bone HU given by the operator")
    if texture is not None:
        notes.append(
            f"mottled: the seed ({seed_hu:.0f} HU) is within {p.abnormal_delta_hu:g} HU of normal bone but "
            f"{texture.seed_fraction:.2f} of its neighbourhood deviates by more at a "
            f"{p.texture_sigma_mm:g} mm scale (normal bone here: {texture.normal_fraction:.2f}; "
            f"threshold {texture.threshold_fraction:.2f})"
        )
    if growth is not None and (lesion & (seed_dist > growth[2] - max(spacing))).any():
        notes.append(
            f"the lesion reaches the growth limit ({growth[2]:.0f} mm from the seed; estimated lesion "
            f"radius {growth[3]:.0f} mm, maximum {p.max_radius_mm:g} mm): check its extent"
        )
    if _touches_border(lesion):
        notes.append("the lesion touches the edge of the volume or of the region searched")
    if outside.any() and (ndimage.binary_dilation(outside) & lesion).any():
        notes.append(
            "the lesion reaches the edge of the scan (a zero-filled region): it may continue beyond it"
        )

    mask = Mask.from_box(lesion, (int(offset[0]), int(offset[1]), int(offset[2])), volume.shape)
    wall: bool | None = None
    if posterior_wall is not None:
        wall = _overlaps(mask, posterior_wall)
    measures = lesion_measures(volume, mask, bone_in_roi=bone, roi_index=roi, outside_in_roi=outside)
    if progress is not None:
        progress(1.0)
    return Lesion(
        mask=mask,
        type=lesion_type,
        volume_ml=measures.volume_ml,
        max_diameter_mm=measures.max_diameter_mm,
        mean_hu=measures.mean_hu,
        percentiles_hu=measures.percentiles_hu,
        reference_bone_hu=reference,
        centroid_lps=measures.centroid_lps,
        bbox_lps=measures.bbox_lps,
        seed_lps=seed_t,
        cortical_breach=measures.cortical_breach,
        cortical_breach_lps=measures.cortical_breach_lps,
        posterior_wall_involved=wall,
        notes=tuple(notes),
    )


def classify(
    values_hu: npt.ArrayLike,
    reference_bone_hu: float,
    *,
    abnormal_delta_hu: float = 88.0,
    mixed_min_fraction: float = 0.2,
) -> tuple[LesionType, tuple[float, float]]:
    """Lytic, blastic or mixed, relative to the patient's own local normal trabecular bone.

    Parameters
    ----------
    values_hu
        HU of the lesion's voxels (lightly smoothed values are steadier than raw ones).
    reference_bone_hu
        The local normal trabecular bone HU.
    abnormal_delta_hu
        A voxel is lytic below ``reference - delta``, sclerotic above ``reference + delta`` (default 88
        HU: two standard deviations of normal L1 trabecular bone, 44 HU, CLINICAL.md).
    mixed_min_fraction
        Mixed when both the lytic and the sclerotic fractions reach this (operator choice, 0.2).

    Returns
    -------
    tuple
        ``(type, (lytic_fraction, sclerotic_fraction))``.

    Raises
    ------
    ValueError
        If ``values_hu`` is empty.
    """
    v = np.asarray(values_hu, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError('Argument "values_hu" must not be empty')
    lytic = float(np.mean(v < reference_bone_hu - abnormal_delta_hu))
    sclerotic = float(np.mean(v > reference_bone_hu + abnormal_delta_hu))
    if lytic >= mixed_min_fraction and sclerotic >= mixed_min_fraction:
        kind = LesionType.MIXED
    elif sclerotic > lytic:
        kind = LesionType.BLASTIC
    else:
        kind = LesionType.LYTIC
    return kind, (lytic, sclerotic)


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


# -- private -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _DeepBone:
    """The bone interior smoothed at the texture scale (cortex kept out), and the deep trabecular bone
    away from the seed with its median HU; the HU and the smoothing's support, for the fine scale."""

    coarse: npt.NDArray[np.float32]
    normal: BoolArray
    reference_hu: float | None
    hu: npt.NDArray[np.float32]
    support: BoolArray

    def fine(self, spacing: tuple[float, float, float], sigma_mm: float) -> npt.NDArray[np.float32]:
        """The bone interior smoothed at the fine scale (only a mottled lesion needs it)."""
        return interior_smooth(self.hu, self.support, spacing, sigma_mm)


def _deep_bone(
    *,
    hu: npt.NDArray[np.float32],
    bone: BoolArray,
    interior: BoolArray,
    seed_dist: FloatArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> _DeepBone:
    """Steps 1-2 of :mod:`imaging.lesion_texture`; the reference is None with too few voxels."""
    # at least texture_depth_mm inside the bone: no voxel outside it closer than that (the same voxels as
    # a distance map of the bone thresholded there, without the distance map)
    deep = ~within_mm(~bone, p.texture_depth_mm, spacing, strict=True)
    # cortex caught in the interior (above sclerotic_max_hu) is left out of the smoothing
    support = interior & (hu <= p.sclerotic_max_hu)
    coarse = interior_smooth(hu, support, spacing, p.texture_sigma_mm)
    normal = normal_bone_region(coarse, deep, seed_dist, p)
    ref = float(np.median(coarse[normal])) if np.count_nonzero(normal) >= p.min_reference_voxels else None
    return _DeepBone(coarse=coarse, normal=normal, reference_hu=ref, hu=hu, support=support)


def _segment_mottled(
    *,
    deep: _DeepBone,
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
            f"{normal_msg}, and its neighbourhood is not heterogeneous: {judgement.seed_fraction:.2f} of it "
            f"deviates by more than {p.abnormal_delta_hu:g} HU (abnormal from "
            f"{judgement.threshold_fraction:.2f})",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
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


def _refuse_if_like_deep_bone(
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
        f"{p.texture_depth_mm:g} mm inside bone, farther than {p.shell_mm[1]:g} mm from the seed): "
        "low-density (osteoporotic) normal bone like the centres of the bones around it, not a focal lytic "
        "lesion; give the reference bone HU (reference_bone_hu / --reference-hu) to segment it anyway",
        seed_hu=seed_hu,
        reference_bone_hu=deep.median_hu,
    )


def _in_box(
    volume: Volume,
    roi: IndexBox,
    box_lps: tuple[Sequence[float], Sequence[float]],
    seed_t: tuple[float, float, float],
) -> BoolArray:
    """Voxels of the region whose LPS centres lie in the box (exact for oblique grids too)."""
    lo = np.asarray(box_lps[0], dtype=np.float64)
    hi = np.asarray(box_lps[1], dtype=np.float64)
    if lo.shape != (3,) or hi.shape != (3,) or np.any(hi <= lo):
        raise ValueError(f'Argument "box_lps" must be (min_xyz, max_xyz) with max > min, got {box_lps!r}')
    if np.any(np.asarray(seed_t) < lo) or np.any(np.asarray(seed_t) > hi):
        raise SegmentationError(
            "seed ({:.1f}, {:.1f}, {:.1f}) mm LPS lies outside the box given to limit the lesion".format(
                *seed_t
            )
        )
    shape = tuple(s.stop - s.start for s in roi)
    idx = np.indices(shape, dtype=np.float64).reshape(3, -1).T + np.array([s.start for s in roi])
    pts = volume.index_to_lps_points(idx)
    inside: BoolArray = np.all((pts >= lo) & (pts <= hi), axis=1).reshape(shape)
    return inside


def _touches_border(lesion: BoolArray) -> bool:
    return any(
        np.take(lesion, 0, axis=axis).any() or np.take(lesion, -1, axis=axis).any() for axis in range(3)
    )


def _overlaps(a: Mask, b: Mask) -> bool:
    if a.grid_shape != b.grid_shape:
        raise ValueError(f"posterior wall grid {b.grid_shape} differs from the volume's {a.grid_shape}")
    box = intersect_boxes(a.slices, b.slices)
    if box is None:
        return False
    sa = tuple(slice(s.start - o, s.stop - o) for s, o in zip(box, a.offset_index, strict=True))
    sb = tuple(slice(s.start - o, s.stop - o) for s, o in zip(box, b.offset_index, strict=True))
    return bool((a.array[sa] & b.array[sb]).any())


def _t3(v: npt.ArrayLike) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    return (float(a[0]), float(a[1]), float(a[2]))
