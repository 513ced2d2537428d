"""Bone lesion segmentation from a seed point, classification against local normal bone, and measures.

Positions are LPS millimetres, CT values HU, sizes mm, volumes mL; arrays ``[slice, row, col]`` on the
volume's grid (anisotropic spacing honoured). All work happens in a region of interest around the seed
(an ``roi_size_mm`` cube, default 80 mm), never on the whole volume.

Method (every threshold is a field of :class:`LesionParameters`, editable by the operator):

1. Bone mask in the region (:func:`imaging.bone.bone_mask_array`); its interior is the mask eroded by
   ``cortex_thickness_mm`` (so growth inside bone does not run along the cortex).
2. The seed's own HU: median of the raw voxels within ``seed_radius_mm``. Air or fat at the seed, or no
   bone near it, is refused with :class:`NoLesionAtSeedError`.
3. Reference (local normal trabecular bone): median of the voxels of the bone interior within
   ``normal_bone_range_hu`` in a shell around the seed (``shell_mm``), excluding abnormal voxels; after
   a first segmentation it is measured again in a shell around the lesion, and the lesion re-grown once
   when it moved by more than a quarter of ``abnormal_delta_hu``.
4. The seed is lytic-side when its HU is below reference - ``abnormal_delta_hu``, sclerotic-side above
   reference + ``abnormal_delta_hu``; otherwise it is refused (normal bone). Each side's edge is half
   way between the reference and that side's level (the seed's own HU on the seeded side, the typical
   HU of the other kind on the other side), at least ``abnormal_delta_hu`` from the reference.
5. Region growing on a lightly smoothed image (``smoothing_sigma_mm``) from the seed over the union of
   the lytic band (``fat_limit_hu`` .. lytic edge: stops at fat and at bone; allowed outside the bone
   up to ``extraosseous_max_mm`` from it, which follows a lesion breaking through the cortex) and the
   sclerotic band (sclerotic edge .. ``dense_max_hu``, only inside the bone interior: never the
   cortex), bounded by a ball of ``max_radius_mm``; keep the component at the seed, open with a ball
   of ``opening_radius_mm``, fill holes.
6. Type (:func:`classify`): the fractions of lesion voxels below reference - delta (lytic) and above
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
* generic bone threshold 130-3000 HU (3D Slicer) -> ``bone_threshold_hu = 130``, ``dense_max_hu = 3000``;
* ``max_radius_mm = 40`` (a lesion up to 8 cm across; CLINICAL.md: zones of about 3.5 cm, lesions
  > 3.5 cm need several ablations), ``roi_size_mm = 80`` (the ball of that radius fits);
* ``mixed_min_fraction = 0.2``, ``cortex_thickness_mm = 2``, ``extraosseous_max_mm = 15``,
  ``smoothing_sigma_mm = 0.6``, ``opening_radius_mm = 1``, ``bridge_mm = 2`` (voxels within this of both a
  lytic and a sclerotic part join the lesion: the interface of a mixed lesion), ``seed_radius_mm = 2``,
  ``shell_mm = (3, 12)``: operator choices, not clinical figures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import BONE_THRESHOLD_HU, METAL_HU, bone_mask_array
from imaging.lesion_errors import NoLesionAtSeedError, SeedOutsideVolumeError
from imaging.lesion_measure import lesion_measures
from imaging.lesion_model import Lesion, LesionType
from imaging.lesion_morph import (
    IndexBox,
    ball_footprint,
    box_around_index,
    check_cancel,
    component_at,
    distance_outside_mm,
    ellipsoid_in_box,
    intersect_boxes,
)
from imaging.mask import Mask
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["LesionParameters", "classify", "estimate_reference_hu", "segment_lesion"]


@dataclass(frozen=True)
class LesionParameters:
    """Every threshold of :func:`segment_lesion`; see the module docstring for their sources."""

    roi_size_mm: float = 80.0
    max_radius_mm: float = 40.0
    bone_threshold_hu: float = BONE_THRESHOLD_HU
    dense_max_hu: float = METAL_HU
    fat_limit_hu: float = -50.0
    normal_bone_range_hu: tuple[float, float] = (0.0, 400.0)
    abnormal_delta_hu: float = 88.0
    lytic_typical_hu: float = 50.0
    blastic_typical_hu: float = 654.0
    cortex_thickness_mm: float = 2.0
    extraosseous_max_mm: float = 15.0
    smoothing_sigma_mm: float = 0.6
    opening_radius_mm: float = 1.0
    mixed_min_fraction: float = 0.2
    seed_radius_mm: float = 2.0
    seed_bone_search_mm: float = 20.0
    shell_mm: tuple[float, float] = (3.0, 12.0)
    min_reference_voxels: int = 30
    bridge_mm: float = 2.0
    envelope_closing_mm: float = 3.0
    neck_fraction: float = 0.5
    extent_factor: float = 2.0
    extent_min_mm: float = 10.0
    neck_step_mm: float = 1.0

    def __post_init__(self) -> None:
        positive = ("roi_size_mm", "max_radius_mm", "abnormal_delta_hu", "seed_radius_mm")
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f'Argument "{name}" must be positive, got {value}')
        lo, hi = self.normal_bone_range_hu
        if not hi > lo:
            raise ValueError(f'Argument "normal_bone_range_hu" must be increasing, got {(lo, hi)}')
        a, b = self.shell_mm
        if not b > a >= 0:
            raise ValueError(
                f'Argument "shell_mm" must be (inner, outer) with outer > inner >= 0, got {(a, b)}'
            )
        if not 0 < self.mixed_min_fraction <= 0.5:
            raise ValueError(
                f'Argument "mixed_min_fraction" must be in (0, 0.5], got {self.mixed_min_fraction}'
            )


def segment_lesion(
    volume: Volume,
    seed_lps: Sequence[float],
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
        Optional ``(min_xyz, max_xyz)`` LPS box (mm) the lesion must stay in (it also bounds the work).
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
        If the seed lies outside the volume (or outside ``box_lps``).
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
    if box_lps is not None:
        roi = _limit_to_box(volume, roi, box_lps, seed_t)
    offset = np.array([s.start for s in roi], dtype=np.float64)
    local_seed = seed_index - offset
    hu = volume.array[roi].astype(np.float32)
    if progress is not None:
        progress(0.05)
    check_cancel(cancel)

    bone = bone_mask_array(hu, spacing, threshold_hu=p.bone_threshold_hu, metal_hu=p.dense_max_hu)
    envelope = _envelope(bone, p.envelope_closing_mm, spacing)
    interior = ndimage.binary_erosion(
        bone, structure=ball_footprint(p.cortex_thickness_mm, spacing), border_value=1
    )
    if progress is not None:
        progress(0.3)
    check_cancel(cancel)

    seed_ball = ellipsoid_in_box(hu.shape, local_seed, p.seed_radius_mm, spacing)
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
    smooth = _smooth(hu, spacing, p.smoothing_sigma_mm)
    seed_dist = _distance_from(hu.shape, local_seed, spacing)
    within = seed_dist <= p.max_radius_mm
    if progress is not None:
        progress(0.5)
    check_cancel(cancel)

    if reference_bone_hu is not None:
        reference = float(reference_bone_hu)
    else:
        shell = ellipsoid_in_box(hu.shape, local_seed, p.shell_mm[1], spacing) & ~ellipsoid_in_box(
            hu.shape, local_seed, p.shell_mm[0], spacing
        )
        first = estimate_reference_hu(hu, interior & shell, normal_bone_range_hu=p.normal_bone_range_hu)
        if first is None or np.count_nonzero(interior & shell) < p.min_reference_voxels:
            wide = within & ~ellipsoid_in_box(hu.shape, local_seed, p.shell_mm[0], spacing)
            first = estimate_reference_hu(hu, interior & wide, normal_bone_range_hu=p.normal_bone_range_hu)
        if first is None:
            raise NoLesionAtSeedError(
                "no normal trabecular bone was found near the seed to compare with; give the reference "
                "bone HU (reference_bone_hu / --reference-hu)",
                seed_hu=seed_hu,
            )
        reference = first

    lesion, growth = _grow(
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
        around = _shell_around(lesion, spacing, p.shell_mm) & interior & ~lesion
        second = estimate_reference_hu(hu, around, normal_bone_range_hu=p.normal_bone_range_hu)
        if second is not None and np.count_nonzero(around) >= p.min_reference_voxels:
            if abs(second - reference) > p.abnormal_delta_hu / 4.0:
                lesion, growth = _grow(
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
    if reference_bone_hu is not None:
        notes.append("reference bone HU given by the operator")
    if (lesion & (seed_dist > growth[2] - max(spacing))).any():
        notes.append(
            f"the lesion reaches the growth limit ({growth[2]:.0f} mm from the seed; estimated lesion "
            f"radius {growth[3]:.0f} mm, maximum {p.max_radius_mm:g} mm): check its extent"
        )
    if _touches_border(lesion):
        notes.append("the lesion touches the edge of the volume or of the region searched")

    mask = Mask.from_box(lesion, (int(offset[0]), int(offset[1]), int(offset[2])), volume.shape)
    wall: bool | None = None
    if posterior_wall is not None:
        wall = _overlaps(mask, posterior_wall)
    measures = lesion_measures(volume, mask, bone_in_roi=bone, roi_index=roi)
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
def _grow(
    *,
    smooth: npt.NDArray[np.float32],
    seed_hu: float,
    reference: float,
    envelope: BoolArray,
    interior: BoolArray,
    within: BoolArray,
    seed_ball: BoolArray,
    seed_dist: FloatArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> tuple[BoolArray, tuple[float, float, float, float]]:
    """Region growing from the seed; returns (mask, (lytic edge, sclerotic edge, limit mm, blob mm)).

    The seeded kind grows fully (a lytic one inside the bone envelope, then out of it up to
    ``extraosseous_max_mm`` from its intraosseous part); the other kind joins only inside the bone
    interior and only where it lies within ``bridge_mm`` of the seeded part (a mixed lesion).
    """
    delta = p.abnormal_delta_hu
    if seed_hu < reference - delta:
        low_level, high_level, lytic_seed = seed_hu, p.blastic_typical_hu, True
    elif seed_hu > reference + delta:
        low_level, high_level, lytic_seed = p.lytic_typical_hu, seed_hu, False
    else:
        raise NoLesionAtSeedError(
            f"the seed ({seed_hu:.0f} HU) is within {delta:g} HU of the local normal bone "
            f"({reference:.0f} HU): no lesion at the seed",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
        )
    low_edge = reference - max(delta, (reference - low_level) / 2.0)
    high_edge = reference + max(delta, (high_level - reference) / 2.0)
    blob_mm = _blob_radius_mm(smooth, seed_dist, lytic=lytic_seed, p=p)
    limit_mm = p.max_radius_mm
    if p.extent_factor > 0:
        limit_mm = min(p.max_radius_mm, max(p.extent_min_mm, p.extent_factor * blob_mm))
        within = within & (seed_dist <= limit_mm)
    lytic_band = (smooth >= p.fat_limit_hu) & (smooth <= low_edge) & within
    sclerotic_band = (smooth >= high_edge) & (smooth <= p.dense_max_hu) & interior & within
    if lytic_seed:
        grown = component_at(lytic_band & envelope, seed_ball)
        if not grown.any():  # a seed just outside the bone: the extraosseous part of a lesion
            near = distance_outside_mm(envelope, spacing) <= p.extraosseous_max_mm
            grown = component_at(lytic_band & near, seed_ball)
        elif p.extraosseous_max_mm > 0:
            outside = lytic_band & ~envelope
            if outside.any():
                outside &= distance_outside_mm(grown, spacing) <= p.extraosseous_max_mm
                outside = _open(outside, p.opening_radius_mm, spacing)
                grown |= _touching(outside, grown)
        other = sclerotic_band
    else:
        grown = component_at(sclerotic_band, seed_ball)
        other = lytic_band & interior
    if grown.any() and other.any() and p.bridge_mm > 0:
        # the thin layer where a lytic part meets a sclerotic part passes through normal values once
        # smoothed: voxels close to both are lesion too
        ball = ball_footprint(p.bridge_mm, spacing)
        near_grown = ndimage.binary_dilation(grown, structure=ball)
        joined = _touching(other, near_grown)
        if joined.any():
            bridge = near_grown & ndimage.binary_dilation(joined, structure=ball) & envelope
            grown = grown | joined | bridge
    if grown.any() and p.neck_fraction > 0:
        grown = _cut_at_neck(grown, seed_ball, spacing, p)
    if grown.any() and p.opening_radius_mm > 0:
        opened = _open(grown, p.opening_radius_mm, spacing)
        if (opened & seed_ball).any():
            grown = component_at(opened, seed_ball)
    if grown.any():
        grown = ndimage.binary_fill_holes(grown)
    return grown, (low_edge, high_edge, limit_mm, blob_mm)


def _distance_from(shape: tuple[int, ...], centre: FloatArray, spacing: Sequence[float]) -> FloatArray:
    sp = np.asarray(spacing, dtype=np.float64)
    g = [(np.arange(n) - c) * s for n, c, s in zip(shape, centre, sp, strict=True)]
    out: FloatArray = np.sqrt(g[0][:, None, None] ** 2 + g[1][None, :, None] ** 2 + g[2][None, None, :] ** 2)
    return out


def _blob_radius_mm(
    smooth: npt.NDArray[np.float32], seed_dist: FloatArray, *, lytic: bool, p: LesionParameters
) -> float:
    """The radius (mm) of the ball around the seed that contrasts most with the shell around it.

    A scale-selection estimate of the lesion's size at the seed: for each radius r the mean HU inside
    the ball and in the shell (r, r + max(3 mm, r / 2)] are compared (lower inside for a lytic seed,
    higher for a sclerotic one); HU are clipped to fat_limit .. blastic_typical so that cortex and
    air do not dominate.
    """
    values = np.clip(smooth, p.fat_limit_hu, p.blastic_typical_hu).astype(np.float64).ravel()
    d = seed_dist.ravel()
    keep = d <= p.max_radius_mm * 1.5
    step = 1.0
    bins = np.floor(d[keep] / step).astype(int)
    n_bins = int(bins.max()) + 1
    sums = np.bincount(bins, weights=values[keep], minlength=n_bins)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    csum, ccount = np.cumsum(sums), np.cumsum(counts)
    best_r, best_c = p.extent_min_mm, -np.inf
    for k in range(1, n_bins):
        r = (k + 1) * step
        if r > p.max_radius_mm:
            break
        outer = min(n_bins - 1, int(np.floor((r + max(3.0, r / 2.0)) / step)))
        if outer <= k or ccount[k] == 0:
            continue
        shell_n = ccount[outer] - ccount[k]
        if shell_n <= 0:
            continue
        inside = csum[k] / ccount[k]
        shell = (csum[outer] - csum[k]) / shell_n
        contrast = shell - inside if lytic else inside - shell
        if contrast > best_c:
            best_r, best_c = r, contrast
    return float(best_r)


def _envelope(bone: BoolArray, closing_mm: float, spacing: Sequence[float]) -> BoolArray:
    """The bone with small cortical gaps closed and its cavities filled (padded: no border loss)."""
    if closing_mm <= 0 or not bone.any():
        out0: BoolArray = ndimage.binary_fill_holes(bone)
        return out0
    ball = ball_footprint(closing_mm, spacing)
    pad = max(ball.shape) // 2 + 1
    closed = ndimage.binary_closing(np.pad(bone, pad, mode="edge"), structure=ball)
    crop = tuple(slice(pad, n - pad) for n in closed.shape)
    out: BoolArray = ndimage.binary_fill_holes(closed[crop] | bone)
    return out


def _cut_at_neck(
    grown: BoolArray, seed_ball: BoolArray, spacing: tuple[float, float, float], p: LesionParameters
) -> BoolArray:
    """Cut a leak: limit the lesion to the ball (around the seed) whose surface it crosses least.

    The region is grown inside balls of increasing radius (``neck_step_mm``) around the seed; the
    "front" is the part of the region in the last step's shell. A closed lesion's front falls to
    zero; a lesion leaking through a narrow connection (into marrow, muscle or a thin plate) has a
    front that narrows at the connection and widens again beyond it. When the narrowest front after
    the widest one is at most ``neck_fraction`` of the widest, the lesion is cut there.
    """
    centre = np.array([np.mean(ix) for ix in np.nonzero(seed_ball)])
    box = _bbox(grown)
    sub = grown[box]
    local = centre - np.array([b.start for b in box], dtype=np.float64)
    sp = np.asarray(spacing, dtype=np.float64)
    grids = [(np.arange(n) - c) * s for n, c, s in zip(sub.shape, local, sp, strict=True)]
    dist = np.sqrt(grids[0][:, None, None] ** 2 + grids[1][None, :, None] ** 2 + grids[2][None, None, :] ** 2)
    seed_sub = seed_ball[box]
    radii = np.arange(p.neck_step_mm * 2, float(dist[sub].max()) + p.neck_step_mm, p.neck_step_mm)
    fronts: list[int] = []
    regions: list[BoolArray] = []
    for r in radii:
        region = component_at(sub & (dist <= r), seed_sub)
        fronts.append(int(np.count_nonzero(region & (dist > r - p.neck_step_mm))))
        regions.append(region)
        if fronts[-1] == 0:
            break
    if not fronts or fronts[-1] == 0:
        return grown
    peak = int(np.argmax(fronts))
    after = fronts[peak:]
    neck = peak + int(np.argmin(after))
    if neck == len(fronts) - 1 or fronts[neck] > p.neck_fraction * fronts[peak]:
        return grown  # no narrowing followed by widening: no leak found
    out = np.zeros(grown.shape, dtype=bool)
    out[box] = regions[neck]
    return out


def _bbox(mask: BoolArray) -> IndexBox:
    lo, hi = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        nz = np.flatnonzero(mask.any(axis=other))
        lo.append(int(nz[0]))
        hi.append(int(nz[-1]) + 1)
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


def _open(mask: BoolArray, radius_mm: float, spacing: Sequence[float]) -> BoolArray:
    if radius_mm <= 0 or not mask.any():
        return mask
    out: BoolArray = ndimage.binary_opening(mask, structure=ball_footprint(radius_mm, spacing))
    return out


def _touching(mask: BoolArray, region: BoolArray) -> BoolArray:
    """The face-connected components of ``mask`` that overlap or touch ``region``."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros(mask.shape, dtype=bool)
    keep = np.zeros(n + 1, dtype=bool)
    keep[np.unique(labels[ndimage.binary_dilation(region) & mask])] = True
    keep[0] = False
    out: BoolArray = keep[labels]
    return out


def _smooth(
    hu: npt.NDArray[np.float32], spacing: Sequence[float], sigma_mm: float
) -> npt.NDArray[np.float32]:
    if sigma_mm <= 0:
        return hu
    sigma = [sigma_mm / s for s in spacing]
    out: npt.NDArray[np.float32] = ndimage.gaussian_filter(hu, sigma=sigma, mode="nearest", truncate=3.0)
    return out


def _shell_around(mask: BoolArray, spacing: Sequence[float], shell_mm: tuple[float, float]) -> BoolArray:
    dist = distance_outside_mm(mask, spacing)
    out: BoolArray = (dist > shell_mm[0]) & (dist <= shell_mm[1])
    return out


def _limit_to_box(
    volume: Volume,
    roi: IndexBox,
    box_lps: tuple[Sequence[float], Sequence[float]],
    seed_t: tuple[float, float, float],
) -> IndexBox:
    lo = np.asarray(box_lps[0], dtype=np.float64)
    hi = np.asarray(box_lps[1], dtype=np.float64)
    if lo.shape != (3,) or hi.shape != (3,) or np.any(hi <= lo):
        raise ValueError(f'Argument "box_lps" must be (min_xyz, max_xyz) with max > min, got {box_lps!r}')
    if np.any(np.asarray(seed_t) < lo) or np.any(np.asarray(seed_t) > hi):
        raise SeedOutsideVolumeError(seed_t, (_t3(lo), _t3(hi)))
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    idx = volume.lps_to_index_points(corners)
    start = np.floor(idx.min(axis=0)).astype(int)
    stop = np.ceil(idx.max(axis=0)).astype(int) + 1
    box = (
        slice(int(start[0]), int(stop[0])),
        slice(int(start[1]), int(stop[1])),
        slice(int(start[2]), int(stop[2])),
    )
    out = intersect_boxes(roi, box)
    if out is None:
        raise SeedOutsideVolumeError(seed_t, (_t3(lo), _t3(hi)))
    return out


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
